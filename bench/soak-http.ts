/**
 * The soak's HTTP client and its tally: every request it sends is counted by kind and by outcome.
 * An outcome is the HTTP status, with the GraphQL error code beside it when a GraphQL answer carries
 * errors (`503 SERVICE_UNAVAILABLE`), or, without an answer, why: `timeout`, or the socket error's code
 * (`ECONNREFUSED` while a service is down, `ECONNRESET` when it died mid-request).
 */
export interface Answer {
  status: number;
  outcome: string;
  body: any;
  headers: Headers | undefined;
}

export class Tally {
  readonly outcomes = new Map<string, Map<string, number>>();
  readonly latencies = new Map<string, number[]>();

  count(kind: string, outcome: string, ms: number): void {
    const byOutcome = this.outcomes.get(kind) ?? new Map<string, number>();
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
    this.outcomes.set(kind, byOutcome);
    const times = this.latencies.get(kind) ?? [];
    times.push(ms);
    this.latencies.set(kind, times);
  }

  requests(kind: string): number {
    return [...(this.outcomes.get(kind)?.values() ?? [])].reduce((a, b) => a + b, 0);
  }

  /** Every outcome over all kinds. */
  totals(): Map<string, number> {
    const all = new Map<string, number>();
    for (const byOutcome of this.outcomes.values()) for (const [outcome, n] of byOutcome) all.set(outcome, (all.get(outcome) ?? 0) + n);
    return all;
  }
}

const timeoutMs = 10_000;

function failure(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout';
  const cause = (error as { cause?: { code?: string; name?: string } }).cause;
  return cause?.code ?? cause?.name ?? (error instanceof Error ? error.name : 'error');
}

export function createHttp(tally: Tally, authorization: string) {
  /** `graphql`: the body is a GraphQL response, whose first error's code goes beside the status. */
  async function send(kind: string, url: string, init: RequestInit = {}, graphql = false): Promise<Answer> {
    const start = performance.now();
    try {
      const response = await fetch(url, {
        ...init,
        headers: { authorization, ...(init.headers as Record<string, string> | undefined) },
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      let body: any;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const code = graphql && Array.isArray(body?.errors) ? String(body.errors[0]?.extensions?.code ?? 'GRAPHQL_ERROR') : '';
      const outcome = code ? `${response.status} ${code}` : String(response.status);
      tally.count(kind, outcome, performance.now() - start);
      return { status: response.status, outcome, body, headers: response.headers };
    } catch (error) {
      const outcome = failure(error);
      tally.count(kind, outcome, performance.now() - start);
      return { status: 0, outcome, body: undefined, headers: undefined };
    }
  }
  return {
    send,
    graphql: (kind: string, url: string, query: string, variables: Record<string, unknown> = {}) =>
      send(kind, url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) }, true),
    json: (kind: string, url: string, method: string, body: unknown, headers: Record<string, string> = {}) =>
      send(kind, url, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }),
  };
}

export type Http = ReturnType<typeof createHttp>;

/** Worth sending again: no answer, or an answer that says try again (429, 5xx). */
export const retryable = (answer: Answer) => answer.status === 0 || answer.status === 429 || answer.status >= 500;
