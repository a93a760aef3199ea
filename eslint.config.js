// One lint config for the whole repo. The type-aware rules catch the daemon bugs that matter
// most here: promises nobody awaits and switches that forget a case.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'var/', 'site-templates/assets/vendor/', 'coverage/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['site-templates/assets/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', localStorage: 'readonly', fetch: 'readonly', ApexCharts: 'readonly', setTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', console: 'readonly', matchMedia: 'readonly', location: 'readonly', URLSearchParams: 'readonly' } },
  },
);
