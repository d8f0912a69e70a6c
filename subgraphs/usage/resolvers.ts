import { DateTime, JSONScalar } from '../shared/scalars.js';
import { correctionResolvers } from './corrections/resolvers.js';
import { exportResolvers } from './exports/resolvers.js';
import type { Resolvers } from './generated/resolvers.js';
import { hubResolvers } from './hubs/resolvers.js';
import { ingestionResolvers } from './ingestion/resolvers.js';
import { meterResolvers } from './meters/resolvers.js';
import { productUsageResolvers } from './product-usage/resolvers/index.js';
import { rejectionResolvers } from './rejections/resolvers.js';

const features: Record<string, Resolvers> = {
  'product-usage': productUsageResolvers,
  exports: exportResolvers,
  hubs: hubResolvers,
  ingestion: ingestionResolvers,
  meters: meterResolvers,
  corrections: correctionResolvers,
  rejections: rejectionResolvers,
};

/**
 * The features' resolvers combined: each type from the one feature that resolves it, the Query,
 * Mutation and Subscription fields of all. A type or root field claimed by two features is a
 * mistake that merging would hide (the later one would win silently), so it stops the subgraph at
 * start-up.
 */
function combine(parts: Record<string, Resolvers>): Resolvers {
  const owner = new Map<string, string>();
  const claim = (key: string, feature: string) => {
    const other = owner.get(key);
    if (other) throw new Error(`${key} is resolved by both ${other} and ${feature}`);
    owner.set(key, feature);
  };
  const combined: Record<string, unknown> = { DateTime, JSON: JSONScalar };
  const roots: Record<'Query' | 'Mutation' | 'Subscription', Record<string, unknown>> = { Query: {}, Mutation: {}, Subscription: {} };
  for (const [feature, part] of Object.entries(parts)) {
    for (const [type, value] of Object.entries(part)) {
      if (type === 'Query' || type === 'Mutation' || type === 'Subscription') {
        for (const [field, resolver] of Object.entries(value as Record<string, unknown>)) {
          claim(`${type}.${field}`, feature);
          roots[type][field] = resolver;
        }
      } else {
        claim(type, feature);
        combined[type] = value;
      }
    }
  }
  return { ...combined, ...roots };
}

export const resolvers: Resolvers = combine(features);
