import { buildSchema, Kind, type DocumentNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { composeFromFiles } from '../../gateway/compose.js';
import { measureOperation } from '../../gateway/operation-cost.js';
import { leaseBatch } from '../../rest-adapter/hub-delivery.js';
import * as operations from '../../rest-adapter/operations/generated.js';
import { loadConfig } from '../../platform/config.js';

// The REST facade's documented largest page (MAX_PAGE_SIZE, 1,000) must pass the gateway's default
// shape limits: its operations are fixed, so a client asking for limit=1000 with every attribute
// would otherwise be refused for something it cannot change. Measured with the gateway's own
// measure over the composed public schema; a field added to a facade fragment that breaks this fails here.
const config = loadConfig({});
const schema = buildSchema(composeFromFiles().publicSdl);
const documents = Object.entries(operations).filter(
  (entry): entry is [string, DocumentNode] =>
    typeof entry[1] === 'object' &&
    entry[1] !== null &&
    'definitions' in entry[1] &&
    (entry[1] as DocumentNode).definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION),
);

describe('the REST facade operations', () => {
  it('are all measured', () => {
    expect(documents.length).toBeGreaterThan(20);
    expect(documents.map(([name]) => name)).toContain('RestListProductUsagesDocument');
  });

  it.each(documents)('%s fits GRAPHQL_MAX_COST, _DEPTH and _ALIASES at the largest page', (name, document) => {
    // Client lists take up to MAX_PAGE_SIZE; the webhook worker leases its own batch.
    const largest = name === 'LeaseHubDeliveriesDocument' ? leaseBatch : config.paging.maxSize;
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
    const variables = Object.fromEntries(
      (operation.variableDefinitions ?? []).filter((v) => v.variable.name.value === 'limit').map((v) => [v.variable.name.value, largest]),
    );
    const measure = measureOperation(schema, document, null, variables, config.paging)!;
    expect(measure.cost).toBeLessThanOrEqual(config.limits.graphql.maxCost);
    expect(measure.depth).toBeLessThanOrEqual(config.limits.graphql.maxDepth);
    expect(measure.aliases).toBeLessThanOrEqual(config.limits.graphql.maxAliases);
  });
});
