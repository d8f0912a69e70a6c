import { badUserInput } from '../../../platform/errors.js';
import type { UsageMeterWindowSize } from '../generated/resolvers.js';

/**
 * A meter's windows, computed here rather than with the database's date operators: the same
 * boundaries on MongoDB and FerretDB, whatever time zone data each carries, and one query shape
 * (pipeline.ts compares usageDate with these instants).
 *
 * Windows follow the zone's local time. A DAY or MONTH starts at the first instant of its local date
 * or month, so a day across a daylight-saving change lasts 23 or 25 hours. A MINUTE or HOUR starts on
 * the local minute or hour, and also wherever the zone's offset changes: the hour repeated when clocks
 * go back is two windows of an hour each (01:00 EDT, then 01:00 EST), never one of two hours, and
 * hours of a zone at +05:30 start at :30 UTC.
 */

const minuteMs = 60_000;
const hourMs = 60 * minuteMs;

/** One formatter per zone, made once: building one costs far more than using it. */
const formatters = new Map<string, Intl.DateTimeFormat>();

/** IANA names only (`Europe/Paris`, `Etc/GMT-5`, `UTC`); not offsets such as `+05:30`. */
const zoneName = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/** The formatter of an IANA time zone; BAD_USER_INPUT for a name this runtime does not know. */
export function timeZoneOf(name: string): Intl.DateTimeFormat {
  const known = formatters.get(name);
  if (known) return known;
  const refused = () => badUserInput(`Unknown time zone ${JSON.stringify(name)}: give an IANA name such as UTC, Europe/Paris or Asia/Kolkata.`, 'timeZone');
  if (!zoneName.test(name)) throw refused();
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    throw refused();
  }
  formatters.set(name, format);
  return format;
}

/**
 * Offsets computed before, per zone and instant: formatToParts costs about 14 µs, a 30-day hourly
 * meter needs 720 of them, and the same ones again when its range comes back (a dashboard's does);
 * each window's start is also the previous one's end, just looked up. Forgotten past maxOffsets.
 */
const offsets = new Map<Intl.DateTimeFormat, Map<number, number>>();
const maxOffsets = 200_000;
let offsetCount = 0;

/** The zone's offset from UTC at instant `t` (ms): local wall-clock time minus UTC, to the second. */
export function offsetAt(zone: Intl.DateTimeFormat, t: number): number {
  let known = offsets.get(zone);
  const offset = known?.get(t);
  if (offset !== undefined) return offset;
  if (offsetCount >= maxOffsets) {
    offsets.clear();
    offsetCount = 0;
    known = undefined;
  }
  if (!known) {
    known = new Map<number, number>();
    offsets.set(zone, known);
  }
  const computed = wallClockAt(zone, t) - Math.floor(t / 1000) * 1000;
  known.set(t, computed);
  offsetCount += 1;
  return computed;
}

/** The local wall-clock time at instant `t`, to the second, written as a UTC instant. */
function wallClockAt(zone: Intl.DateTimeFormat, t: number): number {
  const fields: Record<string, string> = {};
  for (const part of zone.formatToParts(t)) fields[part.type] = part.value;
  const year = Number(fields.year);
  const wall = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0-99 as 1900-1999.
  wall.setUTCFullYear(fields.era === 'BC' || fields.era === 'B' ? 1 - year : year, Number(fields.month) - 1, Number(fields.day));
  wall.setUTCHours(Number(fields.hour), Number(fields.minute), Number(fields.second), 0);
  return wall.getTime();
}

/** The first instant in (lo, hi] whose offset is not `offsetLo` (the offset at lo); `hi` must have another. */
function transitionIn(zone: Intl.DateTimeFormat, lo: number, hi: number, offsetLo: number): number {
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(zone, mid) === offsetLo) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The first instant whose local time is `wall` (wall-clock time written as a UTC instant) or later,
 * `offset` being the zone's offset some time before it. Where `wall` happens twice (clocks going
 * back), the first; where it never happens (clocks going forward over it), the instant they jump.
 */
function firstAtOrAfter(zone: Intl.DateTimeFormat, wall: number, offset: number): number {
  const before = wall - offset;
  const offsetBefore = offsetAt(zone, before);
  if (offsetBefore === offset) return before;
  const after = wall - offsetBefore;
  if (offsetAt(zone, after) === offsetBefore) return after;
  const lo = Math.min(before, after);
  return transitionIn(zone, lo, Math.max(before, after), offsetAt(zone, lo));
}

/** The start of the window after the one holding instant `start`. */
export function nextBoundary(zone: Intl.DateTimeFormat, size: UsageMeterWindowSize, start: number): number {
  const offset = offsetAt(zone, start);
  if (size === 'MINUTE' || size === 'HOUR') {
    const unit = size === 'MINUTE' ? minuteMs : hourMs;
    const local = start + offset;
    const next = start + unit - (((local % unit) + unit) % unit);
    return offsetAt(zone, next) === offset ? next : transitionIn(zone, start, next, offset);
  }
  const local = new Date(start + offset);
  const wall = new Date(0);
  if (size === 'DAY') wall.setUTCFullYear(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + 1);
  else wall.setUTCFullYear(local.getUTCFullYear(), local.getUTCMonth() + 1, 1);
  return firstAtOrAfter(zone, wall.getTime(), offset);
}

/**
 * The boundaries of the windows over [from, to): `from`, every window start after it, then `to`, so
 * window i is [bounds[i], bounds[i + 1]) and the first and last are clipped to the range. Without a
 * size, one window. BAD_USER_INPUT when the range holds more than `maxWindows`.
 */
export function windowBounds(from: Date, to: Date, size: UsageMeterWindowSize | null | undefined, timeZone: string, maxWindows: number): Date[] {
  const zone = timeZoneOf(timeZone);
  const end = to.getTime();
  const bounds = [from.getTime()];
  if (size) {
    for (let next = nextBoundary(zone, size, from.getTime()); next < end; next = nextBoundary(zone, size, next)) {
      // `next` starts window number bounds.length + 1.
      if (bounds.length >= maxWindows) {
        throw badUserInput(
          `The range holds more than ${maxWindows} windows of a ${size.toLowerCase()} (the most a meter gives): ask for a shorter range or larger windows.`,
          'windowSize',
        );
      }
      bounds.push(next);
    }
  }
  bounds.push(end);
  return bounds.map((t) => new Date(t));
}
