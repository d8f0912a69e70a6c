import type { PageSource } from '../shared/page-source.js';
import type { ProductUsageSpecification, ProductUsageSpecificationInput } from './generated/resolvers.js';

/** MongoDB document type of the specification subgraph, derived from the generated GraphQL type. */
export type SpecificationDocument = Omit<ProductUsageSpecification, '__typename' | 'id' | 'href'> & { _id: string };

export type SpecificationPageSource = PageSource<SpecificationDocument>;

export function newSpecificationDocument(input: ProductUsageSpecificationInput, id: string, now: Date): SpecificationDocument {
  const doc: SpecificationDocument = { ...input, _id: id, type: input.type ?? 'ProductUsageSpecification', creationDate: now, lastUpdate: now };
  return Object.fromEntries(Object.entries(doc).filter(([, v]) => v != null)) as SpecificationDocument;
}

export const specificationListFields = ['specCharacteristic'] as const;
