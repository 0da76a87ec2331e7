import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The e2e tests start servers and a browser; running files one at a time keeps 2-core CI machines steady.
    fileParallelism: false,
    reporters: ['default'],
  },
});
