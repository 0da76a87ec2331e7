// Layer rules, enforced here rather than hoped for (test/unit/layers/planted.test.ts plants each breach):
//   shared/       imports neither main/ nor renderer/, nor Node built-ins or Node-only packages: both sides load it.
//   renderer/     never imports main/, Node built-ins or Node-only packages; it reaches the engine only through shared/.
//   main/         never imports renderer/.
//   main/engine/  is headless: no electron, and nothing from the CLI, the host, the Electron shell or the model server.
//   main/server/  (the exported model server) runs with only Node, onnxruntime-node and papaparse: it imports shared/
//                 and Node built-ins, never the engine, the CLI, the host or the Electron shell.
//   renderer/src/stores/ hold state; they never import components.
// Paths are checked on the resolved file (import-x/no-restricted-paths), so static imports, re-exports and
// dynamic import() are all covered, however the relative path is spelled. Package names are checked by name:
// core no-restricted-imports for static imports and no-restricted-syntax for import(), which that rule skips.
import js from '@eslint/js';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const root = import.meta.dirname;

// Native or Node-only packages: none of them load in a browser, and a type import of one drags @types/node in.
const nodeOnlyPackages = [
  'better-sqlite3',
  '@duckdb/node-api',
  '@duckdb/*',
  'onnxruntime-node',
  'dockerode',
  'ws',
  'electron',
  'electron/*',
  'electron-builder',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  '@tensorflow/tfjs-node*',
  'webgpu',
  'playwright-core',
];
const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)];

// The same lists as esquery regexes, for import() whose source is a literal.
const escapeForEsquery = (name) =>
  name
    .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\//g, '.')
    .replace(/\*/g, '.*');
const nameRegex = (names) => `/^(${names.map(escapeForEsquery).join('|')})$/`;

const importCallOf = (names, message) => ({
  selector: `ImportExpression[source.value=${nameRegex(names)}]`,
  message,
});
// A computed import() path cannot be checked, so the browser layers may not use one.
const computedImportCall = {
  selector: "ImportExpression:not([source.type='Literal'])",
  message: 'import() with a computed path escapes the layer rules; import a literal path.',
};

// Exact names go to `paths`; only the wildcard ones to `patterns`, whose gitignore matching would also
// catch a bare name like 'ws' as a segment of an unrelated relative path.
const restrictedImports = (names, message) => ({
  paths: names.filter((name) => !name.includes('*')).map((name) => ({ name, message })),
  patterns: [{ group: names.filter((name) => name.includes('*')), message }],
});
const restrictedNames = (names, message, extraSyntax = []) => ({
  'no-restricted-imports': ['error', restrictedImports(names, message)],
  'no-restricted-syntax': ['error', importCallOf(names, message), ...extraSyntax],
});

const browserMessage = 'This layer runs in the browser: no Node built-ins and no Node-only or native packages.';
const engineMessage = 'main/engine is headless: it imports no electron.';
const serverMessage = 'The model server runs with only Node, onnxruntime-node and papaparse.';
const serverAllowed = new Set(['onnxruntime-node']);

const layer = (target, from, message) => ({ target, from, message });
const zones = [
  layer('shared', ['main', 'renderer'], 'shared/ imports neither main/ nor renderer/.'),
  layer('renderer', ['main'], 'The renderer reaches the engine only through shared/ and the transport.'),
  layer('main', ['renderer'], 'main/ must not import renderer/.'),
  layer(
    'main/engine',
    ['main/cli', 'main/host', 'main/electron', 'main/server'],
    'main/engine is headless: it imports nothing from the CLI, the host, the Electron shell or the model server.',
  ),
  layer(
    'main/server',
    ['main/engine', 'main/cli', 'main/host', 'main/electron'],
    'The model server ships alone: it imports shared/ and Node built-ins, never the engine, the CLI, the host or the shell.',
  ),
  layer('renderer/src/stores', ['renderer/src/components'], 'Stores hold state; they never import components.'),
];

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
    files: ['main/**/*.ts', 'shared/**/*.ts', 'renderer/src/**/*.{ts,tsx}'],
    plugins: { 'import-x': importX },
    settings: {
      // Sources import './x.js' and mean './x.ts': resolve as tsc does, or a path rule would pass unresolved imports.
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.tsx', '.js', '.mjs', '.json', '.d.ts'],
          extensionAlias: { '.js': ['.ts', '.tsx', '.js'], '.mjs': ['.mts', '.mjs'] },
          conditionNames: ['types', 'import', 'node', 'default'],
        }),
      ],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: root, zones }],
      // A path rule skips what it cannot resolve, so an unresolved relative import is an error of its own.
      'import-x/no-unresolved': ['error', { ignore: ['^[^.]'] }],
    },
  },
  {
    files: ['shared/**/*.ts', 'renderer/src/**/*.{ts,tsx}'],
    rules: {
      ...restrictedNames([...nodeBuiltins, ...nodeOnlyPackages], browserMessage, [computedImportCall]),
      // A types reference would bring @types/node into the browser programs.
      '@typescript-eslint/triple-slash-reference': ['error', { path: 'never', types: 'never', lib: 'never' }],
    },
  },
  {
    files: ['main/engine/**/*.ts'],
    rules: restrictedNames(['electron', 'electron/*'], engineMessage),
  },
  {
    files: ['main/server/**/*.ts'],
    rules: restrictedNames(
      nodeOnlyPackages.filter((name) => !serverAllowed.has(name)),
      serverMessage,
    ),
  },
  {
    files: ['renderer/src/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // TanStack Virtual is not memoisable; the compiler already skips those components, so the note adds nothing.
      'react-hooks/incompatible-library': 'off',
    },
  },
);
