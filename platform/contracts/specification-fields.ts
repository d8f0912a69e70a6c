import type { FieldContract } from './usage-fields.js';

/**
 * The contract the REST facade and the graph share about a usage specification's attributes: the
 * paths of the GraphQL ProductUsageSpecification (schema/specification.graphql) a `where` condition
 * may name, with the type of each and whether it sorts. The specification subgraph maps each to where
 * it is stored (subgraphs/specification/filters.ts); the TMF v4 /usageSpecification list
 * (rest-adapter/catalogues.ts) maps its attribute names to these paths.
 */
export const specificationFields: Readonly<Record<string, FieldContract>> = {
  id: { type: 'string', sortable: true },
  type: { type: 'string', sortable: true },
  baseType: { type: 'string', sortable: true },
  name: { type: 'string', sortable: true },
  description: { type: 'string', sortable: true },
  version: { type: 'string', sortable: true },
  lifecycleStatus: { type: 'string', sortable: true },
  isBundle: { type: 'boolean', sortable: true },
  creationDate: { type: 'dateTime', sortable: true },
  lastUpdate: { type: 'dateTime', sortable: true },
  'validFor.startDateTime': { type: 'dateTime', sortable: true },
  'validFor.endDateTime': { type: 'dateTime', sortable: true },
  // A specification holds many characteristics: these filter, they do not sort.
  'specCharacteristic.name': { type: 'string' },
  'specCharacteristic.valueType': { type: 'string' },
  'specCharacteristic.unit': { type: 'string' },
};
