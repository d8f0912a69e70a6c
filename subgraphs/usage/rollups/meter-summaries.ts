import { Binary } from 'mongodb';

/**
 * The meter summaries (docs/meters.md, "From the rollups"): per tenant, UTC hour, characteristic
 * name (null: the counts) and part, one document holding that hour's folded values as cells, by
 * the dimensions few enough to stay small whatever the volume: usage type and status (`cells`),
 * the same by quarter of the hour (`quarters`), by specification too (`specCells`), and that by
 * quarter (`specQuarters`).
 *
 * Why a document per hour with arrays, and not a row per cell like the hourly rollups: on
 * DocumentDB a `$group` costs about 9 µs a row, so a 30-day meter over rows of 30 groups an hour
 * (21,600 rows) takes about 180 ms; the same cells in 720 documents read and fold in Node in about
 * 50 ms, and the cost follows the hours and groups, not the usages. Quarters because every IANA
 * zone's offset is a multiple of 15 minutes: a day window in Asia/Kolkata (+05:30) cuts an hour at
 * :30, and its two halves come from the quarters instead of from the usages: by specification
 * too, since DocumentDB reads a cut hour's usages at about 70 µs each (30 days in Kolkata by
 * specification, 30 cut hours of 230 usages: 0.5-0.8 s, bench/RESULTS.md, volume), where 30
 * summaries of at most as many cells as the hour's usages read in milliseconds. A document per part,
 * not the three parts in one: PostgreSQL stores a document over 2 kB compressed out of line
 * (TOAST), and one holding the 200 cells by specification made a 30-day meter by type and status
 * read and decompress about 20 MB (218 ms at 1,000,000 usages, against 60 ms at 10,000).
 *
 * The cells are stored packed (packCells), not as an array of documents: 30 cells as BSON
 * documents are about 2.8 kB, over PostgreSQL's 2 kB TOAST threshold, and reading the 720 summaries
 * of a 30-day meter took 57-87 ms; packed (about 1.3 kB) the same read takes 12-18 ms, and the
 * driver decodes 720 buffers instead of 21,000 small documents (bench/RESULTS.md, volume).
 */

/** Folded values of one cell: count, sum, min and max of a characteristic's numbers (or the usages counted). */
export interface MeterFold {
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
}

export interface MeterCell extends MeterFold {
  type: string | null;
  status: string;
  /** `specCells` and `specQuarters` only. */
  spec?: string | null;
  /** `quarters` and `specQuarters` only: 0 to 3, the quarter of the hour. */
  q?: number;
}

/** Which cells of an hour a summary holds. */
export type SummaryPart = 'cells' | 'quarters' | 'specCells' | 'specQuarters';

/** The part holding a part's cells by quarter of the hour: what a meter reads for the hours its windows cut. */
export const quartersOf = { cells: 'quarters', specCells: 'specQuarters' } as const;

export interface MeterHourSummaryDocument {
  _id: string;
  tenant: string;
  hour: Date;
  name: string | null;
  part: SummaryPart;
  /** The strings the packed cells name (packCells). */
  strings: string[];
  /** The cells, packed (packCells). */
  packed: Binary;
}

/** The fields that tell a part's cells apart, in their packed order (the folded values follow). */
const keyFields: Record<SummaryPart, readonly ('q' | 'spec' | 'type' | 'status')[]> = {
  cells: ['type', 'status'],
  quarters: ['q', 'type', 'status'],
  specCells: ['spec', 'type', 'status'],
  specQuarters: ['q', 'spec', 'type', 'status'],
};
const noString = 0xffffffff;

/**
 * Cells as one buffer: per cell, each key field as a little-endian uint32 (the quarter itself, or
 * the index of a string in `strings`, noString for null), then count, sum, min and max as float64
 * (NaN for a null min or max: the folded numbers are finite, checkJsonValue refuses the others).
 */
export function packCells(part: SummaryPart, cells: readonly MeterCell[]): { strings: string[]; packed: Binary } {
  const fields = keyFields[part];
  const size = fields.length * 4 + 32;
  const strings: string[] = [];
  const indexOf = new Map<string, number>();
  const intern = (value: string | null | undefined) => {
    if (value == null) return noString;
    let index = indexOf.get(value);
    if (index === undefined) indexOf.set(value, (index = strings.push(value) - 1));
    return index;
  };
  const bytes = Buffer.alloc(cells.length * size);
  cells.forEach((cell, n) => {
    let at = n * size;
    for (const field of fields) at = bytes.writeUInt32LE(field === 'q' ? cell.q! : intern(cell[field]), at);
    for (const value of [cell.count, cell.sum, cell.min ?? NaN, cell.max ?? NaN]) at = bytes.writeDoubleLE(value, at);
  });
  return { strings, packed: new Binary(bytes) };
}

/**
 * Packed cells read in place, with no object per cell: a 30-day meter folds 21,000 of them, and
 * building a MeterCell for each (with its groups and matches) was about a quarter of the usage
 * subgraph's CPU for the meter (bench/RESULTS.md, volume). The layout is packCells'.
 */
export class PackedCells {
  readonly length: number;
  private readonly view: DataView;
  private readonly size: number;
  private readonly keyCount: number;

