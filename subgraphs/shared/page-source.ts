import type { Document, Filter, Sort } from 'mongodb';
import { asSortSpec, cursorOf } from './cursor.js';
import type { Page } from './query.js';

/**
 * What a `{ totalCount, items }` page field resolves from: either a query still to run (so a client
 * asking only for items costs one `find` and one asking only for totalCount one `count`), or a page
 * a batched loader has already computed.
 */
export type PageSource<T extends Document> = { kind: 'query'; filter: Filter<T>; sort: Sort; page: Page } | { kind: 'loaded'; totalCount: number; items: T[] };

export interface PageReader<T extends Document> {
  find(filter: Filter<T>, sort: Sort, page: Page): Promise<T[]>;
  count(filter: Filter<T>): Promise<number>;
}

/** A page's items, and whether the list goes on past them in reading order. */
export interface ReadPage<T> {
  items: T[];
  more: boolean;
}

export interface CursorPageReader<T extends Document> extends PageReader<T> {
  findPage(filter: Filter<T>, sort: Sort, page: Page): Promise<ReadPage<T>>;
}

/** Resolvers for a page type, given how to reach the repository from the context. */
export function pageResolvers<T extends Document, C>(reader: (context: C) => PageReader<T>) {
  return {
    totalCount: (source: PageSource<T>, _args: unknown, context: C) => (source.kind === 'loaded' ? source.totalCount : reader(context).count(source.filter)),
    items: (source: PageSource<T>, _args: unknown, context: C) =>
      source.kind === 'loaded' ? source.items : reader(context).find(source.filter, source.sort, source.page),
  };
}

/**
 * Resolvers for a page type that also answers `nextCursor` and `previousCursor` (cursor.ts). Items
 * and cursors come from one read of `limit + 1` documents per page, remembered for the page source;
 * a loaded page (a reverse lookup, paged by offset) has no cursors.
 */
export function cursorPageResolvers<T extends Document, C>(reader: (context: C) => CursorPageReader<T>) {
  const reads = new WeakMap<object, Promise<ReadPage<T>>>();
  const read = (source: Extract<PageSource<T>, { kind: 'query' }>, context: C) => {
    let pending = reads.get(source);
    if (!pending) {
      pending = reader(context).findPage(source.filter, source.sort, source.page);
      reads.set(source, pending);
    }
    return pending;
  };
  const plain = pageResolvers(reader);
  return {
    totalCount: plain.totalCount,
    items: async (source: PageSource<T>, _args: unknown, context: C) => (source.kind === 'loaded' ? source.items : (await read(source, context)).items),
    nextCursor: async (source: PageSource<T>, _args: unknown, context: C) => {
      if (source.kind === 'loaded') return null;
      const { items, more } = await read(source, context);
      const last = items.at(-1);
      // Reading backwards, the page that follows is where the client came from: there is one.
      return last && (more || source.page.keyset?.direction === 'before') ? cursorOf(last, asSortSpec(source.sort)) : null;
    },
    previousCursor: async (source: PageSource<T>, _args: unknown, context: C) => {
      if (source.kind === 'loaded') return null;
      const { items, more } = await read(source, context);
      const first = items[0];
      const backwards = source.page.keyset?.direction === 'before';
      return first && (backwards ? more : source.page.skip > 0 || source.page.keyset !== undefined) ? cursorOf(first, asSortSpec(source.sort)) : null;
    },
  };
}
