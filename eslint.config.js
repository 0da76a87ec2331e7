// Layer rules, enforced here rather than hoped for:
//   shared/    imports neither main/ nor renderer/, nor Node built-ins: both sides load it.
//   main/      never imports renderer/.
//   renderer/  never imports main/ or Node built-ins; it reaches the engine only through shared/.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

const noNode = {
  paths: nodeBuiltins.map((name) => ({ name, message: 'This layer runs in the browser too: no Node built-ins.' })),
};

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'test/artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['main/**/*.ts', 'test/**/*.ts', '*.js', '*.ts', 'renderer/vite.config.ts'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          ...noNode,
          patterns: [{ group: ['**/main/**', '**/renderer/**', 'electron'], message: 'shared/ imports neither main/ nor renderer/.' }],
        },
      ],
    },
  },
  {
    files: ['main/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/renderer/**'], message: 'main/ must not import renderer/.' }] }],
    },
  },
  {
    files: ['renderer/src/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // TanStack Virtual is not memoisable; the compiler already skips those components, so the note adds nothing.
      'react-hooks/incompatible-library': 'off',
      'no-restricted-imports': [
        'error',
        {
          ...noNode,
          patterns: [
            { group: ['**/main/**', 'electron'], message: 'The renderer reaches the engine only through shared/ and the transport.' },
          ],
        },
      ],
    },
  },
);
