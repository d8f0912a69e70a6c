import { createHash } from 'node:crypto';
import type { IngestionRule } from './catalogue.js';
import type { ProductUsageStatus, UsageIngestInput, UsageUserType } from '../generated/resolvers.js';
import type { ProductUsageDocument } from '../product-usage/documents.js';

/**
 * The pure half of ingestion: a sender's usage normalized, its idempotency key and content hash, the
 * rule check, and the ProductUsage it becomes. No I/O here (unit-tested in tests/unit/ingestion.test.ts).
 */

export interface NormalizedUsage {
  tenant: string;
  user: string | null;
  userType: UsageUserType;
  application: string;
  alias: string | null;
  resource: string;
  unit: string;
  value: number;
  datetime: Date;
  externalIdentifier: string | null;
  provider: string;
}

export interface RuleViolation {
  rule: string;
  message: string;
  parameters: { name: string; value: string }[];
  /** The IngestionRule that refused the usage; absent when none did (the late window, a missing field). */
  ruleId?: string | null;
}

export interface IngestLimits {
  /** A usage older than this many days is refused whatever its rule (its periods are closed). */
  lateWindowDays: number;
  defaultProvider: string;
}

const dayMs = 86_400_000;

export function normalize(input: UsageIngestInput, defaultProvider: string): NormalizedUsage {
  const user = input.userId?.trim() || null;
  return {
    tenant: input.tenantId.trim(),
    user,
    userType: user ? (input.userType ?? 'user') : 'tenant',
    application: input.application.trim(),
    alias: input.alias?.trim() || null,
    resource: input.resource.trim(),
    unit: input.unit.trim(),
    value: input.value,
    datetime: input.datetime,
    externalIdentifier: input.externalIdentifier?.trim() || null,
    provider: input.provider?.trim() || defaultProvider,
  };
}

/** Structural problems no rule is needed for: empty names. */
export function shapeViolation(usage: NormalizedUsage): RuleViolation | null {
  for (const field of ['tenant', 'application', 'resource', 'unit'] as const) {
    const value = usage[field];
    // eslint-disable-next-line no-control-regex -- refusing control characters is the point
    if (!value || value.length > 200 || /[\u0000-\u001f]/.test(value)) {
      return { rule: 'required', message: `${field} must be 1 to 200 printable characters.`, parameters: [{ name: 'field', value: field }] };
    }
  }
  return null;
}

/**
 * The idempotency key: the client's externalIdentifier within its tenant, or the sender's fields that
 * name one measurement (who, what, where, which unit, when). Resending the same measurement with
 * another value is then a conflict, not a second usage.
 */
export function idempotencyKey(usage: NormalizedUsage): string {
  return usage.externalIdentifier
    ? JSON.stringify(['ext', usage.tenant, usage.externalIdentifier])
    : JSON.stringify(['fields', usage.tenant, usage.user, usage.application, usage.alias, usage.resource, usage.unit, usage.datetime.toISOString()]);
}

export function contentHash(usage: NormalizedUsage): string {
  const { tenant, user, userType, application, alias, resource, unit, value, datetime, provider } = usage;
  return createHash('sha256')
    .update(JSON.stringify([tenant, user, userType, application, alias, resource, unit, value, datetime.toISOString(), provider]))
    .digest('base64url');
}

/**
 * The usage id is derived from the caller's tenant and the key: the unique _id index makes a key
 * stored at most once per tenant, across processes, and two tenants sending the same key store two
 * usages (neither sees a CONFLICT that would tell it of the other).
 */
