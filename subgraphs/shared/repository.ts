import type { Collection, Db, Filter, OptionalUnlessRequiredId, Sort, UpdateFilter } from 'mongodb';
import { withDriverErrors } from './mongo.js';
import type { Page } from './query.js';
import type { PageReader } from './page-source.js';

export type IndexKey = Record<string, 1 | -1>;

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
export class DocumentRepository<T extends { _id: string }> implements PageReader<T> {
  /** The tenant of this view; undefined only on the unscoped repository of background workers. */
  readonly tenant: string | undefined;

  protected constructor(
    protected readonly collection: Collection<T>,
    /** What the documents are called in error messages, e.g. "usage". */
    protected readonly noun: string,
  ) {}

  /** Opens a collection and creates its indexes (idempotent: run at every start-up). */
  protected static async collectionWithIndexes<D extends { _id: string }>(db: Db, name: string, indexes: IndexKey[]): Promise<Collection<D>> {
    const collection = db.collection<D>(name);
    // Only the missing ones: FerretDB 1.24 drops the connection ("slice bounds out of range") when
    // one createIndexes call names several indexes that all exist already.
    const existing = await withDriverErrors(
      () => collection.listIndexes().toArray().catch((error: { code?: number }) => (error.code === 26 ? [] : Promise.reject(error))),
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

  findByIds(ids: readonly string[]): Promise<T[]> {
    return withDriverErrors(
      () => this.collection.find(this.scope({ _id: { $in: [...ids] } } as Filter<T>)).toArray() as Promise<T[]>,
      `Reading ${this.noun}s`,
    );
  }

  find(filter: Filter<T>, sort: Sort, page: Page): Promise<T[]> {
    return withDriverErrors(
      () => this.collection.find(this.scope(filter)).sort(sort).skip(page.skip).limit(page.limit).toArray() as Promise<T[]>,
      `Listing ${this.noun}s`,
    );
  }

  count(filter: Filter<T>): Promise<number> {
    return withDriverErrors(() => this.collection.countDocuments(this.scope(filter)), `Counting ${this.noun}s`);
  }

  async insert(doc: T): Promise<T> {
    const stamped = this.stamp(doc as T & Tenanted);
    await withDriverErrors(() => this.collection.insertOne(stamped as OptionalUnlessRequiredId<T>), `Creating a ${this.noun}`);
    return stamped;
  }

  update(id: string, update: UpdateFilter<T>): Promise<T | null> {
    return withDriverErrors(
      () => this.collection.findOneAndUpdate(this.scope({ _id: id } as Filter<T>), update, { returnDocument: 'after' }) as Promise<T | null>,
      `Updating a ${this.noun}`,
    );
  }

  delete(id: string): Promise<T | null> {
    return withDriverErrors(
      () => this.collection.findOneAndDelete(this.scope({ _id: id } as Filter<T>)) as Promise<T | null>,
      `Deleting a ${this.noun}`,
    );
  }
}
