import type { ProductUsageRepository } from '../product-usage/repository.js';
import { UsageMeterSource, type MeterSource } from './source.js';

/** What the meter resolvers read of one request's context: meters over the caller's tenant's usages. */
export interface MeterContext {
  meters: MeterSource;
}

/** `usages` is the tenant's view of the usages (the product-usage feature's). */
export function meterContext(usages: ProductUsageRepository): MeterContext {
  return { meters: new UsageMeterSource(usages) };
}
