import type { UsageIngestInput, UtsErrorFragment, UtsKpiFragment } from '../operations/generated.js';

/**
 * The usage-transparency (UTS) shapes (docs/uts.md) and their translation to and from
 * the graph. Pure: no I/O (unit-tested in tests/unit/uts-mapping.test.ts).
 */

export const utsBase = '/api/usagetransparency/v3';
/** Usages per ingestion request, counted across all users (UTS). */
export const maxUsagesPerRequest = 200;

/** The generic UTS error codes, by what went wrong. */
export const utsCode = {
  invalidParameter: 'mdsp.core.generic.invalidParameter',
  invalidRequestBodyProperty: 'mdsp.core.generic.invalidRequestBodyProperty',
  missingParameter: 'mdsp.core.generic.missingParameter',
  missingRequestBodyProperty: 'mdsp.core.generic.missingRequestBodyProperty',
  unauthorized: 'mdsp.core.generic.unauthorized',
  forbidden: 'mdsp.core.generic.forbidden',
  noMatch: 'mdsp.core.generic.noMatch',
  conflict: 'mdsp.core.generic.conflict',
  payloadTooLarge: 'mdsp.core.generic.payloadTooLarge',
  unsupportedMediaType: 'mdsp.core.generic.unsupportedMediaType',
  tooManyRequests: 'mdsp.core.generic.tooManyRequests',
  internalServerError: 'mdsp.core.generic.internalServerError',
  serviceUnavailable: 'mdsp.core.generic.serviceUnavailable',
  gatewayTimeout: 'mdsp.core.generic.gatewayTimeout',
} as const;
export type UtsCode = (typeof utsCode)[keyof typeof utsCode];

/** A UTS error response: status plus `{ errors: [ { code, message, messageParameters, logref } ] }`. */
export class UtsError extends Error {
  constructor(
    readonly status: number,
    readonly code: UtsCode,
    message: string,
    readonly parameters: { name: string; value: string }[] = [],
  ) {
    super(message);
  }

  body(logref: string) {
    return { errors: [{ code: this.code, message: this.message, messageParameters: this.parameters, logref }] };
  }
}

const missingBody = (path: string) => new UtsError(400, utsCode.missingRequestBodyProperty, `${path} is required.`, [{ name: 'property', value: path }]);
const invalidBody = (path: string, expected: string) =>
  new UtsError(400, utsCode.invalidRequestBodyProperty, `${path} must be ${expected}.`, [{ name: 'property', value: path }]);

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Reads one property: required or not, of the given JSON type. */
function read(obj: Json, key: string, path: string, type: 'string' | 'number' | 'array' | 'object', required: boolean): unknown {
  const value = obj[key];
  if (value === undefined || value === null) {
    if (required) throw missingBody(`${path}${key}`);
    return undefined;
  }
  const ok =
    type === 'array'
      ? Array.isArray(value)
      : type === 'object'
        ? isObject(value)
        : type === 'number'
          ? typeof value === 'number' && Number.isFinite(value)
          : typeof value === 'string';
  if (!ok) throw invalidBody(`${path}${key}`, type === 'array' ? 'an array' : type === 'object' ? 'an object' : `a ${type}`);
  return value;
}

function known(obj: Json, keys: readonly string[], path: string): void {
  for (const key of Object.keys(obj))
    if (!keys.includes(key)) throw invalidBody(`${path}${key}`, `one of the documented properties (${keys.join(', ')}); it is not one`);
}

function countUsages(outer: unknown, innerList: string, usageList: string): number {
  let n = 0;
  if (!Array.isArray(outer)) return 0;
  for (const a of outer) {
    const inner = isObject(a) ? a[innerList] : undefined;
    if (!Array.isArray(inner)) continue;
    for (const b of inner) {
      const usages = isObject(b) ? b[usageList] : undefined;
      if (Array.isArray(usages)) n += usages.length;
    }
  }
  return n;
}

function tooLarge(count: number): UtsError {
  return new UtsError(413, utsCode.payloadTooLarge, `A request carries at most ${maxUsagesPerRequest} usages; this one has ${count}. Nothing was accepted.`, [
    { name: 'usagesCount', value: String(count) },
    { name: 'maximum', value: String(maxUsagesPerRequest) },
  ]);
}

