import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backgroundComment } from '../../platform/mongo.js';
import { UsagePageDocument } from '../operations/generated.js';
import { dataOf, startStack, type Stack } from '../support/stack.js';

// Newest-first pages of a large collection are read through recency windows
// (DocumentRepository.windowFor): the page must be exactly the one the whole sorted list gives, for
// the first page, an offset page, cursor pages and a filtered page, whichever window fills it.
let stack: Stack;
const total = 24_000;
const hour = 3_600_000;
const finds: unknown[] = [];
const counts: unknown[] = [];
beforeAll(async () => {
  stack = await startStack('usage_windows');
  const usages = stack.db.collection('productUsages');
  const now = Date.now();
  for (let start = 0; start < total; start += 6_000) {
    await usages.insertMany(
      Array.from({ length: 6_000 }, (_, j) => {
        const i = start + j;
        // Dense in the last hours, sparse further back: 2,000 in the last 2 hours, the rest over 200 days,
        // a few in the future (a writer's clock ahead), and pairs with the same instant.
        const age = i < 2_000 ? (i % 1_000) * 7_200 : i < 2_010 ? -60_000 : Math.floor(((i - 2_000) / (total - 2_000)) ** 2 * 200 * 24) * hour;
        const at = new Date(now - age);
        return {
          _id: `w-${String(i).padStart(6, '0')}` as never,
          tenant: 'test-tenant',
          usageType: i % 7 === 0 ? 'rare' : 'common',
          creationDate: at,
          lastUpdate: at,
          status: 'initialized',
          type: 'ProductUsage',
          relatedParty: [],
          usageCharacteristic: [],
        };
      }),
    );
  }
  // The request's own commands: not the subgraph's background workers (the outbox sweep reads
  // productUsages too), left out by their comment as tests/support/stack.ts's CommandLog does.
  stack.db.client.on('commandStarted', (event) => {
    if (event.command.comment === backgroundComment) return;
    if (event.commandName === 'find' && event.command.find === 'productUsages') finds.push(event.command.filter);
    if (event.commandName === 'count' && event.command.count === 'productUsages') counts.push(event.command);
  });
}, 120_000);
afterAll(async () => {
  await stack?.close();
});

/** The truth: the whole list sorted by the driver, newest first with _id breaking ties. */
const truth = async (filter: object, skip: number, limit: number) =>
  (
    await stack.db
      .collection('productUsages')
      .find({ tenant: 'test-tenant', ...filter }, { projection: { _id: 1 } })
      .sort({ creationDate: -1, _id: -1 })
      .skip(skip)
      .limit(limit)
      .toArray()
  ).map((doc) => String(doc._id));

const page = async (variables: object) => dataOf(await stack.request(UsagePageDocument, variables as never)).productUsages;
const ids = (result: { items: { id: string }[] }) => result.items.map((item) => item.id);

describe('newest-first pages of a large collection', () => {
  it('read down from the newest usage the last first page showed, when writes stopped hours ago', async () => {
    // Another tenant whose 3,000 usages all lie 3 to 4 days back: windows down from "now" hold none.
    const now = Date.now();
    await stack.db.collection('productUsages').insertMany(
      Array.from({ length: 3_000 }, (_, i) => {
        const at = new Date(now - 3 * 24 * hour - i * 29_000);
        return {
          _id: `aged-${String(i).padStart(5, '0')}` as never,
          tenant: 'aged-tenant',
          creationDate: at,
          lastUpdate: at,
          status: 'initialized',
          type: 'ProductUsage',
          relatedParty: [],
          usageCharacteristic: [],
        };
      }),
    );
    const aged = { authorization: `Bearer ${await stack.mintToken({ tenant: 'aged-tenant' })}` };
    const expected = (await stack.db.collection('productUsages').find({ tenant: 'aged-tenant' }).sort({ creationDate: -1, _id: -1 }).limit(20).toArray()).map(
      (d) => String(d._id),
    );
    finds.length = 0;
    const first = dataOf(await stack.request(UsagePageDocument, { limit: 20 }, aged)).productUsages;
    expect(ids(first)).toEqual(expected);
    expect(finds.length).toBeGreaterThanOrEqual(3);
    finds.length = 0;
    counts.length = 0;
    const again = dataOf(await stack.request(UsagePageDocument, { limit: 20 }, aged)).productUsages;
    expect(ids(again)).toEqual(expected);
    expect(finds).toHaveLength(1);
    // The collection's size is remembered across requests, not asked again by each.
    expect(counts).toEqual([]);
  });

  it('are the pages of the whole sorted list, read through a recency window', async () => {
    finds.length = 0;
    expect(ids(await page({ limit: 20 }))).toEqual(await truth({}, 0, 20));
    // The page came from a window: a creationDate lower bound in the find's filter.
    expect(JSON.stringify(finds)).toContain('"creationDate":{"$gte"');
    expect(ids(await page({ limit: 50, offset: 3_000 }))).toEqual(await truth({}, 3_000, 50));
    // A filtered list is one query on the filter's index, and the same page.
    const rare = await truth({ usageType: 'rare' }, 0, 20);
    finds.length = 0;
    expect(ids(await page({ limit: 20, filter: { usageType: ['rare'] } }))).toEqual(rare);
    expect(finds).toHaveLength(1);
  });

  it('walk by cursor exactly as offset pages, into the sparse past and back', async () => {
    let result = await page({ limit: 500 });
    const walked = [...ids(result)];
    for (let i = 0; i < 8 && result.nextCursor; i++) {
      result = await page({ limit: 500, after: result.nextCursor });
      walked.push(...ids(result));
    }
    expect(walked).toEqual(await truth({}, 0, walked.length));
    const back = await page({ limit: 500, before: result.previousCursor });
    expect(ids(back)).toEqual(walked.slice(-1_000, -500));
  });
});
