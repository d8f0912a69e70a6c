import { randomUUID } from 'node:crypto';
import { badUserInput, notFound } from '../../../platform/errors.js';
import { pageResolvers } from '../../shared/page-source.js';
import { page, patchUpdate } from '../../shared/query.js';
import type { SpecificationContext } from '../context.js';
import { ingestionSpecificationId, type IngestionRuleDocument, type KpiDocument } from '../ingestion-repository.js';
import type { IngestionRuleInput, KpiInput, Resolvers } from '../generated/resolvers.js';

/** Names are sent in URLs and stored as keys: non-empty, no control characters. */
function name(value: string, field: string): string {
  const trimmed = value.trim();
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (!trimmed || trimmed.length > 200 || /[\u0000-\u001f]/.test(trimmed)) throw badUserInput(`${field} must be 1 to 200 printable characters.`, field);
  return trimmed;
}

function checkLimits(rule: Pick<IngestionRuleInput, 'minValue' | 'maxValue' | 'maxPastDays' | 'maxFutureDays'>): void {
  if (rule.minValue != null && rule.maxValue != null && rule.minValue > rule.maxValue) throw badUserInput('minValue must not exceed maxValue.', 'minValue');
  for (const field of ['maxPastDays', 'maxFutureDays'] as const) {
    const days = rule[field];
    if (days != null && days < 0) throw badUserInput(`${field} must be 0 or more.`, field);
  }
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v != null)) as T;
}

export function newRuleDocument(input: IngestionRuleInput, now: Date): IngestionRuleDocument {
  checkLimits(input);
  return compact({
    ...input,
    _id: randomUUID(),
    application: name(input.application, 'application'),
    unit: name(input.unit, 'unit'),
    accepted: input.accepted ?? true,
    active: input.active ?? true,
    creationDate: now,
    lastUpdate: now,
  });
}

export function newKpiDocument(input: KpiInput, now: Date): KpiDocument {
  return compact({
    ...input,
    _id: randomUUID(),
    application: name(input.application, 'application'),
    name: name(input.name, 'name'),
    unit: name(input.unit ?? input.name, 'unit'),
    dailyFunction: input.dailyFunction ?? 'SUM',
    monthlyFunction: input.monthlyFunction ?? 'SUM',
    preFill: input.preFill ?? 'ZERO',
    creationDate: now,
    lastUpdate: now,
  });
}

export const ingestionResolvers: Resolvers = {
  Query: {
    ingestionRule: async (_root, { id }, { rules }) => (await rules.findByIds([id]))[0] ?? null,
    ingestionRules: (_root, args, { settings }) => ({
      kind: 'query',
      filter: compact({ application: args.application ?? undefined, unit: args.unit ?? undefined, active: args.active ?? undefined }),
      sort: { application: 1, unit: 1, _id: 1 },
      page: page(args.offset, args.limit, settings.paging),
    }),
    kpi: async (_root, { id }, { kpis }) => (await kpis.findByIds([id]))[0] ?? null,
    kpis: (_root, args, { settings }) => ({
      kind: 'query',
      filter: compact({ application: args.application ?? undefined, name: args.name ?? undefined }),
      sort: { application: 1, name: 1, _id: 1 },
      page: page(args.offset, args.limit, settings.paging),
    }),
  },
  Mutation: {
    createIngestionRule: (_root, { input }, { rules }) => rules.insert(newRuleDocument(input, new Date())),
    updateIngestionRule: async (_root, { id, patch }, { rules }) => {
      const [before] = await rules.findByIds([id]);
      if (!before) throw notFound('IngestionRule', id);
      checkLimits({ ...before, ...dropUndefined(patch) });
      const { $set, $unset } = patchUpdate(patch, { required: ['accepted', 'active'], lists: [], now: new Date() });
      const updated = await rules.update(id, Object.keys($unset).length ? { $set, $unset } : { $set });
      if (!updated) throw notFound('IngestionRule', id);
      return updated;
    },
    deleteIngestionRule: async (_root, { id }, { rules }) => {
      const deleted = await rules.delete(id);
      if (!deleted) throw notFound('IngestionRule', id);
      return deleted;
    },
    createKpi: (_root, { input }, { kpis }) => kpis.insert(newKpiDocument(input, new Date())),
    updateKpi: async (_root, { id, patch }, { kpis }) => {
      const { $set, $unset } = patchUpdate(patch, { required: ['dailyFunction', 'monthlyFunction', 'preFill'], lists: [], now: new Date() });
      const updated = await kpis.update(id, Object.keys($unset).length ? { $set, $unset } : { $set });
      if (!updated) throw notFound('Kpi', id);
      return updated;
    },
    deleteKpi: async (_root, { id }, { kpis }) => {
      const deleted = await kpis.delete(id);
      if (!deleted) throw notFound('Kpi', id);
      return deleted;
    },
  },
  IngestionRule: {
    __resolveReference: (reference, { loaders }) => loaders.ruleById.load(reference.id),
    id: (rule) => rule._id,
  },
  Kpi: {
    __resolveReference: async (reference, { loaders }) => loaders.kpiById.load(reference.id),
    id: (kpi) => kpi._id,
    usageSpecification: (kpi, _args, { loaders, tenant }) => loaders.specificationById.load(ingestionSpecificationId(tenant, kpi.application, kpi.unit)),
  },
  IngestionRulePage: pageResolvers((context: SpecificationContext) => context.rules),
  KpiPage: pageResolvers((context: SpecificationContext) => context.kpis),
};

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
