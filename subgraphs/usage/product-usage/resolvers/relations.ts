import type { PartyResolvers, PartyRoleResolvers, ProductUsageSpecificationResolvers } from '../../generated/resolvers.js';

// Entities owned by other subgraphs, to which this one adds the reverse lookup `productUsages`.
// Their references need no database read here: the id is all this subgraph knows of them.
export const Party: PartyResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  productUsages: ({ id }, args, { loaders }) => loaders.usagesByRelation.load({ relation: 'party', id, args }),
};

export const PartyRole: PartyRoleResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  productUsages: ({ id }, args, { loaders }) => loaders.usagesByRelation.load({ relation: 'partyRole', id, args }),
};

export const ProductUsageSpecification: ProductUsageSpecificationResolvers = {
  __resolveReference: (reference) => ({ id: reference.id }),
  productUsages: ({ id }, args, { loaders }) => loaders.usagesByRelation.load({ relation: 'specification', id, args }),
};
