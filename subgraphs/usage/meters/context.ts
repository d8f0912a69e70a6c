import type { ProductUsageRepository } from '../product-usage/repository.js';
import type { MarkRepository } from '../rollups/marks.js';
import type { MeterHourRollupRepository } from '../rollups/meter-repository.js';
import { RollupMeterSource } from './rollup-source.js';
import { UsageMeterSource, type MeterSource } from './source.js';

/** What the meter resolvers read of one request's context: meters over the caller's tenant's usages. */
export interface MeterContext {
  meters: MeterSource;
}

/** The process's rollup repositories a meter reads (unscoped; the source reads its tenant's only). */
export interface MeterRollups {
  marks: MarkRepository;
  hours: MeterHourRollupRepository;
}

/** `usages` is the tenant's view of the usages (the product-usage feature's). */
export function meterContext(usages: ProductUsageRepository, rollups: MeterRollups): MeterContext {
  return { meters: new RollupMeterSource(usages, rollups.marks, rollups.hours, new UsageMeterSource(usages)) };
}
