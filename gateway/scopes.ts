import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { hasScope, Scope, type RequestCaller } from '../platform/caller.js';

/**
 * The scope each root field needs: the one place authorization is decided (docs/security.md).
 * Reading is `usage:read` whatever the subgraph, since a usage is shown with its specification and
 * parties; an export job or a hub only reveals what the caller may read already. Changing data needs
 * the scope of what it changes. A root field missing here needs `admin`, so a new field is closed
 * until someone decides (tests/unit/scopes.test.ts lists the ones left undecided).
 */
export const rootFieldScopes: Record<'Query' | 'Mutation' | 'Subscription', Record<string, Scope>> = {
  Query: {
    productUsage: Scope.USAGE_READ,
    productUsages: Scope.USAGE_READ,
    exportJob: Scope.USAGE_READ,
    exportJobs: Scope.USAGE_READ,
    hub: Scope.USAGE_READ,
    usageIngestJob: Scope.USAGE_READ,
    usageIngestJobs: Scope.USAGE_READ,
    dailyUsageAggregates: Scope.USAGE_READ,
    monthlyUsageAggregates: Scope.USAGE_READ,
    usageMeter: Scope.USAGE_READ,
    productUsageSpecification: Scope.USAGE_READ,
    productUsageSpecifications: Scope.USAGE_READ,
    ingestionRule: Scope.USAGE_READ,
    ingestionRules: Scope.USAGE_READ,
    kpi: Scope.USAGE_READ,
    kpis: Scope.USAGE_READ,
    party: Scope.USAGE_READ,
    parties: Scope.USAGE_READ,
    partyRole: Scope.USAGE_READ,
    partyRoles: Scope.USAGE_READ,
  },
  Mutation: {
    createProductUsage: Scope.USAGE_WRITE,
    updateProductUsage: Scope.USAGE_WRITE,
    deleteProductUsage: Scope.USAGE_WRITE,
    correctProductUsage: Scope.USAGE_WRITE,
    revertProductUsageCorrection: Scope.USAGE_WRITE,
    ingestProductUsages: Scope.USAGE_WRITE,
    createUsageIngestJob: Scope.USAGE_WRITE,
    createExportJob: Scope.USAGE_READ,
    deleteExportJob: Scope.USAGE_READ,
    createHub: Scope.USAGE_READ,
    deleteHub: Scope.USAGE_READ,
    leaseHubDeliveries: Scope.HUB_DELIVER,
    completeHubDelivery: Scope.HUB_DELIVER,
    failHubDelivery: Scope.HUB_DELIVER,
    createProductUsageSpecification: Scope.SPECIFICATION_MANAGE,
    updateProductUsageSpecification: Scope.SPECIFICATION_MANAGE,
    deleteProductUsageSpecification: Scope.SPECIFICATION_MANAGE,
    createIngestionRule: Scope.SPECIFICATION_MANAGE,
    updateIngestionRule: Scope.SPECIFICATION_MANAGE,
    deleteIngestionRule: Scope.SPECIFICATION_MANAGE,
    createKpi: Scope.SPECIFICATION_MANAGE,
    updateKpi: Scope.SPECIFICATION_MANAGE,
    deleteKpi: Scope.SPECIFICATION_MANAGE,
    createParty: Scope.PARTY_MANAGE,
    updateParty: Scope.PARTY_MANAGE,
    deleteParty: Scope.PARTY_MANAGE,
    createPartyRole: Scope.PARTY_MANAGE,
    updatePartyRole: Scope.PARTY_MANAGE,
    deletePartyRole: Scope.PARTY_MANAGE,
  },
  Subscription: {
    productUsageEvents: Scope.USAGE_READ,
    // What usageIngestJob { errors } shows, as it is recorded.
    ingestionRejections: Scope.USAGE_READ,
  },
};

/** GET /exports/<id> (an export file) reads usages. */
export const exportDownloadScope = Scope.USAGE_READ;

const typeOf = { query: 'Query', mutation: 'Mutation', subscription: 'Subscription' } as const;

/** The root fields an operation selects, through fragments and inline fragments. */
function rootFields(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen = new Set<string>()): string[] {
  const names: string[] = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) names.push(selection.name.value);
    else if (selection.kind === Kind.INLINE_FRAGMENT) names.push(...rootFields(selection.selectionSet, fragments, seen));
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) names.push(...rootFields(fragment.selectionSet, fragments, seen));
    }
  }
  return names;
}

/** The first scope `caller` lacks for the operation `operationName` of `document`, or null. */
export function missingScope(document: DocumentNode, operationName: string | null | undefined, caller: RequestCaller): Scope | null {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((o) => o.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  // No such operation: execution refuses it on its own, with nothing read.
  if (!operation) return null;
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  const scopes = rootFieldScopes[typeOf[operation.operation]];
  for (const field of rootFields(operation.selectionSet, fragments)) {
    // Introspection and __typename reveal the schema, which every authenticated caller may see.
    if (field.startsWith('__')) continue;
    const needed = scopes[field] ?? Scope.ADMIN;
    if (!hasScope(caller, needed)) return needed;
  }
  return null;
}
