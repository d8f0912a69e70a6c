import type { AggregationFunction, PreFill, UsageValueType } from '../../../platform/generated/enums.js';

/**
 * What ingestion needs of the usage specifications, declared here by the side that needs it: the
 * active rule of each application and unit, a KPI by name, and the specification id of each
 * application and unit (created when missing). The specification subgraph implements it over its own
 * collections (subgraphs/specification/ingestion-catalogue.ts) and server.ts plugs that in; the
 * compiler checks that it fits. Only the fields ingestion reads are named.
 */
export interface IngestionCatalogue {
  /** The catalogue of one tenant: its rules, KPIs and specifications only. */
  forTenant(tenant: string): IngestionCatalogue;
  /** Active rules by `pairKey(application, unit)`. */
  rulesFor(pairs: readonly { application: string; unit: string }[]): Promise<Map<string, IngestionRule>>;
  kpi(application: string, name: string): Promise<CatalogueKpi | null>;
  /** The specification id of each pair (by pairKey), creating the specifications that do not exist yet. */
  specificationsFor(pairs: readonly { application: string; unit: string }[], now: Date): Promise<Map<string, string>>;
}

/** A rule as ingestion applies it (schema/specification.graphql, IngestionRule). */
export interface IngestionRule {
  /** Its id in the specification subgraph (an IngestionRule entity), named in the refusals it makes. */
  _id?: string;
  application: string;
  unit: string;
  accepted: boolean;
  valueType?: UsageValueType | null;
  minValue?: number | null;
  maxValue?: number | null;
  maxPastDays?: number | null;
  maxFutureDays?: number | null;
}

export type { AggregationFunction };

/** A KPI as the aggregates fold it (schema/specification.graphql, Kpi). */
export interface CatalogueKpi {
  _id: string;
  application: string;
  name: string;
  unit: string;
  dailyFunction: AggregationFunction;
  monthlyFunction: AggregationFunction;
  preFill: PreFill;
}

/** The key of an application and unit in the catalogue's maps. */
export const pairKey = (application: string, unit: string) => `${application}\u0000${unit}`;
