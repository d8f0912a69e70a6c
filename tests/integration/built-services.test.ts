import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildServices, nodeArguments, type Service } from '../../scripts/build.js';

// The services as `npm run gateway`, `npm run subgraph:<name>` and `npm run rest` run them in
// production: bundles of scripts/build.ts under plain `node`, each its own process. They find the
// schema, the console and the TMF specifications from the bundle (scripts/build.ts rewrites
// import.meta.url), and answer a federated query and a TMF request end to end.
const children: ChildProcess[] = [];
const secret = randomBytes(32).toString('base64url');
const env = {
  ...process.env,
  NODE_ENV: 'test',
  HOST: '127.0.0.1',
  MONGODB_URI: inject('mongodbUri'),
  MONGODB_DB: `${inject('databasePrefix')}built_services`,
  AUTH_HS256_SECRET: secret,
  INTERNAL_AUTH_SECRET: randomBytes(32).toString('base64url'),
  DATA_DIR: '.data/test',
  LOG_LEVEL: 'info',
};

function start(service: Service, extra: Record<string, string>, ready: RegExp): Promise<string> {
  const child = spawn(process.execPath, nodeArguments(service), { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${service} did not start: ${output}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`${service} exited with ${code}: ${output}`)));
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        output += `${line}\n`;
        const url = ready.exec(line)?.[1];
        if (url) {
          clearTimeout(timer);
          resolve(url);
        }
      });
    }
  });
}

let gateway = '';
let rest = '';
let token = '';
beforeAll(async () => {
  await buildServices();
  const urls: Record<string, string> = {};
  for (const name of ['usage', 'specification', 'party'] as const) {
    urls[name] = await start(`subgraph-${name}`, { [`${name.toUpperCase()}_PORT`]: '0' }, /subgraph ready at (http:\/\/\S+)/);
  }
  gateway = await start(
    'gateway',
    { GATEWAY_PORT: '0', USAGE_URL: urls.usage!, SPECIFICATION_URL: urls.specification!, PARTY_URL: urls.party! },
    /gateway ready at (http:\/\/\S+)/,
  );
  rest = await start('rest', { REST_PORT: '0', GATEWAY_URL: gateway }, /REST facade ready at (http:\/\/\S+)/);
  token = await new SignJWT({ tenant: 'built-tenant', scope: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('builder')
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(secret));
}, 90_000);
afterAll(async () => {
  await Promise.all(
    children.map((child) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM'))))),
  );
});

describe('the built services', () => {
  it('serve a federated query through the gateway and a TMF request through the REST facade', async () => {
    const post = async (query: string) => {
      const response = await fetch(gateway, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      });
      return (await response.json()) as { data?: any; errors?: unknown };
    };
    const party = await post('mutation { createParty(input: { kind: Organization, name: "Built Org" }) { id } }');
    expect(party.errors, JSON.stringify(party.errors)).toBeUndefined();
    const id = party.data.createParty.id as string;
    const usage = await post(`mutation { createProductUsage(input: { usageType: "built", relatedParty: [{ role: "customer", partyOrPartyRole: { id: "${id}", type: PartyRef } }] }) { id } }`);
    expect(usage.errors, JSON.stringify(usage.errors)).toBeUndefined();
    const page = await post('{ productUsages(filter: { usageType: ["built"] }) { items { relatedParty { party { name } } } } }');
    expect(page).toEqual({ data: { productUsages: { items: [{ relatedParty: [{ party: { name: 'Built Org' } }] }] } } });

    const tmf = await fetch(`${rest}/tmf-api/productUsageManagement/v5/productUsage?usageType=built`, { headers: { authorization: `Bearer ${token}` } });
    expect(tmf.status).toBe(200);
    expect(((await tmf.json()) as { id: string }[]).map((u) => u.id)).toEqual([usage.data.createProductUsage.id]);
  });
});
