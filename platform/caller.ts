/**
 * Who is calling: what the gateway learned from a verified token and passes, signed, to every
 * subgraph (internal-signature.ts). Subgraph contexts carry it as `tenant`, `subject` and `scopes`.
 */
export const Scope = {
  /** Read usages, specifications, parties, aggregates, export jobs and ingest jobs; subscribe; register hubs. */
  USAGE_READ: 'usage:read',
  /** Create, change and delete usages; ingest usages. */
  USAGE_WRITE: 'usage:write',
  /** Create, change and delete usage specifications, ingestion rules and KPIs. */
  SPECIFICATION_MANAGE: 'specification:manage',
  /** Create, change and delete parties and party roles. */
  PARTY_MANAGE: 'party:manage',
  /** Lease, complete and fail webhook deliveries (the REST facade's delivery worker). */
  HUB_DELIVER: 'hub:deliver',
  /** Read the Prometheus metrics of every service (GET /metrics): an operator's, since counters are tenant data. */
  METRICS: 'metrics',
  /** Every scope above, and any operation not yet given a scope of its own. */
  ADMIN: 'admin',
} as const;
export type Scope = (typeof Scope)[keyof typeof Scope];

export const allScopes: readonly Scope[] = Object.values(Scope);
const known = new Set<string>(allScopes);
export const isScope = (value: string): value is Scope => known.has(value);

export interface RequestCaller {
  /** The tenant every read and write of this request belongs to. */
  tenant: string;
  /** The token's subject (a user or a service), for logs and audit. */
  subject: string;
  scopes: readonly Scope[];
}

/** Tenants and subjects travel in headers and signed strings: a safe alphabet, bounded. */
export const callerIdPattern = /^[A-Za-z0-9._:@|-]{1,128}$/;

export const hasScope = (caller: Pick<RequestCaller, 'scopes'>, scope: Scope): boolean => caller.scopes.includes(scope) || caller.scopes.includes(Scope.ADMIN);

/** The gateway itself, when it reads the subgraphs' SDL at start-up: no tenant's data, no scope. */
export const gatewayCaller: RequestCaller = { tenant: 'system', subject: 'gateway', scopes: [] };
