/**
 * Readiness for load balancers and operators (`/readyz` on every service): whether this process can
 * serve now, as opposed to `/healthz`, whether it runs. Each service asks what it depends on, with
 * a deadline, so a readiness probe never hangs on a database or service that does not answer:
 * a subgraph pings its database, the gateway asks every subgraph, the REST facade asks the gateway.
 */
export interface Readiness {
  ready: boolean;
  /** Why not, per dependency; absent when ready. */
  unavailable?: Record<string, string>;
}

/** How long a probe waits for one dependency. */
export const probeTimeoutMs = 2_000;

/** `check` within probeTimeoutMs: its rejection or lateness is the reason given. */
export async function probe(check: () => Promise<unknown>, what: string): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`${what} did not answer within ${probeTimeoutMs / 1000} s`), probeTimeoutMs);
  });
  try {
    return await Promise.race([check().then(() => null), late]);
  } catch (error) {
    return error instanceof NotReady ? `${what} is not ready` : `${what} does not answer`;
  } finally {
    clearTimeout(timer);
  }
}

/** Probes each named dependency at once; ready when all answer. */
export async function readinessOf(checks: Record<string, () => Promise<unknown>>, what: (name: string) => string): Promise<Readiness> {
  const reasons = await Promise.all(Object.entries(checks).map(async ([name, check]) => [name, await probe(check, what(name))] as const));
  const unavailable = Object.fromEntries(reasons.filter((entry): entry is readonly [string, string] => entry[1] !== null));
  return Object.keys(unavailable).length ? { ready: false, unavailable } : { ready: true };
}

/** The JSON body and status a /readyz answers with. */
export const readinessResponse = (readiness: Readiness): { status: number; body: string } => ({
  status: readiness.ready ? 200 : 503,
  body: JSON.stringify(readiness.ready ? { status: 'ready' } : { status: 'unavailable', unavailable: readiness.unavailable }),
});

/** A dependency that answered, but not ready (its own dependencies are not). */
class NotReady extends Error {}

/** GETs `url` and resolves when it answers 200 (a dependency's own /readyz). */
export async function answersReady(url: string): Promise<void> {
  const response = await fetch(url, { signal: AbortSignal.timeout(probeTimeoutMs) });
  await response.body?.cancel();
  if (response.status !== 200) throw new NotReady(`${url} answered ${response.status}`);
}
