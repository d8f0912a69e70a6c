import { lookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent } from 'undici';
import { isLocalHostName, isPrivateAddress } from '../platform/private-address.js';

export type PrivateCallbacks = 'allow' | 'deny';

/** The error a refused callback address fails with; hub-delivery.ts turns it into the hub's lastError. */
export class PrivateCallbackError extends Error {
  override name = 'PrivateCallbackError';
  readonly code = 'EPRIVATECALLBACK';
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Resolves like dns.lookup, keeping only public addresses. Checking at connect time, on the address
 * actually dialled, is what stops a name that was public at registration from being pointed at the
 * operator's network later (DNS rebinding).
 */
export function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, []);
    const allowed = addresses.filter((a) => !isPrivateAddress(a.address));
    if (!allowed.length) return callback(new PrivateCallbackError(`${hostname} resolves only to private addresses`), []);
    if (options.all) return callback(null, allowed);
    callback(null, allowed[0]!.address, allowed[0]!.family);
  });
}

/** The connection pool webhook deliveries go through, enforcing HUB_PRIVATE_CALLBACKS. */
export function callbackAgent(privateCallbacks: PrivateCallbacks): Agent {
  return new Agent({
    keepAliveTimeout: 10_000,
    ...(privateCallbacks === 'deny' ? { connect: { lookup: publicOnlyLookup } } : {}),
  });
}

/** Whether a failed delivery was refused by this policy (fetch wraps the connector's error as its cause). */
export function isPrivateCallbackError(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) if (e instanceof PrivateCallbackError) return true;
  return false;
}

/** A literal address never goes through lookup, so it is checked before the request. */
export function refusedCallback(callback: string, privateCallbacks: PrivateCallbacks): boolean {
  if (privateCallbacks === 'allow') return false;
  const { hostname } = new URL(callback);
  return isPrivateAddress(hostname) || isLocalHostName(hostname);
}
