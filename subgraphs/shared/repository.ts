import type { Collection, Db, Filter, OptionalUnlessRequiredId, Sort, UpdateFilter } from 'mongodb';
import { withDriverErrors } from './mongo.js';
import type { Page } from './query.js';
import type { PageReader } from './page-source.js';

export type IndexKey = Record<string, 1 | -1>;

/**
 * The document operations every collection needs. Each subgraph's repository.ts extends it for its
 * own collection; nothing else touches a collection. Every driver call goes through
 * withDriverErrors, so duplicate keys surface as CONFLICT and a lost database as SERVICE_UNAVAILABLE.
 */
export class DocumentRepository<T extends { _id: string }> implements PageReader<T> {
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

  findByIds(ids: readonly string[]): Promise<T[]> {
    return withDriverErrors(
      () => this.collection.find({ _id: { $in: [...ids] } } as Filter<T>).toArray() as Promise<T[]>,
      `Reading ${this.noun}s`,
    );
  }

  find(filter: Filter<T>, sort: Sort, page: Page): Promise<T[]> {
    return withDriverErrors(
      () => this.collection.find(filter).sort(sort).skip(page.skip).limit(page.limit).toArray() as Promise<T[]>,
      `Listing ${this.noun}s`,
    );
  }

  count(filter: Filter<T>): Promise<number> {
    return withDriverErrors(() => this.collection.countDocuments(filter), `Counting ${this.noun}s`);
  }

  async insert(doc: T): Promise<T> {
    await withDriverErrors(() => this.collection.insertOne(doc as OptionalUnlessRequiredId<T>), `Creating a ${this.noun}`);
    return doc;
  }

  update(id: string, update: UpdateFilter<T>): Promise<T | null> {
    return withDriverErrors(
      () => this.collection.findOneAndUpdate({ _id: id } as Filter<T>, update, { returnDocument: 'after' }) as Promise<T | null>,
      `Updating a ${this.noun}`,
    );
  }

  delete(id: string): Promise<T | null> {
    return withDriverErrors(
      () => this.collection.findOneAndDelete({ _id: id } as Filter<T>) as Promise<T | null>,
      `Deleting a ${this.noun}`,
    );
  }
}
