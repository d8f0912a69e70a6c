import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Reads a running subgraph's SDL through the Federation `_service { sdl }` query. At start-up the
 * subgraphs may still be booting, so it retries until `deadline`.
 */
export async function fetchSubgraphSdl(
  url: string,
  options: { timeoutMs?: number; retryForMs?: number; headers?: () => Record<string, string> } = {},
): Promise<string> {
  const deadline = Date.now() + (options.retryForMs ?? 30_000);
  let lastError: unknown;
  do {
    try {
      const response = await fetch(url, {
        method: 'POST',
        // Subgraphs answer only signed requests, this one included (platform/internal-signature.ts).
        headers: { 'content-type': 'application/json', ...options.headers?.() },
        body: JSON.stringify({ query: '{ _service { sdl } }' }),
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
      const body = (await response.json()) as { data?: { _service?: { sdl?: string } } };
      const sdl = body.data?._service?.sdl;
      if (response.ok && sdl) return sdl;
      lastError = new Error(`HTTP ${response.status} without an SDL`);
    } catch (error) {
      lastError = error;
    }
    await sleep(250);
  } while (Date.now() < deadline);
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`Subgraph at ${url} did not give its schema (${reason}). Is it running?`);
}
