import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

let token = '';
async function gql(url: string, query: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as { data?: any; errors?: unknown[] };
}

// `npm start` as a user runs it: the launcher script, the embedded FerretDB unless MONGODB_URI is
// set, the three subgraphs and the gateway; then Ctrl-C (SIGINT) stops all of it.
describe('npm start', () => {
  it('brings up the whole system, serves a cross-subgraph query, and stops everything on SIGINT', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'usage-graph-start-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
      env: {
        ...process.env,
        NODE_ENV: 'development',
        DATA_DIR: dataDir,
        MONGODB_DB: `${process.env.MONGODB_URI ? 'start_test_' + Date.now() : 'usage_graph'}`,
        GATEWAY_PORT: '0',
        USAGE_PORT: '0',
        SPECIFICATION_PORT: '0',
        PARTY_PORT: '0',
        // Free ports only: other test files run at the same time.
        REST_PORT: '0',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const lines: string[] = [];
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start-up banner in 60s; stderr: ${stderr}`)), 60_000);
        createInterface({ input: child.stdout }).on('line', (line) => {
          lines.push(line);
          if (line.includes('Ctrl-C stops everything')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
      });
      const banner = lines.join('\n');
      expect(banner).toMatch(/Usage graph ready in \d+\.\d+s\./);
      const gatewayUrl = /GraphQL gateway\s+(http:\/\/[^\s"\\]+)/.exec(banner)![1]!;
      // No key configured: a development token is printed, and the graph refuses calls without it.
      expect(banner).toContain('DEVELOPMENT AUTHENTICATION');
      token = /DEV_TOKEN=(\S+)/.exec(banner)![1]!;
      expect((await fetch(gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' })).status).toBe(
        401,
      );
      const ferretPort = /embedded FerretDB at mongodb:\/\/127\.0\.0\.1:(\d+)\//.exec(banner)?.[1];

      const spec = await gql(gatewayUrl, 'mutation { createProductUsageSpecification(input: { name: "Roaming data" }) { id } }');
      const party = await gql(gatewayUrl, 'mutation { createParty(input: { kind: Organization, name: "Fleet Co" }) { id } }');
      const specId = spec.data.createProductUsageSpecification.id;
      const partyId = party.data.createParty.id;
      await gql(
        gatewayUrl,
        `mutation { createProductUsage(input: { usageType: "data", usageSpecification: { id: "${specId}" }, relatedParty: [{ role: "customer", partyOrPartyRole: { id: "${partyId}" } }] }) { id } }`,
      );
      const listed = await gql(gatewayUrl, '{ productUsages { totalCount items { usageSpecification { name } relatedParty { party { name } } } } }');
      expect(listed).toEqual({
        data: { productUsages: { totalCount: 1, items: [{ usageSpecification: { name: 'Roaming data' }, relatedParty: [{ party: { name: 'Fleet Co' } }] }] } },
      });

      child.kill('SIGINT');
      expect(await exited).toBe(0);
      // Warnings only for real problems: a Node warning at every start (a MaxListenersExceededWarning
      // once) teaches operators to ignore them.
      expect(stderr).not.toMatch(/Warning:/);
      if (ferretPort) expect(await accepts(Number(ferretPort))).toBe(false);
      expect(await accepts(Number(new URL(gatewayUrl).port))).toBe(false);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
