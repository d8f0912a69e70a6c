import {
  MongoBulkWriteError,
  type Collection,
  type Document,
  type Db,
  type Filter,
  type OptionalUnlessRequiredId,
  type Sort,
  type UpdateFilter,
  type WriteError,
} from 'mongodb';
import { ExpiringMap } from '../../platform/expiring-map.js';
import { commandTimeoutOf, withDriverErrors } from '../../platform/mongo.js';
import type { Page } from './query.js';
import { asSortSpec, keysetFilter, reversed, type SortSpec } from './cursor.js';
import type { CursorPageReader, ReadPage } from './page-source.js';

export type IndexKey = Record<string, 1 | -1>;
/** An index with options: `sparse` leaves out documents without the field (a field few documents have costs the rest nothing). */
export interface IndexSpec {
  key: IndexKey;
  sparse: true;
}

const isSpec = (index: IndexKey | IndexSpec): index is IndexSpec => typeof index.key === 'object';

/**
 * Recency windows (DocumentRepository.windowFor): an hour, then 4 times wider each time, then
 * everything. Not 16 times: with the newest usage 80 minutes old, the 16-hour window sorted 12 times
 * the entries a page needs, and a newest-first page at 1,000,000 usages took 1.5 s instead of 30 ms
 * (bench/RESULTS.md, volume); an empty window costs one index range read.
 */
const windowSpans = [1, 4, 16, 64, 256, 1024, 4096].map((hours) => hours * 3_600_000);
/** Marks the bounded count behind `large()`: a scan of at most `windowedFrom` entries once a minute (explain.test.ts leaves it out). */
export const sizeProbeComment = 'usage-graph: bounded size probe';
/** Collections smaller than this are sorted whole: a window that does not fill up would be a wasted read. */
const windowedFrom = 20_000;

/** The DB_TIMEOUT_MS of the collections repositories were opened on (see `bounded`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- keyed by collections of every document type
const boundedCollections = new WeakMap<Collection<any>, number>();

/** Attempts at creating a collection's indexes when start-ups of other instances deadlock with it. */
const indexAttempts = 6;

/**
 * createIndexes, tried again when it loses a deadlock: instances starting at once on a fresh
 * database (a deployment's first rollout, tests) create the same indexes together, and DocumentDB's
 * create_indexes then meets PostgreSQL's deadlock detector (SQLSTATE 40P01, "deadlock detected"),
 * which aborts one of them. The other finishes; the retry finds the indexes there.
 */
export async function createIndexesRetrying<D extends Document>(
  collection: Collection<D>,
  specs: { key: IndexKey; sparse?: true }[],
  name: string,
): Promise<void> {
  await retryOnDeadlock(() => withDriverErrors(() => collection.createIndexes(specs), `Creating ${name} indexes`));
}

/** `action` (an index creation), tried again with jitter when it loses a deadlock, as above. */
export async function retryOnDeadlock(action: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await action();
      return;
    } catch (error) {
      if (attempt >= indexAttempts || !(error instanceof Error && /deadlock detected/i.test(error.message))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.random() * 100 * attempt));
    }
  }
}

/** Every stored document carries the tenant it belongs to (docs/security.md, "Tenant isolation"). */
export interface Tenanted {
  tenant?: string;
}

/**
 * The document operations every collection needs. Each subgraph's repository.ts extends it for its
 * own collection; nothing else touches a collection. Every driver call goes through
 * withDriverErrors, so duplicate keys surface as CONFLICT and a lost database as SERVICE_UNAVAILABLE.
 *
 * Tenant isolation lives here: `forTenant(tenant)` is the same repository with every filter ANDed
 * with `{ tenant }` and every insert stamped with it. Request contexts hold only such views, so no
 * resolver can read across tenants, and another tenant's id is simply not found (a 404, never a
 * 403). The unscoped repository a subgraph opens is for background workers, which read what they
 * must across tenants and then act through the view of the tenant stored on the job or hub.
 * Subclasses write their own queries through `scope()` and `stamp()`.
 */
