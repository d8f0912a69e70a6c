import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  resolve: {
    // graphql 16 has no "exports" map: Node (and so `npm start`) loads its CommonJS build, while Vite
    // would follow "module" to index.mjs for our code. Two copies break `instanceof GraphQLError`
    // between our code and the gateway runtime, so resolve it the way Node does.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    root,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['tests/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['tests/integration/**/*.test.ts'],
          // One real database per run (FerretDB, or MONGODB_URI); each test file gets its own
          // database name in it and its own subgraphs and gateway on free ports.
          globalSetup: ['tests/support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
