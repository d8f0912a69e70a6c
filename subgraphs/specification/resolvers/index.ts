import { randomUUID } from 'node:crypto';
import { notFound } from '../../../platform/errors.js';
import { pageResolvers } from '../../shared/page-source.js';
import { page, patchUpdate } from '../../shared/query.js';
import { DateTime, JSONScalar } from '../../shared/scalars.js';
import type { SpecificationContext } from '../context.js';
import { specificationFilter, specificationSort } from '../filters.js';
import { newSpecificationDocument, specificationListFields } from '../mappers.js';
import type { Resolvers } from '../generated/resolvers.js';
import { ingestionResolvers } from './ingestion.js';

export const resolvers: Resolvers = {
  DateTime,
  JSON: JSONScalar,
  ...ingestionResolvers,
  Query: {
    ...ingestionResolvers.Query,
    productUsageSpecification: (_root, { id }, { loaders }) => loaders.specificationById.load(id),
    productUsageSpecifications: (_root, args, { settings }) => ({
      kind: 'query',
      filter: specificationFilter(args.filter),
      sort: specificationSort(args.sort),
      page: page(args.offset, args.limit, settings.paging),
    }),
  },
  Mutation: {
    ...ingestionResolvers.Mutation,
    createProductUsageSpecification: (_root, { input }, { repository }) => repository.insert(newSpecificationDocument(input, randomUUID(), new Date())),
    updateProductUsageSpecification: async (_root, { id, patch }, { repository }) => {
      const { $set, $unset } = patchUpdate(patch, { required: ['name', 'type'], lists: specificationListFields, now: new Date() });
      const updated = await repository.update(id, Object.keys($unset).length ? { $set, $unset } : { $set });
      if (!updated) throw notFound('ProductUsageSpecification', id);
      return updated;
    },
    deleteProductUsageSpecification: async (_root, { id }, { repository }) => {
      const deleted = await repository.delete(id);
      if (!deleted) throw notFound('ProductUsageSpecification', id);
      return deleted;
    },
  },
  ProductUsageSpecification: {
    // An unknown id (a usage naming a specification that does not exist yet) resolves to the id
    // alone, so every other field is null rather than the whole reference failing.
    __resolveReference: async (reference, { loaders }) => (await loaders.specificationById.load(reference.id)) ?? { _id: reference.id },
    id: (spec) => spec._id,
  },
  ProductUsageSpecificationPage: pageResolvers((context: SpecificationContext) => context.repository),
};
