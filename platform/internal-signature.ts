import { createHmac, timingSafeEqual } from 'node:crypto';
import { callerIdPattern, isScope, type RequestCaller } from './caller.js';

/**
 * The gateway -> subgraph signature. The gateway verifies the client's token once and sends the
 * caller to subgraphs in these headers (HTTP) or connection params (graphql-ws), with an HMAC over
 * all of them and a timestamp. A subgraph trusts nothing else: a request that did not come
 * through the gateway, or was altered, replayed late or forged, is refused.
 */
export const InternalHeader = {
  tenant: 'x-internal-tenant',
  subject: 'x-internal-subject',
  scopes: 'x-internal-scopes',
  timestamp: 'x-internal-timestamp',
  signature: 'x-internal-signature',
} as const;

const message = (timestamp: string, tenant: string, subject: string, scopes: string) => `v1\n${timestamp}\n${tenant}\n${subject}\n${scopes}`;
const mac = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('base64url');

/** The headers that carry `caller`, signed at `now` (ms). */
export function signCaller(secret: string, caller: RequestCaller, now = Date.now()): Record<string, string> {
  const timestamp = String(Math.floor(now / 1000));
  const scopes = caller.scopes.join(' ');
  return {
    [InternalHeader.tenant]: caller.tenant,
    [InternalHeader.subject]: caller.subject,
    [InternalHeader.scopes]: scopes,
    [InternalHeader.timestamp]: timestamp,
    [InternalHeader.signature]: mac(secret, message(timestamp, caller.tenant, caller.subject, scopes)),
  };
}

export type SignatureCheck = { caller: RequestCaller } | { refused: string };

/**
 * The caller named by `headers` if their signature is valid and at most `maxAgeSeconds` old (either
 * way: clocks of gateway and subgraph differ a little); otherwise why not (for the log only).
 */
export function verifyCaller(secret: string, headers: Record<string, unknown>, maxAgeSeconds: number, now = Date.now()): SignatureCheck {
  const get = (name: string) => {
    const value = headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  const tenant = get(InternalHeader.tenant);
  const subject = get(InternalHeader.subject);
  const scopes = get(InternalHeader.scopes);
  const timestamp = get(InternalHeader.timestamp);
  const signature = get(InternalHeader.signature);
  if (tenant === undefined || subject === undefined || scopes === undefined || timestamp === undefined || signature === undefined) {
    return { refused: 'no internal signature' };
  }
  const expected = Buffer.from(mac(secret, message(timestamp, tenant, subject, scopes)));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { refused: 'bad internal signature' };
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > maxAgeSeconds) {
    return { refused: 'expired internal signature' };
  }
  const scopeList = scopes === '' ? [] : scopes.split(' ');
  if (!callerIdPattern.test(tenant) || !callerIdPattern.test(subject) || !scopeList.every(isScope)) {
    return { refused: 'malformed internal caller' };
  }
  return { caller: { tenant, subject, scopes: scopeList.filter(isScope) } };
}
