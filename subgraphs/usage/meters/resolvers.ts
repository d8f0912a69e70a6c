import type { Resolvers } from '../generated/resolvers.js';
import { meterQuery } from './query.js';
import { readMeter } from './rows.js';

/** This feature's part of the usage subgraph's resolvers (resolvers.ts combines the features). */
export const meterResolvers: Resolvers = {
  Query: {
    usageMeter: async (_root, { input }, { meters }) => ({ rows: await readMeter(meters, meterQuery(input)) }),
  },
};
