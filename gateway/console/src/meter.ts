import { toCsv } from './csv';
import type { ConsoleUsageMeterQuery, UsageMeterGroupBy, UsageMeterWindowSize } from './generated';

/**
 * What the Meters view computes from a meter's rows: local times in the meter's time zone, the
 * chart's series and the CSV. Pure functions of their arguments (docs/meters.md).
 */
export type MeterRow = ConsoleUsageMeterQuery['usageMeter']['rows'][number];

const formatters = new Map<string, Intl.DateTimeFormat>();
const formatter = (timeZone: string) => {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
};

/** Whether this browser knows the IANA zone (the gateway checks again with its own zone data). */
export const isTimeZone = (timeZone: string) => {
  try {
    formatter(timeZone);
    return timeZone.trim() !== '';
  } catch {
    return false;
  }
};

/** The local clock of `timeZone` at an instant, as yyyy-mm-ddThh:mm:ss. */
const localIso = (instant: number, timeZone: string) => {
  const p = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(instant)
      .map((part) => [part.type, part.value]),
  );
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
};

const offsetAt = (instant: number, timeZone: string) => {
  const whole = Math.floor(instant / 1000) * 1000;
  return Date.parse(`${localIso(whole, timeZone)}Z`) - whole;
};

/**
 * The instant a local date and time (an <input type="datetime-local"> value) names in `timeZone`.
 * Two passes: the offset at the first guess can differ from the offset at the answer near a change.
 * A local time the clocks skip resolves to an instant near it, a repeated one to one of the two.
 */
export function localToInstant(local: string, timeZone: string): string | undefined {
  const wall = Date.parse(`${local}Z`);
  if (Number.isNaN(wall) || !isTimeZone(timeZone)) return undefined;
  const first = wall - offsetAt(wall, timeZone);
  return new Date(wall - offsetAt(first, timeZone)).toISOString();
}

/** The last 7 days in `timeZone`: from the start of the day 6 days ago to the start of tomorrow. */
export function lastSevenDays(timeZone: string, now = Date.now()): { from: string; to: string } {
  const today = Date.parse(`${localIso(now, timeZone).slice(0, 10)}T00:00:00Z`);
  const day = (offset: number) => `${new Date(today + offset * 86_400_000).toISOString().slice(0, 10)}T00:00`;
  return { from: day(-6), to: day(1) };
}

/** An instant on the local clock of `timeZone`: yyyy-mm-dd hh:mm. */
export const localTime = (instant: string, timeZone: string) => localIso(Date.parse(instant), timeZone).slice(0, 16).replace('T', ' ');

/** A window's label on the chart, as long as its size needs. */
export function windowLabel(row: Pick<MeterRow, 'windowStart' | 'windowEnd'>, windowSize: UsageMeterWindowSize | null, timeZone: string): string {
  const start = localTime(row.windowStart, timeZone);
  switch (windowSize) {
    case 'MONTH':
      return start.slice(0, 7);
    case 'DAY':
      return start.slice(0, 10);
    case 'HOUR':
    case 'MINUTE':
      return start.slice(5);
    default:
      return `${start} – ${localTime(row.windowEnd, timeZone)}`;
  }
}

/** A group dimension's column name, in the API's field vocabulary. */
export function dimensionColumn(g: UsageMeterGroupBy): string {
  switch (g.dimension) {
    case 'USAGE_SPECIFICATION':
      return 'usageSpecification';
    case 'USAGE_TYPE':
      return 'usageType';
    case 'STATUS':
      return 'status';
    case 'PRODUCT':
      return 'product';
    case 'RELATED_PARTY':
      return `relatedParty.${g.role ?? ''}`;
    case 'CHARACTERISTIC':
      return `characteristic.${g.name ?? ''}`;
  }
}

/** A group value as a person reads it: text as is, other JSON as JSON, none as "(none)". */
export const groupText = (value: unknown) => (value === null || value === undefined ? '(none)' : typeof value === 'string' ? value : JSON.stringify(value));

/** The label of a row's group: its values in groupBy order; "all" when the meter is not grouped. */
export const groupLabel = (row: MeterRow) => (row.groups.length ? row.groups.map((g) => groupText(g.value)).join(' · ') : 'all');

export interface MeterChart {
  /** One point per window, in window order: `window` is its label, `s<i>` the value of series i. */
  data: Record<string, string | number>[];
  series: { name: string; label: string; color: string }[];
  /** Groups the chart leaves out (it shows the largest `limit` by the sum of their values). */
  hidden: number;
}

const palette = ['blue.6', 'orange.6', 'teal.6', 'grape.6', 'red.6', 'cyan.6', 'lime.7', 'pink.6', 'indigo.6', 'yellow.7'];

/**
 * The chart of a meter: one series per group, x the window, y the value. Series are keyed s0, s1...
 * rather than by group value, because the chart library reads a key with a dot as a path.
 */
export function meterChart(rows: readonly MeterRow[], windowSize: UsageMeterWindowSize | null, timeZone: string, limit = palette.length): MeterChart {
  // A group is its values as JSON: the string "1" and the number 1 read the same but are two groups.
  const groupOf = (row: MeterRow) => JSON.stringify(row.groups.map((g) => g.value ?? null));
  const totals = new Map<string, { label: string; total: number }>();
  for (const row of rows) {
    const group = totals.get(groupOf(row)) ?? totals.set(groupOf(row), { label: groupLabel(row), total: 0 }).get(groupOf(row))!;
    group.total += Math.abs(row.value);
  }
  const shown = new Set([...totals.keys()].sort((a, b) => totals.get(b)!.total - totals.get(a)!.total).slice(0, limit));
  const order = [...totals.keys()].filter((group) => shown.has(group));
  const key = new Map(order.map((group, i) => [group, `s${i}`]));

  // Rows come ordered by windowStart; a label repeated by two windows (the hour a clock goes back
  // repeats) gets the window's UTC start after it, so the two stay two points.
  const points = new Map<string, Record<string, string | number>>();
  const labels = new Map<string, string>();
  for (const row of rows) {
    if (!points.has(row.windowStart)) {
      let label = windowLabel(row, windowSize, timeZone);
      if ([...labels.values()].includes(label)) label = `${label} (${row.windowStart.slice(11, 16)}Z)`;
      labels.set(row.windowStart, label);
      points.set(row.windowStart, { window: label });
    }
    const series = key.get(groupOf(row));
    if (series) points.get(row.windowStart)![series] = row.value;
  }
  return {
    data: [...points.values()],
    series: order.map((group, i) => ({ name: `s${i}`, label: totals.get(group)!.label, color: palette[i % palette.length]! })),
    hidden: totals.size - shown.size,
  };
}

/** The rows as CSV: windowStart, windowEnd (instants), one column per group dimension, value. */
export function meterCsv(rows: readonly MeterRow[], groupBy: readonly UsageMeterGroupBy[]): string {
  return toCsv([
    ['windowStart', 'windowEnd', ...groupBy.map(dimensionColumn), 'value'],
    ...rows.map((row) => [row.windowStart, row.windowEnd, ...row.groups.map((g) => g.value), row.value]),
  ]);
}
