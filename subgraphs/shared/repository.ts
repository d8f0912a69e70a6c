import type { Collection, Db, Filter, IndexDescriptionInfo, MongoError, OptionalUnlessRequiredId, Sort, UpdateFilter } from 'mongodb';
import { commandTimeoutOf, withDriverErrors } from './mongo.js';
import type { Page } from './query.js';
import { asSortSpec, keysetFilter, reversed } from './cursor.js';
import type { CursorPageReader, ReadPage } from './page-source.js';

export type IndexKey = Record<string, 1 | -1>;

/** The DB_TIMEOUT_MS of the collections repositories were opened on (see `bounded`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- keyed by collections of every document type
const boundedCollections = new WeakMap<Collection<any>, number>();

/** Every stored document carries the tenant it belongs to (README, "Tenant isolation"). */
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
  protected static async collectionWithIndexes<D extends { _id: string }>(db: Db, name: string, indexes: IndexKey[]): Promise<Collection<D>> {
    const collection = db.collection<D>(name);
    const timeout = commandTimeoutOf(db);
    if (timeout !== undefined) boundedCollections.set(collection, timeout);
    // Only the missing ones: FerretDB 1.24 drops the connection ("slice bounds out of range") when
    // one createIndexes call names several indexes that all exist already.
    const existing = await withDriverErrors<IndexDescriptionInfo[]>(
      () =>
        collection
          .listIndexes()
          .toArray()
          .catch((error: MongoError) => (error.code === 26 ? [] : Promise.reject(error))),
      `Reading ${name} indexes`,
    );
    const have = new Set(existing.map((index) => JSON.stringify(index.key)));
    const missing = indexes.filter((key) => !have.has(JSON.stringify(key)));
    if (missing.length) {
      await withDriverErrors(() => collection.createIndexes(missing.map((key) => ({ key }))), `Creating ${name} indexes`);
    }
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
   * The document with this id if it is this view's. Read by `_id` alone and checked here: FerretDB 1.24
   * uses the _id index only for a filter that names `_id` and nothing else (its explain's
   * `filterPushdown`; `{ _id, tenant }` scans the whole collection). `_id` is unique across tenants and
   * no operation changes a document's tenant, so the check is as good as the filter.
   */
  protected async findOwn(id: string, action: string): Promise<T | null> {
    const doc = (await withDriverErrors(() => this.collection.findOne({ _id: id } as Filter<T>, this.bounded), action)) as (T & Tenanted) | null;
    return doc && (this.tenant === undefined || doc.tenant === this.tenant) ? doc : null;
  }

  async findByIds(ids: readonly string[]): Promise<T[]> {
    // One id (a get, a client polling its job) as an equality, which FerretDB answers from the _id index (see findOwn).
    if (ids.length === 1) {
      const doc = await this.findOwn(ids[0]!, `Reading ${this.noun}s`);
      return doc ? [doc] : [];
    }
    return withDriverErrors(
      () => this.collection.find(this.scope({ _id: { $in: [...ids] } } as Filter<T>), this.bounded).toArray() as Promise<T[]>,
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

  private async read(filter: Filter<T>, sort: Sort, page: Page, read: number): Promise<ReadPage<T>> {
    const { keyset } = page;
    const order = asSortSpec(sort);
    const where = keyset ? ({ $and: [filter, keysetFilter(order, keyset, this.alwaysPresent)] } as Filter<T>) : filter;
    // A `before` page is read nearest the cursor first, then turned round into the list's order.
    const direction = keyset?.direction === 'before' ? reversed(order) : order;
    const docs = (await withDriverErrors(
      () => this.collection.find(this.scope(where), this.bounded).sort(direction).skip(page.skip).limit(read).toArray(),
      `Listing ${this.noun}s`,
    )) as T[];
    const more = docs.length > page.limit;
    const items = more ? docs.slice(0, page.limit) : docs;
    return { items: keyset?.direction === 'before' ? items.reverse() : items, more };
  }

  count(filter: Filter<T>): Promise<number> {
    return withDriverErrors(() => this.collection.countDocuments(this.scope(filter), this.bounded), `Counting ${this.noun}s`);
  }

  async insert(doc: T): Promise<T> {
    const stamped = this.stamp(doc);
    await withDriverErrors(() => this.collection.insertOne(stamped as OptionalUnlessRequiredId<T>), `Creating a ${this.noun}`);
    return stamped;
  }

  // Updates and deletes by id check the tenant with findOwn first and then write by `_id` alone, for
  // FerretDB's _id index (see findOwn): one indexed read more rather than a scan of the collection.

  async update(id: string, update: UpdateFilter<T>): Promise<T | null> {
    if (this.tenant !== undefined && !(await this.findOwn(id, `Updating a ${this.noun}`))) return null;
    return withDriverErrors(
      () => this.collection.findOneAndUpdate({ _id: id } as Filter<T>, update, { returnDocument: 'after' }) as Promise<T | null>,
      `Updating a ${this.noun}`,
    );
  }

  async delete(id: string): Promise<T | null> {
    if (this.tenant !== undefined && !(await this.findOwn(id, `Deleting a ${this.noun}`))) return null;
    return withDriverErrors(() => this.collection.findOneAndDelete({ _id: id } as Filter<T>) as Promise<T | null>, `Deleting a ${this.noun}`);
  }
}
