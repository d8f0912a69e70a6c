import { describe, expect, it } from 'vitest';
import { packCells, PackedCells, unpackCells, type MeterCell } from '../../subgraphs/usage/rollups/meter-summaries.js';

describe('packed meter summary cells', () => {
  it('give back every part’s cells as they were: null keys, null min and max, repeated and many strings', () => {
    const fold = (n: number) => ({ count: n, sum: n * 1.5, min: n % 3 ? -n / 7 : null, max: n % 3 ? n * 1e12 : null });
    const cells: MeterCell[] = Array.from({ length: 300 }, (_, n) => ({ type: n % 5 ? `type-${n % 4}` : null, status: `status-${n % 3}`, ...fold(n) }));
    expect(unpackCells('cells', packCells('cells', cells))).toEqual(cells);
    const quarters = cells.map((cell, n) => ({ ...cell, q: n % 4 }));
    expect(unpackCells('quarters', packCells('quarters', quarters))).toEqual(quarters);
    const specCells = cells.map((cell, n) => ({ ...cell, spec: n % 7 ? `spec-${n}-é-✓` : null }));
    expect(unpackCells('specCells', packCells('specCells', specCells))).toEqual(specCells);
    const specQuarters = specCells.map((cell, n) => ({ ...cell, q: (n * 3) % 4 }));
    expect(unpackCells('specQuarters', packCells('specQuarters', specQuarters))).toEqual(specQuarters);
    expect(['q', 'spec', 'type', 'status'].map((field) => PackedCells.position('specQuarters', field as 'q'))).toEqual([0, 1, 2, 3]);
    expect(unpackCells('cells', packCells('cells', []))).toEqual([]);
  });

  it('store each string once, and 40 bytes a cell of type and status', () => {
    const cells = Array.from({ length: 30 }, (_, n) => ({ type: `type-${n % 5}`, status: `status-${n % 6}`, count: 1, sum: 2, min: 2, max: 2 }));
    const packed = packCells('cells', cells);
    expect(packed.strings).toHaveLength(11);
    expect(packed.packed.length()).toBe(30 * 40);
  });

  it('are read in place by position: string indexes, noKey for null, the quarter itself, NaN for a null min or max', () => {
    const quarters: MeterCell[] = [
      { q: 3, type: null, status: 'rated', count: 2, sum: 5, min: null, max: null },
      { q: 1, type: 'data', status: 'billed', count: 1, sum: -1.5, min: -1.5, max: -1.5 },
    ];
    const stored = packCells('quarters', quarters);
    const cells = new PackedCells('quarters', stored.strings, stored.packed);
    const [q, type, status] = (['q', 'type', 'status'] as const).map((field) => PackedCells.position('quarters', field));
    expect([q, type, status, PackedCells.position('quarters', 'spec'), PackedCells.position('cells', 'q')]).toEqual([0, 1, 2, -1, -1]);
    expect(cells.length).toBe(2);
    expect([cells.key(0, q!), cells.key(0, type!), cells.strings[cells.key(0, status!)]]).toEqual([3, PackedCells.noKey, 'rated']);
    expect([cells.key(1, q!), cells.strings[cells.key(1, type!)], cells.strings[cells.key(1, status!)]]).toEqual([1, 'data', 'billed']);
    expect([cells.value(0, 0), cells.value(0, 1), cells.value(0, 2), cells.value(0, 3)]).toEqual([2, 5, NaN, NaN]);
    expect([cells.value(1, 0), cells.value(1, 1), cells.value(1, 2), cells.value(1, 3)]).toEqual([1, -1.5, -1.5, -1.5]);
  });
});
