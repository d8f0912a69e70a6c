import type { ProductUsageDocument } from '../product-usage/documents.js';

export const hourMs = 3_600_000;

/**
 * A unit of pre-aggregated usage that is recomputed whole from the usages it covers
 * (rollups/maintainer.ts): the usages of one tenant whose usageDate falls in one UTC hour (`hour`
 * null: those without a usageDate), or the ingested usages of one KPI (application and unit) on
 * one day of `ingest.day`.
 */
export type Bucket = { kind: 'hour'; hour: Date | null } | { kind: 'kpiDay'; application: string; unit: string; day: string };

/** The start of the UTC hour holding `time`. */
export const hourOf = (time: Date): Date => new Date(Math.floor(time.getTime() / hourMs) * hourMs);

/** The buckets a usage counts in, as it is stored. */
export function bucketsOf(usage: ProductUsageDocument): Bucket[] {
  const date = usage.usageDate;
  const buckets: Bucket[] = [{ kind: 'hour', hour: date instanceof Date ? hourOf(date) : null }];
  if (usage.ingest) buckets.push({ kind: 'kpiDay', application: usage.ingest.application, unit: usage.ingest.unit, day: usage.ingest.day });
  return buckets;
}

/** One id per tenant and bucket: the id of its mark (rollups/marks.ts). */
export function bucketId(tenant: string, bucket: Bucket): string {
  return JSON.stringify(
    bucket.kind === 'hour' ? [tenant, 'hour', bucket.hour?.toISOString() ?? null] : [tenant, 'kpiDay', bucket.application, bucket.unit, bucket.day],
  );
}

/** The buckets of many usages, each once, with their ids. */
export function bucketsOfAll(tenant: string, usages: readonly ProductUsageDocument[]): Map<string, Bucket> {
  const all = new Map<string, Bucket>();
  for (const usage of usages) for (const bucket of bucketsOf(usage)) all.set(bucketId(tenant, bucket), bucket);
  return all;
}

/** The key of a KPI day in the repair pass's totals: JSON of [application, unit, day]. */
export const kpiDayKey = (application: string, unit: string, day: string) => JSON.stringify([application, unit, day]);
