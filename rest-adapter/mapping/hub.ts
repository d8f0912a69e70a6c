import type { HubEventType, ProductUsageEventFilter, TmfHubFragment, TmfIngestionRejectionFragment } from '../operations/generated.js';
import { badRequest } from '../errors.js';
import { storedForV4, storedForV5, v4Statuses, v5Statuses } from '../status-map.js';
import { compact, type Json } from './common.js';
import { utsBase } from './uts.js';

/**
 * TMF hubs for usage events (and, in v5, ExportJob and ingestion rejection events). The hub `query`
 * uses the list syntax on the event: `eventType` (comma list, in the version's own event names) and
 * the usage attributes a subscriber can filter on. v4 has no export jobs and no rejection events, so a
 * v4 hub never names or receives them. `UsageIngestRejectionEvent` is ours, not TMF635's.
 */
export type ApiVersion = 'v4' | 'v5';

const eventNames: Record<ApiVersion, Partial<Record<HubEventType, string>>> = {
  v5: {
    ProductUsageCreateEvent: 'ProductUsageCreateEvent',
    ProductUsageAttributeValueChangeEvent: 'ProductUsageAttributeValueChangeEvent',
    ProductUsageStateChangeEvent: 'ProductUsageStateChangeEvent',
    ProductUsageDeleteEvent: 'ProductUsageDeleteEvent',
    ExportJobCreateEvent: 'ExportJobCreateEvent',
    ExportJobStateChangeEvent: 'ExportJobStateChangeEvent',
    ExportJobDeleteEvent: 'ExportJobDeleteEvent',
    UsageIngestRejectionEvent: 'UsageIngestRejectionEvent',
  },
  v4: {
    ProductUsageCreateEvent: 'UsageCreateEvent',
    ProductUsageAttributeValueChangeEvent: 'UsageAttributeValueChangeEvent',
    ProductUsageStateChangeEvent: 'UsageStateChangeEvent',
    ProductUsageDeleteEvent: 'UsageDeleteEvent',
  },
};

export const eventNameFor = (version: ApiVersion, type: HubEventType) => eventNames[version][type] ?? type;

const partyKey: Record<ApiVersion, string> = { v5: 'relatedParty.partyOrPartyRole.id', v4: 'relatedParty.id' };

export function parseHubQuery(version: ApiVersion, query: string | undefined): { filter: ProductUsageEventFilter | null; eventTypes: HubEventType[] | null } {
  if (!query) return { filter: null, eventTypes: null };
  const params = new URLSearchParams(query.replace(/^\?/, ''));
  const filter: ProductUsageEventFilter = {};
  let eventTypes: HubEventType[] | null = null;
  const values = (key: string) =>
    params
      .getAll(key)
      .flatMap((v) => v.split(','))
      .filter(Boolean);
  for (const key of new Set(params.keys())) {
    if (key === 'eventType') {
      const byName = Object.fromEntries(Object.entries(eventNames[version]).map(([type, name]) => [name, type as HubEventType]));
      eventTypes = values(key).map((name) => {
        if (!byName[name]) throw badRequest(`query: eventType "${name}" is not one of ${Object.keys(byName).join(', ')}.`);
        return byName[name];
      });
    } else if (key === partyKey[version]) filter.relatedPartyId = values(key);
    else if (key === 'usageSpecification.id') filter.usageSpecificationId = values(key);
    else if (key === 'usageType') filter.usageType = values(key);
    else if (key === 'status') {
      const allowed: readonly string[] = version === 'v5' ? v5Statuses : v4Statuses;
      const stored = version === 'v5' ? storedForV5 : storedForV4;
      filter.status = values(key).flatMap((status) => {
        if (!allowed.includes(status)) throw badRequest(`query: status "${status}" is not one of ${allowed.join(', ')}.`);
        return stored(status) as NonNullable<ProductUsageEventFilter['status']>;
      });
    } else {
      throw badRequest(`query: "${key}" cannot filter events; use eventType, ${partyKey[version]}, usageSpecification.id, status or usageType.`);
    }
  }
  return { filter: Object.keys(filter).length ? filter : null, eventTypes };
}

/** The hub as TMF shows it; `status` and `lastError` tell a partner whether deliveries reach it. */
export function hubToTmf(hub: TmfHubFragment, href: string, version: ApiVersion): Json {
  return compact({
    id: hub.id,
    ...(version === 'v5' ? { href, '@type': 'Hub' } : {}),
    callback: hub.callback,
    query: hub.query,
    status: hub.status,
    lastError: hub.lastError,
  });
}

/**
 * A refused usage in a UsageIngestRejectionEvent (ours, in TMF style): the error as the job records it,
 * its UTS code and logref, references to the job and the rule (the usage-transparency resources
 * that serve them), and the usage as the job received it.
 */
export function ingestionRejectionToTmf(rejection: TmfIngestionRejectionFragment, publicUrl: string): Json {
  const uts = `${publicUrl}${utsBase}`;
  const rule = rejection.ingestionRule;
  return compact({
    id: rejection.id,
    '@type': 'UsageIngestRejection',
    usageIngestJob: { id: rejection.jobId, href: `${uts}/usagesJobs/${rejection.jobId}`, '@referredType': 'UsageIngestJob' },
    index: rejection.index,
    code: rejection.code,
    utsCode: `mdsp.core.usagetransparency.${rejection.rule}`,
    logref: rejection.id,
    rule: rejection.rule,
    errorType: rejection.errorType,
    message: rejection.message,
    messageParameters: rejection.messageParameters,
    ingestionRule: rule ? { id: rule.id, href: `${uts}/rules/${rule.id}`, '@referredType': 'IngestionRule' } : null,
    usage: compact(rejection.usage),
  });
}
