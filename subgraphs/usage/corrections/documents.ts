import type { ProductUsageStatus } from '../generated/resolvers.js';

/**
 * What corrections keep on usage documents (docs/graphql.md, "Corrections"). Never shown as stored:
 * the ProductUsage fields `correction`, `supersededBy` and `history` are resolved from these.
 */
export interface CorrectionFields {
  /** On a correction: what it corrects and why. */
  correction?: StoredCorrection;
  /** On a usage a correction replaced, while that correction is in effect: which one, and the status to restore on a revert. */
  supersededBy?: { id: string; previousStatus: ProductUsageStatus; at: Date };
  /**
   * On a correction stored but not yet in effect (corrections/writer.ts): its status is superseded
   * meanwhile, so nothing counts it. Cleared once the corrected usage names it.
   */
  correctionPending?: true;
}

export interface StoredCorrection {
  corrects: string;
  /** The first usage of the chain (history reads the chain by it). */
  original: string;
  reason: string;
  correctedAt: Date;
  correctedBy: string;
  revertedAt?: Date;
  revertReason?: string;
  revertedBy?: string;
}