export class DocumentRepository<T extends { _id: string }> implements CursorPageReader<T> {
  /** The tenant of this view; undefined only on the unscoped repository of background workers. */
  readonly tenant: string | undefined;

  /**
   * Options for every read a request waits on: `maxTimeMS` from DB_TIMEOUT_MS (mongo.ts openDatabase),
   * so the database cancels what the client no longer waits for and the client gets GATEWAY_TIMEOUT.
   */
  protected readonly bounded: { maxTimeMS?: number };

  protected constructor(
    protected readonly collection: Collection<T>,
    /** What the documents are called in error messages, e.g. "usage". */
    protected readonly noun: string,
  ) {
    const maxTimeMS = boundedCollections.get(collection);
    this.bounded = maxTimeMS === undefined ? {} : { maxTimeMS };
  }

  /** Opens a collection and creates its indexes (idempotent: run at every start-up). */
  protected static async collectionWithIndexes<D extends { _id: string }>(db: Db, name: string, indexes: (IndexKey | IndexSpec)[]): Promise<Collection<D>> {
    const collection = db.collection<D>(name);
    const timeout = commandTimeoutOf(db);
    if (timeout !== undefined) boundedCollections.set(collection, timeout);
    // One command for all of them; indexes that exist already are left as they are. None at all is
    // an error to the database ("at least one index"), so that call is not made.
    if (indexes.length)
      await createIndexesRetrying(
        collection,
        indexes.map((index) => (isSpec(index) ? index : { key: index })),
        name,
      );
    return collection;
  }

  /** This repository seen by one tenant (cheap: a view sharing the collection, made per request). */
  forTenant(tenant: string): this {
    if (!tenant) throw new Error('forTenant needs a tenant');
    const view = Object.create(this) as this;
    Object.defineProperty(view, 'tenant', { value: tenant, enumerable: true });
    return view;
  }

  /** `filter` within this view's tenant. */
  protected scope(filter: Filter<T>): Filter<T> {
    if (this.tenant === undefined) return filter;
    // Alongside the filter's own keys, unless it names `tenant` itself: then both must hold.
    return ('tenant' in filter ? { $and: [filter, { tenant: this.tenant }] } : { ...filter, tenant: this.tenant }) as Filter<T>;
  }

  /** `doc` stamped with this view's tenant. */
  protected stamp<D extends object>(doc: D): D & Tenanted {
    return this.tenant === undefined ? doc : { ...doc, tenant: this.tenant };
  }

  /**
   * What reads and writes by id add to their filter: documents that are on their way out (a usage
   * marked deleted until its event is relayed) are not found.
   */
  protected readonly live: Filter<T> = {};

  /** `{ _id: id }` within this view's tenant: another tenant's id matches nothing. */
  private byId(id: string): Filter<T> {
    return this.scope({ _id: id, ...this.live });
  }

  /** The documents of this view with these ids, in one query (none asked, none read). */
  async findByIds(ids: readonly string[]): Promise<T[]> {
    if (!ids.length) return [];
    return withDriverErrors(
      () => this.collection.find(this.scope({ _id: { $in: [...ids] }, ...this.live }), this.bounded).toArray() as Promise<T[]>,
      `Reading ${this.noun}s`,
    );
  }

  async find(filter: Filter<T>, sort: Sort, page: Page): Promise<T[]> {
    return (await this.read(filter, sort, page, page.limit)).items;
  }

  /** A page and whether more follow it: `limit + 1` documents read, the last one only looked at. */
  findPage(filter: Filter<T>, sort: Sort, page: Page): Promise<ReadPage<T>> {
    return this.read(filter, sort, page, page.limit + 1);
  }

  /**
   * Paths every document of this collection has (keyset paging bounds a sort on them by a range,
   * cursor.ts); `_id` always, a subclass adds its own.
   */
  protected readonly alwaysPresent: ReadonlySet<string> = new Set(['_id']);

  /**
   * Date paths every document has, set by the server when it writes (never later than its clock):
   * a newest-first list on one of them is read through recency windows (`windowFor`).
   */
  protected readonly serverTimes: ReadonlySet<string> = new Set();