export function usageIdOf(tenant: string, key: string): string {
  const hex = createHash('sha256')
    .update(JSON.stringify([tenant, key]))
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-b${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const dayKey = (date: Date) => date.toISOString().slice(0, 10);
export const monthKey = (date: Date) => date.toISOString().slice(0, 7);

/**
 * The first rule the usage breaks, or null. The late window applies to every usage; the rest only
 * with an active rule for its application and unit.
 */
export function violation(usage: NormalizedUsage, rule: IngestionRule | undefined, limits: IngestLimits, now: Date): RuleViolation | null {
  const ageDays = (now.getTime() - usage.datetime.getTime()) / dayMs;
  const when = usage.datetime.toISOString();
  if (ageDays > limits.lateWindowDays) {
    return {
      rule: 'lateWindow',
      message: `datetime ${when} is more than ${limits.lateWindowDays} days in the past.`,
      parameters: [
        { name: 'datetime', value: when },
        { name: 'lateWindowDays', value: String(limits.lateWindowDays) },
      ],
    };
  }
  if (!rule) return null;
  const broken = ruleViolation(usage, rule, ageDays, when);
  return broken && { ...broken, ruleId: rule._id ?? null };
}

function ruleViolation(usage: NormalizedUsage, rule: IngestionRule, ageDays: number, when: string): RuleViolation | null {
  const value = String(usage.value);
  if (!rule.accepted) {
    return {
      rule: 'unitNotAccepted',
      message: `Unit ${usage.unit} is not accepted for application ${usage.application}.`,
      parameters: [
        { name: 'unit', value: usage.unit },
        { name: 'application', value: usage.application },
      ],
    };
  }
  if (rule.valueType === 'INTEGER' && !Number.isInteger(usage.value)) {
    return {
      rule: 'valueType',
      message: `value ${value} must be an integer for unit ${usage.unit}.`,
      parameters: [
        { name: 'value', value },
        { name: 'valueType', value: 'INTEGER' },
      ],
    };
  }
  if (rule.minValue != null && usage.value < rule.minValue) {
    return {
      rule: 'minValue',
      message: `value ${value} is below the minimum ${rule.minValue}.`,
      parameters: [
        { name: 'value', value },
        { name: 'minValue', value: String(rule.minValue) },
      ],
    };
  }
  if (rule.maxValue != null && usage.value > rule.maxValue) {
    return {
      rule: 'maxValue',
      message: `value ${value} is above the maximum ${rule.maxValue}.`,
      parameters: [
        { name: 'value', value },
        { name: 'maxValue', value: String(rule.maxValue) },
      ],
    };
  }
  if (rule.maxPastDays != null && ageDays > rule.maxPastDays) {
    return {
      rule: 'maxPastDays',
      message: `datetime ${when} is more than ${rule.maxPastDays} days in the past.`,
      parameters: [
        { name: 'datetime', value: when },
        { name: 'maxPastDays', value: String(rule.maxPastDays) },
      ],
    };
  }
  if (rule.maxFutureDays != null && -ageDays > rule.maxFutureDays) {
    return {
      rule: 'maxFutureDays',
      message: `datetime ${when} is more than ${rule.maxFutureDays} days in the future.`,
      parameters: [
        { name: 'datetime', value: when },
        { name: 'maxFutureDays', value: String(rule.maxFutureDays) },
      ],
    };
  }
  return null;
}

const statusOf: Record<'VERIFIED' | 'NOVERIFICATION', ProductUsageStatus> = { VERIFIED: 'validated', NOVERIFICATION: 'initialized' };

/** The full ProductUsage a sender's usage becomes. */
export function ingestedUsageDocument(
  usage: NormalizedUsage,
  ids: { tenant: string; key: string; hash: string; specificationId: string; jobId: string | null },
  processStatus: 'VERIFIED' | 'NOVERIFICATION',
  now: Date,
): ProductUsageDocument {
  const characteristic = (name: string, valueType: string, value: unknown) => ({ name, valueType, value });
  return {
    _id: usageIdOf(ids.tenant, ids.key),
    tenant: ids.tenant,
    type: 'ProductUsage',
    creationDate: now,
    lastUpdate: now,
    usageDate: usage.datetime,
    usageType: usage.unit,
    status: statusOf[processStatus],
    usageCharacteristic: [
      characteristic('value', Number.isInteger(usage.value) ? 'integer' : 'number', usage.value),
      characteristic('unit', 'string', usage.unit),
      characteristic('resource', 'string', usage.resource),
      characteristic('application', 'string', usage.application),
      ...(usage.alias ? [characteristic('alias', 'string', usage.alias)] : []),
    ],
    relatedParty: [
      { role: 'consumer', partyOrPartyRole: { id: usage.tenant, type: 'PartyRef', referredType: 'Organization' } },
      ...(usage.user ? [{ role: usage.userType, partyOrPartyRole: { id: usage.user, type: 'PartyRef' as const, referredType: 'Individual' } }] : []),
      { role: 'provider', partyOrPartyRole: { id: usage.provider, type: 'PartyRef', referredType: 'Organization' } },
    ],
    usageSpecification: { id: ids.specificationId, name: `${usage.application} ${usage.unit}` },
    usageProductPrice: [],
    ratedProductUsage: [],
    externalIdentifier: usage.externalIdentifier ? [{ id: usage.externalIdentifier, owner: usage.tenant, externalIdentifierType: 'usageTransparency' }] : [],
    ingest: {
      key: ids.key,
      hash: ids.hash,
      tenant: usage.tenant,
      user: usage.user,
      userType: usage.userType,
      application: usage.application,
      alias: usage.alias,
      resource: usage.resource,
      unit: usage.unit,
      value: usage.value,
      provider: usage.provider,
      day: dayKey(usage.datetime),
      month: monthKey(usage.datetime),
      processStatus,
      jobId: ids.jobId,
    },
  };
}

/** The usage as the sender gave it, echoed in its error (usage transparency errorData). */
export function echo(usage: NormalizedUsage): Record<string, unknown> {
  return {
    tenantId: usage.tenant,
    userId: usage.user,
    userType: usage.userType,
    application: usage.application,
    alias: usage.alias,
    resource: usage.resource,
    value: usage.value,
    unit: usage.unit,
    datetime: usage.datetime.toISOString(),
    externalIdentifier: usage.externalIdentifier,
    provider: usage.provider,
  };
}
