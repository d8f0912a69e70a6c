/**
 * The meter summaries (docs/meters.md, "From the rollups"): one document per tenant, UTC hour and
 * characteristic name (null: the counts) holding that hour's folded values as cells, by the
 * dimensions few enough to stay small whatever the volume: usage type and status (`cells`), the
 * same by quarter of the hour (`quarters`), and by specification too (`specCells`).
 *
 * Why a document per hour with arrays, and not a row per cell like the hourly rollups: on
 * DocumentDB a `$group` costs about 9 µs a row, so a 30-day meter over rows of 30 groups an hour
 * (21,600 rows) takes about 180 ms; the same cells in 720 documents read and fold in Node in about
 * 50 ms, and the cost follows the hours and groups, not the usages. Quarters because every IANA
 * zone's offset is a multiple of 15 minutes: a day window in Asia/Kolkata (+05:30) cuts an hour at
 * :30, and its two halves come from the quarters instead of from the usages.
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
  /** `specCells` only. */
  spec?: string | null;
  /** `quarters` only: 0 to 3, the quarter of the hour. */
  q?: number;
}

export interface MeterHourSummaryDocument {
  _id: string;
  tenant: string;
  hour: Date;
  name: string | null;
  cells: MeterCell[];
  quarters: MeterCell[];
  specCells: MeterCell[];
}

/** Which array of a summary a meter reads. */
export type SummaryPart = 'cells' | 'quarters' | 'specCells';

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

/** The summaries of `rows` (any hours and names): one per hour and name. */
export function summariesOf(tenant: string, rows: readonly MeterQuarterRow[]): MeterHourSummaryDocument[] {
  const byHour = new Map<string, MeterQuarterRow[]>();
  for (const row of rows) {
    const id = summaryId(tenant, row.hour, row.name);
    byHour.set(id, [...(byHour.get(id) ?? []), row]);
  }
  const cell = (row: MeterQuarterRow, extra: Partial<MeterCell>): MeterCell => ({
    type: row.type,
    status: row.status,
    ...extra,
    count: row.count,
    sum: row.sum,
    min: row.min,
    max: row.max,
  });
  return [...byHour].map(([_id, hourRows]) => ({
    _id,
    tenant,
    hour: hourRows[0]!.hour,
    name: hourRows[0]!.name,
    cells: foldBy(
      hourRows.map((row) => cell(row, {})),
      (c) => [c.type, c.status],
    ),
    quarters: foldBy(
      hourRows.map((row) => cell(row, { q: row.quarter })),
      (c) => [c.q, c.type, c.status],
    ),
    specCells: foldBy(
      hourRows.map((row) => cell(row, { spec: row.spec })),
      (c) => [c.spec, c.type, c.status],
    ),
  }));
}

export const summaryId = (tenant: string, hour: Date, name: string | null) => JSON.stringify([tenant, hour.toISOString(), name]);