  /**
   * A remembered estimate of the collection's size: recency windows only pay off on a large one. An
   * object of the base repository, changed in place, so that the per-request tenant views share it
   * (an assignment on a view would stay on that view, and every request would ask again).
   */
  private readonly size: { documents?: number; at?: number } = {};

  private async large(): Promise<boolean> {
    const now = Date.now();
    if (this.size.documents === undefined || now - (this.size.at ?? 0) > 60_000) {
      // DocumentDB's estimate is PostgreSQL's statistics, which can be far off: 800 for 1,000,000 usages
      // after a bulk delete and autovacuum (bench/RESULTS.md, volume), which turned the windows off and
      // a page took 1.5 s. A small estimate is checked by a count that stops at the threshold.
      const estimate = await withDriverErrors(() => this.collection.estimatedDocumentCount(this.bounded), `Counting ${this.noun}s`);
      this.size.documents =
        estimate >= windowedFrom
          ? estimate
          : await withDriverErrors(
              () => this.collection.countDocuments({}, { ...this.bounded, limit: windowedFrom, comment: sizeProbeComment }),
              `Counting ${this.noun}s`,
            );
      this.size.at = now;
    }
    return this.size.documents >= windowedFrom;
  }

  /**
   * The path and the newest instant a newest-first page reads down from, or null when the list is
   * not newest-first on a server time. Why windows: DocumentDB's indexes give no order
   * (docs/database.md, "Sorted pages"), so a sorted page is a top-N sort of every match: 1.4 s for a
   * tenant's 500,000 usages. A page read within `[anchor - span, ...)` that fills up is exactly the
   * page the whole list would give, since every document outside the window is older than every one
   * in it; only the window's few thousand index entries are sorted.
   */
  private windowFor(order: SortSpec, keyset: Page['keyset']): { path: string; anchor: number; key: string } | null {
    const [path, direction] = Object.entries(order)[0] ?? [];
    if (!path || direction !== -1 || !this.serverTimes.has(path) || keyset?.direction === 'before') return null;
    const cursorValue = keyset?.values[0];
    if (keyset && !(cursorValue instanceof Date)) return null;
    // Without a cursor, down from the newest document the last first page showed (when writes have
    // paused, "now" is hours past it and the first windows would hold nothing); the window is a
    // lower bound only, so documents stored since are inside it all the same.
    const key = `${this.tenant ?? ''}\u0000${path}`;
    const anchor = cursorValue instanceof Date ? cursorValue.getTime() : Math.min(Date.now(), this.newest.get(key) ?? Infinity);
    return { path, anchor, key };
  }

  /** The newest time of each tenant's first newest-first page (windowFor's anchor), shared by the tenant views. */
  private readonly newest = new ExpiringMap<number>(10_000);

  private async read(filter: Filter<T>, sort: Sort, page: Page, read: number): Promise<ReadPage<T>> {
    const { keyset } = page;
    const order = asSortSpec(sort);
    const where = keyset ? ({ $and: [filter, keysetFilter(order, keyset, this.alwaysPresent)] } as Filter<T>) : filter;
    // A `before` page is read nearest the cursor first, then turned round into the list's order.
    const direction = keyset?.direction === 'before' ? reversed(order) : order;
    const find = (condition: Filter<T>) =>
      withDriverErrors(
        () => this.collection.find(this.scope(condition), this.bounded).sort(direction).skip(page.skip).limit(read).toArray(),
        `Listing ${this.noun}s`,
      ) as Promise<T[]>;
    // Only the unfiltered list: a filter's own index serves a selective filter better, and a window
    // would not fill for it until it spans most of the list (measured: a specification and status
    // filter went from 0.4 to 2.2 s at 1,000,000 usages; bench/RESULTS.md).
    const window = Object.keys(filter).length === 0 ? this.windowFor(order, keyset) : null;
    let docs: T[] | undefined;
    if (window && (await this.large())) {
      for (const span of windowSpans) {
        const within = await find({ $and: [where, { [window.path]: { $gte: new Date(window.anchor - span) } }] } as Filter<T>);
        if (within.length === read) {
          docs = within;
          // A first page knows the newest time; a page at an offset keeps a known anchor from
          // expiring (pages at offsets 1-49 let it lapse between two first pages), or gives one: any
          // time in the list will do as a start, since a window is only a lower bound.
          const newest = (docs[0] as Record<string, unknown> | undefined)?.[window.path];
          if (!keyset && newest instanceof Date) {
            const known = this.newest.get(window.key);
            this.newest.set(window.key, page.skip === 0 || known === undefined ? newest.getTime() : known, Date.now() + 60_000);
          }
          break;
        }
      }
    }
    docs ??= await find(where);
    const more = docs.length > page.limit;
    const items = more ? docs.slice(0, page.limit) : docs;
    return { items: keyset?.direction === 'before' ? items.reverse() : items, more };
  }

