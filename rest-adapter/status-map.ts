import type { ProductUsageStatus } from '../platform/generated/enums.js';
import { usageStatuses } from '../platform/contracts/usage-fields.js';

/**
 * The one stored status list holds the TMF635 v5 values and the v4 values; each facade shows its
 * own set. A value of the other version is shown as its closest equivalent (our choice; the
 * specifications define no mapping), and a filter on a value matches every stored value shown as it.
 */
export const v5Statuses = [
  'initialized',
  'rejected',
  'validated',
  'rated',
  'corrected',
  'superseded',
  'notRated',
  'failed',
] as const satisfies readonly ProductUsageStatus[];
export const v4Statuses = ['received', 'rejected', 'recycled', 'guided', 'rated', 'rerated', 'billed'] as const satisfies readonly ProductUsageStatus[];
/** What the graph stores: the schema's whole list (the shared contract). */
const stored: readonly string[] = usageStatuses;

const asV4: Record<string, (typeof v4Statuses)[number]> = {
  initialized: 'received',
  validated: 'guided',
  notRated: 'guided',
  corrected: 'rerated',
  superseded: 'recycled',
  failed: 'rejected',
};

const asV5: Record<string, (typeof v5Statuses)[number]> = {
  received: 'initialized',
  guided: 'validated',
  recycled: 'corrected',
  rerated: 'rated',
  billed: 'rated',
};

export const statusAsV4 = (status: string): string => asV4[status] ?? status;
export const statusAsV5 = (status: string): string => asV5[status] ?? status;

/** The stored statuses a v4 (or v5) client's status value stands for. */
export const storedForV4 = (value: string): string[] => stored.filter((s) => statusAsV4(s) === value);
export const storedForV5 = (value: string): string[] => stored.filter((s) => statusAsV5(s) === value);
