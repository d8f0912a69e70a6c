import fc from 'fast-check';
import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { maxNesting, measureOperation } from '../../gateway/operation-cost.js';

// Hostile documents are measured in time linear in their size: each selection of the document is
// walked once at most (`visits`), however often its fragment is spread. Counting work, not time,
// keeps the test independent of the machine.
const schema = buildSchema(`
  type Query { productUsages(limit: Int): Page, node: Node }
  type Page { totalCount: Int, items: [Usage] }
  type Usage { id: ID, description: String, next: Usage }
  type Node { id: ID, child: Node }
`);
const pageSize = { defaultSize: 20, maxSize: 1000 };
const measure = (text: string) => measureOperation(schema, parse(text), null, {}, pageSize)!;
const selectionsIn = (text: string) => (text.match(/\.\.\.|[A-Za-z_]\w*(?=\s*[{}]|\s+\w|\s*\()/g) ?? []).length;

/** `n` fragments, each spreading the next `fanOut` times: cost fanOut^n. */
function chain(n: number, fanOut: number): string {
  let text = 'query { productUsages(limit: 1) { ...F0 } }\n';
  for (let i = 0; i < n; i++) text += `fragment F${i} on Page { ${Array.from({ length: fanOut }, () => `...F${i + 1}`).join(' ')} }\n`;
  return `${text}fragment F${n} on Page { totalCount }\n`;
}

describe('measureOperation on hostile documents', () => {
  it('measures doubling fragment chains exactly, walking each selection once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 3 }), (n, fanOut) => {
        const text = chain(n, fanOut);
        const m = measure(text);
        expect(m.cost).toBe(Math.min(1 + fanOut ** n, Number.MAX_SAFE_INTEGER));
        expect(m.depth).toBe(2);
        expect(m.visits).toBeLessThanOrEqual(2 * (n + 2) + n * fanOut);
      }),
    );
  });

  it('measures a chain of 3,000 fragments (about 100 KB) as too costly, with one visit per selection', () => {
    const text = chain(3_000, 2);
    expect(text.length).toBeGreaterThan(90_000);
    const m = measure(text);
    expect(m.cost).toBe(Number.MAX_SAFE_INTEGER);
    expect(m.visits).toBeLessThanOrEqual(selectionsIn(text) + 3_000);
  });

  it('stops walking past maxNesting and says so, for fields and for fragments each nesting the next', () => {
    const fields = `query { node { ${'child { '.repeat(3_000)}id${' }'.repeat(3_000)} } }`;
    expect(measure(fields).depth).toBe(maxNesting + 1);
    const n = 3_000;
    const nested = `query { node { ...N0 } }\n${Array.from({ length: n }, (_, i) => `fragment N${i} on Node { child { ...N${i + 1} } }`).join('\n')}\nfragment N${n} on Node { id }`;
    const m = measure(nested);
    expect(m.depth).toBe(maxNesting + 1);
    expect(m.visits).toBeLessThanOrEqual(3 * n + 10);
  });

  it('counts deep nesting and long alias lists', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: maxNesting - 2 }), fc.integer({ min: 0, max: 2_000 }), (levels, aliasCount) => {
        const nested = `query { node { ${'child { '.repeat(levels)}id${' }'.repeat(levels)} } }`;
        expect(measure(nested).depth).toBe(levels + 2);
        const aliased = `query { productUsages(limit: 1) { ${Array.from({ length: aliasCount }, (_, i) => `a${i}: totalCount`).join(' ')} totalCount } }`;
        const m = measure(aliased);
        expect(m.aliases).toBe(aliasCount);
        expect(m.cost).toBe(2 + aliasCount);
      }),
      { numRuns: 30 },
    );
  });

  it('counts a fragment\u2019s aliases and cost at every spread, as if written out', () => {
    const spread = measure('query { productUsages(limit: 2) { ...A ...A } } fragment A on Page { x: totalCount y: totalCount }');
    const written = measure('query { productUsages(limit: 2) { x: totalCount y: totalCount x2: totalCount y2: totalCount } }');
    expect({ cost: spread.cost, aliases: spread.aliases, depth: spread.depth }).toEqual({ cost: written.cost, aliases: written.aliases, depth: written.depth });
  });
});