  /**
   * How many documents hold each value at `path` (the metrics' states of jobs and hubs), in one
   * aggregate, across tenants on the unscoped repository. Bounded by `maxTimeMS`: a scrape waits for
   * it.
   */
  async countBy(path: string, maxTimeMS = 2_000): Promise<Map<string, number>> {
    const rows = await withDriverErrors(
      () =>
        this.collection
          .aggregate<{ _id: unknown; count: number }>([{ $match: this.scope({}) }, { $group: { _id: `$${path}`, count: { $sum: 1 } } }], { maxTimeMS })
          .toArray(),
      `Counting ${this.noun}s`,
    );
    return new Map(rows.map((row) => [String(row._id), row.count]));
  }

  count(filter: Filter<T>): Promise<number> {
    return withDriverErrors(() => this.collection.countDocuments(this.scope(filter), this.bounded), `Counting ${this.noun}s`);
  }

  async insert(doc: T): Promise<T> {
    const stamped = this.stamp(doc);
    await withDriverErrors(() => this.collection.insertOne(stamped as OptionalUnlessRequiredId<T>), `Creating a ${this.noun}`);
    return stamped;
  }

  /**
   * Inserts what it can of `docs` in one unordered command. Returns the indexes refused because a
   * document with the same _id exists (ids derived from a key: the same thing stored before); any
   * other failure throws.
   */
  insertNew(docs: readonly T[]): Promise<Set<number>> {
    return insertNew(
      this.collection,
      docs.map((doc) => this.stamp(doc)),
      `Storing ${this.noun}s`,
    );
  }

  // Updates and deletes by id are one command each, on the tenant-scoped filter: another tenant's
  // document is not matched, so it is neither changed nor returned (null, as for an unknown id).

  async update(id: string, update: UpdateFilter<T>): Promise<T | null> {
    return withDriverErrors(
      () => this.collection.findOneAndUpdate(this.byId(id), update, { returnDocument: 'after' }) as Promise<T | null>,
      `Updating a ${this.noun}`,
    );
  }

  async delete(id: string): Promise<T | null> {
    return withDriverErrors(() => this.collection.findOneAndDelete(this.byId(id)) as Promise<T | null>, `Deleting a ${this.noun}`);
  }
}

/**
 * Inserts what it can of `docs` into `collection` in one unordered command. Returns the indexes
 * refused because a document with the same _id exists; any other failure throws (`what` names the
 * write in the error).
 */
export async function insertNew<T extends Document>(collection: Collection<T>, docs: readonly T[], what: string): Promise<Set<number>> {
  const duplicates = new Set<number>();
  if (!docs.length) return duplicates;
  try {
    await collection.insertMany(docs as OptionalUnlessRequiredId<T>[], { ordered: false });
  } catch (error) {
    if (!(error instanceof MongoBulkWriteError)) return withDriverErrors(() => Promise.reject(error), what);
    // One error or a readonly list (OneOrMore): Array.isArray would narrow the list to any[], concat keeps the type.
    for (const writeError of ([] as WriteError[]).concat(error.writeErrors)) {
      if (writeError.code !== 11000) return withDriverErrors(() => Promise.reject(error), what);
      duplicates.add(writeError.index);
    }
  }
  return duplicates;
}