/** POST /usagesJobs body -> the graph's usages, in order (users, resources, usages). */
export function usagesFromJobBody(body: unknown): UsageIngestInput[] {
  if (!isObject(body)) throw invalidBody('body', 'a JSON object');
  const count = countUsages(body.users, 'resources', 'usages');
  if (count > maxUsagesPerRequest) throw tooLarge(count);
  known(body, ['users'], '');
  const users = read(body, 'users', '', 'array', true) as unknown[];
  if (!users.length) throw invalidBody('users', 'a non-empty array');
  const out: UsageIngestInput[] = [];
  users.forEach((user, u) => {
    const up = `users[${u}].`;
    if (!isObject(user)) throw invalidBody(`users[${u}]`, 'an object');
    known(user, ['tenantId', 'userId', 'userType', 'resources'], up);
    const tenantId = read(user, 'tenantId', up, 'string', true) as string;
    const userId = read(user, 'userId', up, 'string', false) as string | undefined;
    const userType = read(user, 'userType', up, 'string', false) as string | undefined;
    if (userType !== undefined && !['tenant', 'user', 'agent'].includes(userType)) throw invalidBody(`${up}userType`, 'one of tenant, user, agent');
    const resources = read(user, 'resources', up, 'array', true) as unknown[];
    resources.forEach((resource, r) => {
      const rp = `${up}resources[${r}].`;
      if (!isObject(resource)) throw invalidBody(`${up}resources[${r}]`, 'an object');
      known(resource, ['application', 'alias', 'resource', 'usages'], rp);
      const application = read(resource, 'application', rp, 'string', true) as string;
      const alias = read(resource, 'alias', rp, 'string', false) as string | undefined;
      const name = read(resource, 'resource', rp, 'string', true) as string;
      const usages = read(resource, 'usages', rp, 'array', true) as unknown[];
      usages.forEach((usage, i) => {
        const p = `${rp}usages[${i}].`;
        if (!isObject(usage)) throw invalidBody(`${rp}usages[${i}]`, 'an object');
        known(usage, ['value', 'unit', 'datetime'], p);
        out.push({
          tenantId,
          userId: userId ?? null,
          userType: (userType as UsageIngestInput['userType']) ?? null,
          application,
          alias: alias ?? null,
          resource: name,
          value: read(usage, 'value', p, 'number', true) as number,
          unit: read(usage, 'unit', p, 'string', true) as string,
          datetime: read(usage, 'datetime', p, 'string', true) as string,
        });
      });
    });
  });
  if (!out.length) throw invalidBody('users', 'carrying at least one usage');
  return out;
}

/**
 * POST /usages (the older single-tenant form) -> the graph's usages. It names no application: the
 * resource alias stands for it (as the older service keyed usages by resource alias), "legacy" when
 * absent; the resource is resourceName, or the tenant itself.
 */
export function usagesFromLegacyBody(body: unknown): UsageIngestInput[] {
  if (!isObject(body)) throw invalidBody('body', 'a JSON object');
  const count = countUsages(body.UTSUsageData === undefined ? undefined : [{ r: body.UTSUsageData }], 'r', 'UsageData');
  if (count > maxUsagesPerRequest) throw tooLarge(count);
  known(body, ['CustomerTenantID', 'CustomerUserID', 'UTSUsageData'], '');
  const tenantId = read(body, 'CustomerTenantID', '', 'string', true) as string;
  const userId = read(body, 'CustomerUserID', '', 'string', false) as string | undefined;
  const data = read(body, 'UTSUsageData', '', 'array', true) as unknown[];
  const out: UsageIngestInput[] = [];
  data.forEach((entry, r) => {
    const rp = `UTSUsageData[${r}].`;
    if (!isObject(entry)) throw invalidBody(`UTSUsageData[${r}]`, 'an object');
    known(entry, ['resourceAlias', 'resourceName', 'UsageData'], rp);
    const alias = read(entry, 'resourceAlias', rp, 'string', false) as string | undefined;
    const resource = read(entry, 'resourceName', rp, 'string', false) as string | undefined;
    const usages = read(entry, 'UsageData', rp, 'array', true) as unknown[];
    usages.forEach((usage, i) => {
      const p = `${rp}UsageData[${i}].`;
      if (!isObject(usage)) throw invalidBody(`${rp}UsageData[${i}]`, 'an object');
      known(usage, ['usage', 'usageUnit', 'usageDate'], p);
      out.push({
        tenantId,
        userId: userId ?? null,
        application: alias ?? 'legacy',
        alias: alias ?? null,
        resource: resource ?? tenantId,
        value: read(usage, 'usage', p, 'number', true) as number,
        unit: read(usage, 'usageUnit', p, 'string', true) as string,
        datetime: read(usage, 'usageDate', p, 'string', true) as string,
      });
    });
  });
  if (!out.length) throw invalidBody('UTSUsageData', 'carrying at least one usage');
  return out;
}

