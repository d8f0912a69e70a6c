import type { ProductUsageRepository } from '../product-usage/repository.js';
import { meterMatch, meterStages, type MeterAggregateRow } from './pipeline.js';
import type { MeterQuery } from './query.js';

/** One value of a meter: window `window` of the query's bounds, the groups' values in groupBy order. */
export interface MeterRow {
  window: number;
  groups: unknown[];
  value: number;
}

/**
 * Where a meter's rows come from. The usages answer every query (UsageMeterSource); a reader of
 * the rollups (docs/rollups.md) may answer HOUR and longer windows later, behind this same
 * interface, choosing per query. Rows come in any order; rows.ts applies the limits and the order.
 * They come in batches: an async iterator's step per row cost more than building the row (a
 * microtask or two each, for a 30-day hourly meter's 21,000 rows).
 */
export interface MeterSource {
  rows(query: MeterQuery): AsyncIterable<readonly MeterRow[]>;
}

/** Rows a source that streams them hands on at once. */
const meterBatch = 1_000;

/** Meters aggregated from the tenant's usages, in one database aggregation (pipeline.ts). */
export class UsageMeterSource implements MeterSource {
  /** `usages`: the tenant's view of the usages (the product-usage feature's repository). */
  constructor(private readonly usages: ProductUsageRepository) {}

  async *rows(query: MeterQuery): AsyncGenerator<readonly MeterRow[]> {
    let batch: MeterRow[] = [];
    for await (const { _id, value } of this.usages.aggregateLive<MeterAggregateRow>(meterMatch(query), meterStages(query))) {
      if (batch.push({ window: _id.w, groups: query.groupBy.map((_, n) => _id[`g${n}`] ?? null), value }) < meterBatch) continue;
      yield batch;
      batch = [];
    }
    if (batch.length) yield batch;
  }
}
