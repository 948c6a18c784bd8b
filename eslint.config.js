// Lint rules: ESLint's and typescript-eslint's recommended sets, type-aware where it catches real
// bugs (floating promises, misused promises). Formatting is Prettier's job, not ESLint's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.kith-dev/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The panel page's browser scripts: tsc checks them against the DOM types (their tsconfig.json),
    // which knows every browser global, so ESLint's Node-blind no-undef only adds false alarms.
    files: ['src/sim/panel/web/*.js'],
    rules: { 'no-undef': 'off' },
  },
  {
    files: ['bin/*.js'],
    languageOptions: { globals: { process: 'readonly' } },
  },
);
