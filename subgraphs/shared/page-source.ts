import type { Document, Filter, Sort } from 'mongodb';
import type { Page } from './query.js';

/**
 * What a `{ totalCount, items }` page field resolves from: either a query still to run (so a client
 * asking only for items costs one `find` and one asking only for totalCount one `count`), or a page
 * a batched loader has already computed.
 */
export type PageSource<T extends Document> =
  | { kind: 'query'; filter: Filter<T>; sort: Sort; page: Page }
  | { kind: 'loaded'; totalCount: number; items: T[] };

export interface PageReader<T extends Document> {
  find(filter: Filter<T>, sort: Sort, page: Page): Promise<T[]>;
  count(filter: Filter<T>): Promise<number>;
}

/** Resolvers for a page type, given how to reach the repository from the context. */
export function pageResolvers<T extends Document, C>(reader: (context: C) => PageReader<T>) {
  return {
    totalCount: (source: PageSource<T>, _args: unknown, context: C) =>
      source.kind === 'loaded' ? source.totalCount : reader(context).count(source.filter),
    items: (source: PageSource<T>, _args: unknown, context: C) =>
      source.kind === 'loaded' ? source.items : reader(context).find(source.filter, source.sort, source.page),
  };
}