export interface UtsPage {
  number: number;
  size: number;
  totalElements: number;
  totalPages: number;
}

export const pageOut = (number: number, size: number, totalElements: number): UtsPage => ({
  number,
  size,
  totalElements,
  totalPages: Math.ceil(totalElements / size),
});

const invalidParameter = (name: string, expected: string) =>
  new UtsError(400, utsCode.invalidParameter, `Query parameter ${name} must be ${expected}.`, [{ name: 'parameter', value: name }]);
export const missingParameter = (name: string) =>
  new UtsError(400, utsCode.missingParameter, `Query parameter ${name} is required.`, [{ name: 'parameter', value: name }]);

/** Refuses parameters an endpoint does not take (a typo must not silently widen a query). */
export function onlyParameters(params: URLSearchParams, allowed: readonly string[]): void {
  for (const name of params.keys()) {
    if (!allowed.includes(name))
      throw new UtsError(400, utsCode.invalidParameter, `Unknown query parameter ${name}; this endpoint takes ${allowed.join(', ') || 'none'}.`, [
        { name: 'parameter', value: name },
      ]);
    if (params.getAll(name).length > 1) throw invalidParameter(name, 'given once');
  }
}

/** page (from 0) and size (1 to max) in; the graph's offset and limit out. */
export function paging(params: URLSearchParams, defaultSize: number, maxSize: number): { number: number; size: number; offset: number; limit: number } {
  const integer = (name: string, fallback: number, min: number, max: number) => {
    const raw = params.get(name);
    if (raw === null) return fallback;
    if (!/^\d{1,9}$/.test(raw) || Number(raw) < min || Number(raw) > max) throw invalidParameter(name, `an integer from ${min} to ${max}`);
    return Number(raw);
  };
  const size = integer('size', defaultSize, 1, maxSize);
  const number = integer('page', 0, 0, 1_000_000);
  return { number, size, offset: number * size, limit: size };
}

export const dateParameter = (params: URLSearchParams, name: string): string | null => {
  const raw = params.get(name);
  if (raw === null) return null;
  if (!/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(raw)) throw invalidParameter(name, 'a date yyyy-mm-dd');
  return raw;
};

export const months = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** month (1-12, or an English month name) and year -> yyyy-mm. */
export function monthOf(params: URLSearchParams): { key: string; name: string; year: string } {
  const month = params.get('month');
  const year = params.get('year');
  if (month === null) throw missingParameter('month');
  if (year === null) throw missingParameter('year');
  if (!/^\d{4}$/.test(year)) throw invalidParameter('year', 'a year of four digits');
  const byName = months.indexOf(month.toLowerCase());
  const index = byName >= 0 ? byName : /^(0?[1-9]|1[0-2])$/.test(month) ? Number(month) - 1 : -1;
  if (index < 0) throw invalidParameter('month', 'a month from 1 to 12 or its English name');
  return { key: `${year}-${String(index + 1).padStart(2, '0')}`, name: months[index]!, year };
}

export function required(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === '') throw missingParameter(name);
  return value;
}

