import js from '@eslint/js';
import jsxA11y from 'eslint-plugin-jsx-a11y';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import vitest from '@vitest/eslint-plugin';

const rawIpc = {
  paths: [
    {
      name: 'electron',
      importNames: ['ipcMain', 'ipcRenderer'],
      message: 'Use the typed wrapper (main/app/ipc.ts, preload/index.ts): raw IPC bypasses sender and argument checks.',
    },
  ],
};

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Named exports only (docs/CONVENTIONS.md).' }],
    },
  },
  {
    files: ['*.config.ts', '*.config.mjs', 'playwright.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  // Rule 1 of the architecture: only main/app (and the preload) may touch Electron.
  {
    files: ['main/**/*.ts', 'common/**/*.ts'],
    ignores: ['main/app/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', message: 'Only main/app/ may import electron (ARCHITECTURE rule 1).' }] },
      ],
    },
  },
  {
    files: ['main/app/**/*.ts'],
    ignores: ['main/app/ipc.ts'],
    rules: { 'no-restricted-imports': ['error', rawIpc] },
  },
  {
    files: ['preload/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks, 'jsx-a11y': jsxA11y },
    rules: {
      ...reactHooks.configs.recommended.rules,
      ...jsxA11y.flatConfigs.strict.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer talks only to the contract (common/api.ts).' }],
          patterns: [
            { group: ['node:*'], message: 'The renderer never imports Node built-ins.' },
            { group: ['**/main/**', '**/preload/**'], message: 'The renderer imports only common/ and its own files.' },
          ],
        },
      ],
    },
  },
  // A test asserts what must be true, always: an expect under if/?:/&&/catch passes when nothing happened.
  {
    files: ['tests/**/*.{ts,tsx}'],
    plugins: { vitest },
    rules: { 'vitest/no-conditional-expect': 'error' },
  },
  {
    files: ['renderer/**/*.tsx', 'tests/renderer/**/*.tsx'],
    languageOptions: { parserOptions: { ecmaFeatures: { jsx: true } } },
  },
);
