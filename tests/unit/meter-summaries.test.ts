import { describe, expect, it } from 'vitest';
import { packCells, unpackCells, type MeterCell } from '../../subgraphs/usage/rollups/meter-summaries.js';

describe('packed meter summary cells', () => {
  it('give back every part’s cells as they were: null keys, null min and max, repeated and many strings', () => {
    const fold = (n: number) => ({ count: n, sum: n * 1.5, min: n % 3 ? -n / 7 : null, max: n % 3 ? n * 1e12 : null });
    const cells: MeterCell[] = Array.from({ length: 300 }, (_, n) => ({ type: n % 5 ? `type-${n % 4}` : null, status: `status-${n % 3}`, ...fold(n) }));
    expect(unpackCells('cells', packCells('cells', cells))).toEqual(cells);
    const quarters = cells.map((cell, n) => ({ ...cell, q: n % 4 }));
    expect(unpackCells('quarters', packCells('quarters', quarters))).toEqual(quarters);
    const specCells = cells.map((cell, n) => ({ ...cell, spec: n % 7 ? `spec-${n}-é-✓` : null }));
    expect(unpackCells('specCells', packCells('specCells', specCells))).toEqual(specCells);
    expect(unpackCells('cells', packCells('cells', []))).toEqual([]);
  });

  it('store each string once, and 40 bytes a cell of type and status', () => {
    const cells = Array.from({ length: 30 }, (_, n) => ({ type: `type-${n % 5}`, status: `status-${n % 6}`, count: 1, sum: 2, min: 2, max: 2 }));
    const packed = packCells('cells', cells);
    expect(packed.strings).toHaveLength(11);
    expect(packed.packed.length()).toBe(30 * 40);
  });
});