/** The aggregation header shared by both monthly aggregate responses (the samples' misspelling kept as an alias). */
export function aggregationHeader(kpi: UtsKpiFragment, month: { name: string; year: string }, until: string) {
  const aggregationFunction = { aggregationFunctionDaily: kpi.dailyFunction, aggregationFunctionMonthly: kpi.monthlyFunction, preFill: kpi.preFill };
  return {
    application: kpi.application,
    applicationDisplayName: kpi.applicationDisplayName ?? kpi.application,
    KPIName: kpi.name,
    KPIDisplayName: kpi.displayName ?? kpi.name,
    aggregationUntilDate: until,
    year: month.year,
    month: month.name,
    aggregationFunction,
    aggragationFunction: aggregationFunction,
  };
}

/** One per-usage error of a job in the UTS shape; errorData echoes the rejected usage in the request's shape. */
export function jobErrorOut(jobId: string, error: UtsErrorFragment) {
  const u = (error.usage ?? {}) as Record<string, unknown>;
  return {
    code: `mdsp.core.usagetransparency.${error.rule}`,
    message: error.message,
    messageParameters: error.messageParameters,
    logref: `${jobId}:${error.index}`,
    errorType: error.errorType,
    errorData: [
      {
        tenantId: u.tenantId,
        userId: u.userId ?? undefined,
        userType: u.userType,
        resources: [
          { application: u.application, alias: u.alias ?? undefined, resource: u.resource, usages: [{ value: u.value, unit: u.unit, datetime: u.datetime }] },
        ],
      },
    ],
  };
}

/** Rules and KPIs over REST: the graph's inputs, KPIs named the UTS way. */
export const ruleProperties = ['application', 'unit', 'accepted', 'valueType', 'minValue', 'maxValue', 'maxPastDays', 'maxFutureDays', 'active'] as const;
export const rulePatchProperties = ['accepted', 'valueType', 'minValue', 'maxValue', 'maxPastDays', 'maxFutureDays', 'active'] as const;

export function kpiOut(kpi: UtsKpiFragment) {
  return {
    id: kpi.id,
    application: kpi.application,
    applicationDisplayName: kpi.applicationDisplayName ?? null,
    KPIName: kpi.name,
    KPIDisplayName: kpi.displayName ?? null,
    unit: kpi.unit,
    aggregationFunction: { aggregationFunctionDaily: kpi.dailyFunction, aggregationFunctionMonthly: kpi.monthlyFunction, preFill: kpi.preFill },
    creationDate: kpi.creationDate,
    lastUpdate: kpi.lastUpdate,
  };
}

/** A KPI body (create, or patch when `patch`) -> the graph's KpiInput / KpiPatch. */
export function kpiIn(body: unknown, patch: boolean): Record<string, unknown> {
  if (!isObject(body)) throw invalidBody('body', 'a JSON object');
  const top = patch
    ? ['applicationDisplayName', 'KPIDisplayName', 'aggregationFunction']
    : ['application', 'applicationDisplayName', 'KPIName', 'KPIDisplayName', 'unit', 'aggregationFunction'];
  known(body, top, '');
  const fn = read(body, 'aggregationFunction', '', 'object', false) as Json | undefined;
  if (fn) known(fn, ['aggregationFunctionDaily', 'aggregationFunctionMonthly', 'preFill'], 'aggregationFunction.');
  const out: Record<string, unknown> = {
    applicationDisplayName: body.applicationDisplayName,
    displayName: body.KPIDisplayName,
    dailyFunction: fn?.aggregationFunctionDaily,
    monthlyFunction: fn?.aggregationFunctionMonthly,
    preFill: fn?.preFill,
  };
  if (!patch) {
    out.application = read(body, 'application', '', 'string', true);
    out.name = read(body, 'KPIName', '', 'string', true);
    out.unit = body.unit;
  }
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

/** A rule body -> the graph's IngestionRuleInput or IngestionRulePatch (types are checked by the graph). */
export function ruleIn(body: unknown, patch: boolean): Record<string, unknown> {
  if (!isObject(body)) throw invalidBody('body', 'a JSON object');
  known(body, patch ? rulePatchProperties : ruleProperties, '');
  if (!patch) {
    read(body, 'application', '', 'string', true);
    read(body, 'unit', '', 'string', true);
  }
  return body;
}
