import DataLoader from 'dataloader';

/**
 * A per-request loader of documents by _id: one repository call (a single `find` with `$in`) for
 * every id asked for in the same tick, results in key order, null for an id with no document: a
 * reference to data that does not exist yet is not an error.
 */
export function byIdLoader<T extends { _id: string }>(fetch: (ids: string[]) => Promise<T[]>): DataLoader<string, T | null> {
  return new DataLoader<string, T | null>(async (ids) => {
    const docs = await fetch([...ids]);
    const byId = new Map(docs.map((doc) => [doc._id, doc]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}