  constructor(
    readonly part: SummaryPart,
    /** The strings the keys index. */
    readonly strings: readonly string[],
    packed: Binary,
  ) {
    const bytes = packed.value();
    this.keyCount = keyFields[part].length;
    this.size = this.keyCount * 4 + 32;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.length = bytes.byteLength / this.size;
  }

  /** Where `field` is among the part's keys (for key()), or -1 when the part has no such key. */
  static position(part: SummaryPart, field: 'q' | 'spec' | 'type' | 'status'): number {
    return keyFields[part].indexOf(field);
  }

  /** Cell `n`'s key at `position`: the quarter, or the index of its string in `strings` (noKey for null). */
  key(n: number, position: number): number {
    const index = this.view.getUint32(n * this.size + position * 4, true);
    return index === noString ? PackedCells.noKey : index;
  }

  /** The string a key indexes (key()), or null for noKey. */
  stringOf(index: number): string | null {
    return index === PackedCells.noKey ? null : this.strings[index]!;
  }

  /** Cell `n`'s folded value `k`: 0 count, 1 sum, 2 min, 3 max (NaN for a null min or max). */
  value(n: number, k: 0 | 1 | 2 | 3): number {
    return this.view.getFloat64(n * this.size + this.keyCount * 4 + k * 8, true);
  }

  /** Cell `n`'s folded values, a null min or max as null. */
  fold(n: number): MeterFold {
    const orNull = (value: number) => (Number.isNaN(value) ? null : value);
    return { count: this.value(n, 0), sum: this.value(n, 1), min: orNull(this.value(n, 2)), max: orNull(this.value(n, 3)) };
  }

  static readonly noKey = -1;
}

/** The cells packCells packed. */
export function unpackCells(part: SummaryPart, stored: { strings: string[]; packed: Binary }): MeterCell[] {
  const packed = new PackedCells(part, stored.strings, stored.packed);
  const string = (n: number, position: number) => packed.stringOf(packed.key(n, position));
  const cells: MeterCell[] = [];
  const fields = keyFields[part];
  for (let n = 0; n < packed.length; n++) {
    const keys = Object.fromEntries(fields.map((field, position) => [field, field === 'q' ? packed.key(n, position) : string(n, position)]));
    cells.push({ ...(keys as Pick<MeterCell, 'type' | 'status'>), ...packed.fold(n) });
  }
  return cells;
}

/** `into` with `part` folded in (count and sum added, min and max kept). */
export function addFold(into: MeterFold, part: MeterFold): void {
  into.count += part.count;
  into.sum += part.sum;
  into.min = into.min === null ? part.min : part.min === null ? into.min : Math.min(into.min, part.min);
  into.max = into.max === null ? part.max : part.max === null ? into.max : Math.max(into.max, part.max);
}

/** Rows folded by `key`: each key's first row (copied) with the others' values added. */
export function foldBy<T extends MeterFold>(rows: Iterable<T>, key: (row: T) => unknown[]): T[] {
  const folded = new Map<string, T>();
  for (const row of rows) {
    const id = JSON.stringify(key(row));
    const known = folded.get(id);
    if (known) addFold(known, row);
    else folded.set(id, { ...row });
  }
  return [...folded.values()];
}

/** One hour's folded values of one name, by quarter and by every dimension the rollups keep. */
export interface MeterQuarterRow extends MeterFold {
  hour: Date;
  quarter: number;
  name: string | null;
  spec: string | null;
  type: string | null;
  status: string;
}

/** What tells a part's cells apart: the values of its key fields, in their packed order. */
export const cellKey = (part: SummaryPart, cell: MeterCell): unknown[] => keyFields[part].map((field) => cell[field]);

/**
 * The summaries of `rows` (any hours and names): one per hour, name and part. The finest part
 * (`specQuarters`) is folded from the rows, the others from its cells, which are fewer than the
 * rows (no product): one fold over the rows, not one per part.
 */
export function summariesOf(tenant: string, rows: readonly MeterQuarterRow[]): MeterHourSummaryDocument[] {
  const byHour = new Map<string, MeterQuarterRow[]>();
  for (const row of rows) {
    const id = JSON.stringify([row.hour.getTime(), row.name]);
    const hourRows = byHour.get(id);
    if (hourRows) hourRows.push(row);
    else byHour.set(id, [row]);
  }
  return [...byHour.values()].flatMap((hourRows) => {
    const { hour, name } = hourRows[0]!;
    const finest = foldBy(
      hourRows.map((row): MeterCell => ({
        q: row.quarter,
        spec: row.spec,
        type: row.type,
        status: row.status,
        count: row.count,
        sum: row.sum,
        min: row.min,
        max: row.max,
      })),
      (cell) => cellKey('specQuarters', cell),
    );
    // packCells writes a part's own keys only, so the finer cells' other keys need no removing.
    return (Object.keys(keyFields) as SummaryPart[]).map((part) => ({
      _id: summaryId(tenant, hour, name, part),
      tenant,
      hour,
      name,
      part,
      ...packCells(part, part === 'specQuarters' ? finest : foldBy(finest, (cell) => cellKey(part, cell))),
    }));
  });
}

export const summaryId = (tenant: string, hour: Date, name: string | null, part: SummaryPart) => JSON.stringify([tenant, hour.toISOString(), name, part]);
