import type { Db } from 'mongodb';
import {
  IngestionRuleRepository,
  KpiRepository,
  ingestionSpecification,
  ingestionSpecificationId,
  type IngestionRuleDocument,
  type KpiDocument,
} from './ingestion-repository.js';
import { SpecificationRepository } from './repository.js';
import { pairKey, type IngestionCatalogue } from '../usage/ingestion/catalogue.js';

export type { IngestionRuleDocument, KpiDocument };

/**
 * What the usage subgraph's ingestion needs from this subgraph (it declares it: IngestionCatalogue in
 * subgraphs/usage/ingestion/catalogue.ts), and the only door it has to it: the active rules of a
 * batch, a KPI by name, and the specification of an application and unit. The
 * collections stay this subgraph's; the code that reads and writes them is this subgraph's
 * repositories. Ingestion calls it in process, over the database both subgraphs already share, rather
 * than over HTTP: a batch costs one rules query instead of a network round trip to another service
 * (see docs/ingestion.md, for why).
 */
export class SpecificationIngestionCatalogue implements IngestionCatalogue {
  private constructor(
    private readonly rules: IngestionRuleRepository,
    private readonly kpis: KpiRepository,
    private readonly specifications: SpecificationRepository,
    /** Specifications known to exist (this process made sure once); they are never deleted by ingestion. Ids are per tenant. */
    private readonly ensured = new Set<string>(),
  ) {}

  /** The catalogue of one tenant: its rules, KPIs and specifications only. */
  forTenant(tenant: string): SpecificationIngestionCatalogue {
    return new SpecificationIngestionCatalogue(this.rules.forTenant(tenant), this.kpis.forTenant(tenant), this.specifications.forTenant(tenant), this.ensured);
  }

  /**
   * Attaches to this subgraph's collections without touching their indexes: they are the
   * specification subgraph's, and its start-up creates them (and drops the old cross-tenant unique
   * ones, which two start-ups at once could race on). Creating them here too would only repeat it.
   */
  static open(db: Db): SpecificationIngestionCatalogue {
    return new SpecificationIngestionCatalogue(IngestionRuleRepository.attach(db), KpiRepository.attach(db), SpecificationRepository.attach(db));
  }

  /** Active rules by `application\0unit`. */
  async rulesFor(pairs: readonly { application: string; unit: string }[]): Promise<Map<string, IngestionRuleDocument>> {
    const rules = await this.rules.active(pairs);
    return new Map(rules.map((rule) => [pairKey(rule.application, rule.unit), rule]));
  }

  kpi(application: string, name: string): Promise<KpiDocument | null> {
    return this.kpis.byName(application, name);
  }

  /** The specification id of each pair, creating the specifications that do not exist yet. */
  async specificationsFor(pairs: readonly { application: string; unit: string }[], now: Date): Promise<Map<string, string>> {
    const tenant = this.specifications.tenant;
    if (tenant === undefined) throw new Error('specificationsFor needs a tenant: call forTenant first');
    const ids = new Map<string, string>();
    const missing = [];
    for (const { application, unit } of pairs) {
      const key = pairKey(application, unit);
      if (ids.has(key)) continue;
      const id = ingestionSpecificationId(tenant, application, unit);
      ids.set(key, id);
      if (!this.ensured.has(id)) missing.push(ingestionSpecification(tenant, application, unit, now));
    }
    await this.specifications.ensure(missing);
    for (const doc of missing) this.ensured.add(doc._id);
    return ids;
  }
}
