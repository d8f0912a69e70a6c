import { correctionFields } from '../../corrections/resolvers.js';
import type { ProductUsageResolvers, RelatedPartyResolvers } from '../../generated/resolvers.js';

export const ProductUsage: ProductUsageResolvers = {
  __resolveReference: (reference, { loaders }) => loaders.usageById.load(reference.id),
  id: (usage) => usage._id,
  // A stub with the id only: the specification subgraph resolves the rest (null fields if unknown).
  usageSpecification: (usage) => (usage.usageSpecification ? { id: usage.usageSpecification.id } : null),
  usageSpecificationRef: (usage) => usage.usageSpecification ?? null,
  usageCharacteristic: (usage) => usage.usageCharacteristic ?? [],
  relatedParty: (usage) => usage.relatedParty ?? [],
  usageProductPrice: (usage) => usage.usageProductPrice ?? [],
  ratedProductUsage: (usage) => usage.ratedProductUsage ?? [],
  externalIdentifier: (usage) => usage.externalIdentifier ?? [],
  ...correctionFields,
};

export const RelatedParty: RelatedPartyResolvers = {
  party: ({ partyOrPartyRole: ref }) => (ref.type === 'PartyRef' ? { id: ref.id } : null),
  partyRole: ({ partyOrPartyRole: ref }) => (ref.type === 'PartyRoleRef' ? { id: ref.id } : null),
};
