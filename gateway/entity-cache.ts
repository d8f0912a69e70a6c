import type { EventBus } from '../platform/event-bus.js';
import { ExpiringMap } from '../platform/expiring-map.js';
import type { Logger } from '../platform/logger.js';

export interface EntityCacheOptions {
  /** How long an entity is served from memory at most (0: the cache is off). */
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}

/** Which of a tenant's entities a change makes stale: those a subgraph answered. */
export interface Eviction {
  tenant: string;
  subgraph: string;
}

const evictionTopic = 'gateway.entity-cache.evict';

/**
 * The entities of reference data (parties, usage specifications) as subgraphs answered them, per
 * tenant, caller scopes and selection, so a page of usages naming the same customers and
 * specifications again costs no entity fetch for them (gateway/plugins/entity-cache.ts says which).
 *
 * Freshness: every mutation a gateway sends to a subgraph evicts that tenant's entities of that
 * subgraph, here and, through the event bus (Redis with REDIS_URL), on every other gateway
 * instance. A read that started before an eviction does not store what it read (generations).
 * Changes that reach the database some other way show within `ttlMs`.
 */
export class EntityCache {
  private readonly entries: ExpiringMap<string>;
  private readonly generations = new Map<string, number>();
  private readonly now: () => number;
  hits = 0;
  misses = 0;

  constructor(private readonly options: EntityCacheOptions) {
    this.now = options.now ?? Date.now;
    this.entries = new ExpiringMap(options.maxEntries, this.now);
  }

  get enabled(): boolean {
    return this.options.ttlMs > 0;
  }

  /** The generation of a tenant's entities of a subgraph; a store names the one it read under. */
  generation(tenant: string, subgraph: string): number {
    return this.generations.get(scopeKey(tenant, subgraph)) ?? 0;
  }

  get(key: string): string | undefined {
    const json = this.entries.get(key);
    if (json === undefined) this.misses++;
    else this.hits++;
    return json;
  }

  /** Stores `json` unless the tenant's entities of that subgraph were evicted since `generation`. */
  set(key: string, json: string, eviction: Eviction, generation: number): void {
    if (this.generation(eviction.tenant, eviction.subgraph) !== generation) return;
    this.entries.set(key, json, this.now() + this.options.ttlMs);
  }

  /** Forgets a tenant's entities of one subgraph, in this process. */
  evict({ tenant, subgraph }: Eviction): void {
    const scope = scopeKey(tenant, subgraph);
    this.generations.set(scope, (this.generations.get(scope) ?? 0) + 1);
    this.entries.deleteWhereKeyStartsWith(`${scope}\u0000`);
  }
}

function scopeKey(tenant: string, subgraph: string): string {
  return `${tenant}\u0000${subgraph}`;
}

/** The key of one entity: its tenant and subgraph first, so an eviction finds it by prefix. */
export function entityKey(eviction: Eviction, scopes: string, selection: string, typename: string, id: string): string {
  return `${scopeKey(eviction.tenant, eviction.subgraph)}\u0000${scopes}\u0000${selection}\u0000${typename}\u0000${id}`;
}

/**
 * Evictions shared by every gateway instance on `bus`: `evict` forgets here at once and tells the
 * others. Returns a stop function for shutdown.
 */
export function shareEvictions(cache: EntityCache, bus: EventBus, log: Logger): { evict(eviction: Eviction): void; stop(): Promise<void> } {
  const incoming = bus.subscribe<Eviction>(evictionTopic);
  const listening = (async () => {
    try {
      for await (const eviction of incoming) cache.evict(eviction);
    } catch (error) {
      // A lost bus leaves the TTL as the bound on staleness; say so once.
      log.warn('entity cache evictions from other instances stopped; cached entities now expire by TTL only', error);
    }
  })();
  return {
    evict(eviction) {
      cache.evict(eviction);
      bus.publish(evictionTopic, eviction).catch((error: unknown) => log.warn('could not share an entity cache eviction', error));
    },
    async stop() {
      await incoming.return?.();
      await listening;
    },
  };
}
