// ESLint flat config: typescript-eslint's type-aware rules over the whole tree, Prettier for layout
// (eslint-config-prettier turns off the rules that would fight it). The promise rules stay on above
// all: an unhandled rejection ends a Node process, and a promise passed where a callback's result is
// ignored (an event handler, a Fastify hook) is one.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.build/', '.data/', '.tools/', 'gateway/console/dist/', 'coverage/', '**/generated.ts', '**/generated/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        // Each file is checked with the tsconfig that builds it: the browser console has its own.
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Hive Gateway hooks and React hand out functions that never use `this` inside objects meant to
      // be destructured (`{ endResponse, fetchAPI }`, state setters): every report of this rule here
      // was one of those.
      '@typescript-eslint/unbound-method': 'off',
      // Every function it reported is async by contract: an interface method typed to return a
      // Promise (EventBus.publish/close, graphql-ws send, Apollo's context), a Fastify route handler or
      // plugin, a test double of an async function. `async` there also turns a synchronous throw into
      // the rejection callers expect. Promises left unhandled, misused or awaited wrongly stay errors
      // (the three rules above); a missing `await` is what those find.
      '@typescript-eslint/require-await': 'off',
      // `Promise.reject(error)` where `error` is `unknown` forwards a caught value unchanged (an async
      // iterator's throw(), a driver error handed on), as `throw error` in a catch does, which
      // only-throw-error allows by default for the same reason. Rejecting with a literal, an object or
      // undefined is still reported.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    // Tests and the bench read JSON answers whose shape is what they assert: typing each body before
    // `expect` would repeat the contract the assertion states. Product code keeps the rules.
    files: ['tests/**', 'bench/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  {
    files: ['gateway/console/src/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  prettier,
);
