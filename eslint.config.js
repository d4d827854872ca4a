import js from '@eslint/js';
import jest from 'eslint-plugin-jest';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'e2e/.run/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // User patterns run only through UserRegexp (RE2, linear time): a RegExp built at run time
    // from a string is how a backtracking pattern reached the event loop before.
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.test.ts', 'src/**/testing/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='RegExp'], CallExpression[callee.name='RegExp']",
          message:
            'Compile user patterns with UserRegexp (src/secrets/user-regexp.ts); write fixed ones as literals.',
        },
      ],
    },
  },
  {
    // Tests: none focused or skipped, and each one asserts: through expect, or through a helper whose
    // name says it throws when its condition does not hold (the waits of e2e/support/wait.ts and the
    // SecretSource helpers, which poll until a condition holds and fail naming what was last seen).
    files: ['**/*.test.ts'],
    plugins: { jest },
    rules: {
      ...jest.configs['flat/recommended'].rules,
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
      'jest/no-commented-out-tests': 'error',
      'jest/expect-expect': [
        'error',
        { assertFunctionNames: ['expect', 'eventually', 'holdsFor', 'wait*', '**.wait*', '**.expect*'] },
      ],
      // Tables of cases often pick the expected value per case inside a loop; what matters is that
      // no expectation is skipped for a case, which expect-expect and the tables' own counts show.
      'jest/no-conditional-expect': 'off',
      // Expectations in beforeAll (a precondition of every test of the block) are fine.
      'jest/no-standalone-expect': ['error', { additionalTestBlockFunctions: ['beforeAll', 'beforeEach'] }],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
