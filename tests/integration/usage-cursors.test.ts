import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsagePageDocument, type UsagePageQueryVariables } from '../operations/generated.js';
import { createUsage } from '../support/fixtures.js';
import { dataOf, startStack, type Stack } from '../support/stack.js';

// Keyset paging (subgraphs/shared/cursor.ts): walking a list by nextCursor, and back by
// previousCursor, gives exactly the list that offset paging gives, in both directions, for the
// default sort and for a sort on a field that some usages lack (nulls first ascending, last descending).
let stack: Stack;
const count = 23;
beforeAll(async () => {
  stack = await startStack('usage_cursors');
  for (let i = 0; i < count; i++) {
    // Every third has no usageDate; the others share dates in pairs, so the tie-break on _id matters.
    const usageDate = i % 3 === 0 ? undefined : `2026-11-${String(10 + Math.floor(i / 2)).padStart(2, '0')}T00:00:00Z`;
    await createUsage(stack, { usageType: 'cursor', ...(usageDate ? { usageDate } : {}) });
  }
});
afterAll(async () => {
  await stack?.close();
});

const filter = { usageType: ['cursor'] };
const read = async (variables: UsagePageQueryVariables) => dataOf(await stack.request(UsagePageDocument, { filter, ...variables })).productUsages;
const notACursor = (name: string) => `${name} is not a cursor of this list (with this sort); use the cursor a page of it gave.`;
const idsOf = (page: { items: { id: string }[] }) => page.items.map((item) => item.id);

async function walk(sort: UsagePageQueryVariables['sort']) {
  const whole = idsOf(await read({ sort, limit: 100 }));
  const forward: string[][] = [];
  let page = await read({ sort, limit: 5 });
  expect(page.previousCursor).toBeNull();
  forward.push(idsOf(page));
  while (page.nextCursor) {
    page = await read({ sort, limit: 5, after: page.nextCursor });
    expect(page.totalCount).toBe(count);
    forward.push(idsOf(page));
  }
  const backward: string[][] = [idsOf(page)];
  while (page.previousCursor) {
    page = await read({ sort, limit: 5, before: page.previousCursor });
    backward.unshift(idsOf(page));
  }
  return { whole, forward, backward };
}

describe('cursor paging of productUsages', () => {
  it('walks the default order (newest first) forward and back, page for page as offset gives them', async () => {
    const { whole, forward, backward } = await walk(undefined);
    expect(whole).toHaveLength(count);
    expect(forward.map((ids) => ids.length)).toEqual([5, 5, 5, 5, 3]);
    expect(forward.flat()).toEqual(whole);
    expect(backward).toEqual(forward);
  });

  it('walks a sort on a field some usages lack, ascending and descending', async () => {
    for (const direction of ['ASC', 'DESC'] as const) {
      const { whole, forward, backward } = await walk([{ field: 'usageDate', direction }]);
      expect(forward.flat(), direction).toEqual(whole);
      expect(backward, direction).toEqual(forward);
    }
  });

  it('refuses a cursor with offset, with the other cursor, of another sort, or made up', async () => {
    const first = await read({ limit: 5 });
    const refusals = [
      { variables: { after: first.nextCursor, offset: 5 }, message: 'offset cannot be combined with after or before: a cursor says where the page starts.' },
      { variables: { after: first.nextCursor, before: first.nextCursor }, message: 'Give after or before, not both.' },
      { variables: { after: first.nextCursor, sort: [{ field: 'usageDate' as const }] }, message: notACursor('after') },
      { variables: { before: 'bm90IGEgY3Vyc29y' }, message: notACursor('before') },
      { variables: { after: '{"$gt":""}' }, message: notACursor('after') },
    ];
    for (const { variables, message } of refusals) {
      const result = await stack.request(UsagePageDocument, { filter, limit: 5, ...variables });
      expect(result.data, JSON.stringify(variables)).toBeNull();
      expect(result.errors, JSON.stringify(variables)).toEqual([{ message, path: ['productUsages'], extensions: { code: 'BAD_USER_INPUT' } }]);
    }
  });
});

describe('cursor paging of the TMF v5 productUsage list', () => {
  const base = '/tmf-api/productUsageManagement/v5/productUsage';
  const next = (link: string | null, rel: string) => new RegExp(`<([^>]+)>; rel="${rel}"`).exec(link ?? '')?.[1];

  it('links each page to the next and the previous one, with the same query', async () => {
    const whole = await stack.rest('GET', `${base}?usageType=cursor&limit=100&fields=id`);
    const ids: string[] = [];
    let response = await stack.rest('GET', `${base}?usageType=cursor&limit=10&fields=id`);
    expect(next(response.headers.get('link'), 'prev')).toBeUndefined();
    const pages = [response];
    for (;;) {
      expect(response.status).toBe(200);
      expect(response.headers.get('x-total-count')).toBe(String(count));
      ids.push(...(response.body as { id: string }[]).map((u) => u.id));
      const link = next(response.headers.get('link'), 'next');
      if (!link) break;
      expect(new URLSearchParams(link.split('?')[1]).get('usageType')).toBe('cursor');
      response = await stack.rest('GET', link);
      pages.push(response);
    }
    expect(ids).toEqual((whole.body as { id: string }[]).map((u) => u.id));
    expect(pages.map((page) => (page.body as unknown[]).length)).toEqual([10, 10, 3]);
    const back = await stack.rest('GET', next(response.headers.get('link'), 'prev')!);
    expect(back.body).toEqual(pages[1]!.body);
  });

  it('answers a bad cursor with a TMF 400 naming it, and the v4 list refuses cursors', async () => {
    const bad = await stack.rest('GET', `${base}?after=bm90`);
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ '@type': 'Error', code: '400', reason: 'Bad Request', message: notACursor('after'), status: '400' });
    const v4 = await stack.rest('GET', '/tmf-api/usageManagement/v4/usage?after=bm90');
    expect(v4.status).toBe(400);
    expect(v4.body.message).toBe('Parameter "after" is not supported here (cursor paging); page with offset and limit.');
  });
});
