import type { Collection, Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { createIndexesRetrying } from '../../subgraphs/shared/repository.js';

/** A collection whose createIndexes fails with `errors` in turn, then succeeds; it counts the calls. */
function collectionFailing(errors: Error[]): { collection: Collection<Document>; calls: () => number } {
  let calls = 0;
  const collection = {
    createIndexes: () => {
      calls++;
      const error = errors.shift();
      return error ? Promise.reject(error) : Promise.resolve(['ok']);
    },
  } as unknown as Collection<Document>;
  return { collection, calls: () => calls };
}

// What DocumentDB answers the start-up that loses the race (PostgreSQL SQLSTATE 40P01), as FerretDB relays it.
const deadlock = () => new Error('deadlock detected: Process 123 waits for ShareLock on transaction 456; blocked by process 789.');

describe('creating indexes when other start-ups create them too', () => {
  it('tries again after a deadlock, and succeeds once the other start-up is done', async () => {
    const { collection, calls } = collectionFailing([deadlock(), deadlock()]);
    await createIndexesRetrying(collection, [{ key: { tenant: 1 } }], 'test');
    expect(calls()).toBe(3);
  });

  it('gives up after six deadlocks in a row, and never retries another error', async () => {
    const many = collectionFailing(Array.from({ length: 10 }, deadlock));
    await expect(createIndexesRetrying(many.collection, [{ key: { tenant: 1 } }], 'test')).rejects.toThrow(/deadlock detected/);
    expect(many.calls()).toBe(6);
    const other = collectionFailing([new Error('Index build failed: invalid key')]);
    await expect(createIndexesRetrying(other.collection, [{ key: { tenant: 1 } }], 'test')).rejects.toThrow(/invalid key/);
    expect(other.calls()).toBe(1);
  });
});
