import type { Resolvers } from '../generated/resolvers.js';
import { oncePerRequest } from '../../shared/jit-execution.js';
import { meterQuery } from './query.js';
import { readMeter } from './rows.js';

/** This feature's part of the usage subgraph's resolvers (resolvers.ts combines the features). */
export const meterResolvers: Resolvers = {
  Query: {
    // Executed by graphql-jit (server.ts, compiledFields), which may leave an answer with errors to
    // Apollo to execute again: once per request, so the database is asked once.
    usageMeter: oncePerRequest(async (_root, { input }, { meters }) => ({ rows: await readMeter(meters, meterQuery(input)) })),
  },
};
