import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildDir, buildServices, nodeArguments, type Service } from '../../scripts/build.js';
import { subgraphNames } from '../../platform/subgraphs.js';

// The services as a production deployment runs them (docs/deploy.md): bundles of scripts/build.ts
// under plain `node`, each its own process, in a tree whose node_modules holds the dependencies
// only (`npm ci --omit=dev`), so a package the bundles import at run time but the project declares
// as a devDependency, or not at all, fails here. They find the schema, the console and the TMF
// specifications from the bundle (scripts/build.ts rewrites import.meta.url), and answer a federated
// query and a TMF request end to end.
const root = path.resolve(import.meta.dirname, '../..');
const deployed = mkdtempSync(path.join(tmpdir(), 'usage-graph-production-'));
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

/** The checkout's built tree without its development packages, as docs/deploy.md deploys it. */
function installForProduction(): void {
  for (const part of ['package.json', 'package-lock.json', 'schema', 'gateway', 'rest-adapter', 'subgraphs', path.relative(root, buildDir)]) {
    cpSync(path.join(root, part), path.join(deployed, part), { recursive: true, filter: (source) => !source.includes(`${path.sep}node_modules`) });
  }
  // The bundles are already built: the root package's prepare script (vite, esbuild) is for a checkout.
  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: deployed, stdio: 'pipe' });
}

function start(service: Service, extra: Record<string, string>, ready: RegExp): Promise<string> {
  const bundle = nodeArguments(service).map((argument) => (argument.startsWith(buildDir) ? path.join(deployed, path.relative(root, argument)) : argument));
  const child = spawn(process.execPath, bundle, { cwd: deployed, env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${service} did not start: ${output}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`${service} exited with ${code}: ${output}`)));
    for (const stream of [child.stdout, child.stderr]) {
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
  installForProduction();
  const urls: Record<string, string> = {};
  for (const name of subgraphNames) {
    urls[name] = await start(`subgraph-${name}`, { [`${name.toUpperCase()}_PORT`]: '0' }, /subgraph ready at (http:\/\/[^\s"]+)/);
  }
  gateway = await start(
    'gateway',
    { GATEWAY_PORT: '0', USAGE_URL: urls.usage!, SPECIFICATION_URL: urls.specification!, PARTY_URL: urls.party! },
    /gateway ready at (http:\/\/[^\s"]+)/,
  );
  rest = await start('rest', { REST_PORT: '0', GATEWAY_URL: gateway }, /REST facade ready at (http:\/\/[^\s"]+)/);
  token = await new SignJWT({ tenant: 'built-tenant', scope: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('builder')
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(secret));
}, 180_000);
afterAll(async () => {
  await Promise.all(
    children.map(
      (child) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM')))),
    ),
  );
  rmSync(deployed, { recursive: true, force: true });
});

describe('the built services, installed without development dependencies', () => {
  it('run from a tree that has none of the development packages', () => {
    for (const development of ['vitest', 'vite', 'tsx', 'typescript', 'esbuild'])
      expect(existsSync(path.join(deployed, 'node_modules', development)), development).toBe(false);
    for (const runtime of ['@graphql-hive/router-runtime', 'graphql-ws']) expect(existsSync(path.join(deployed, 'node_modules', runtime)), runtime).toBe(true);
  });

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
    const usage = await post(
      `mutation { createProductUsage(input: { usageType: "built", relatedParty: [{ role: "customer", partyOrPartyRole: { id: "${id}", type: PartyRef } }] }) { id } }`,
    );
    expect(usage.errors, JSON.stringify(usage.errors)).toBeUndefined();
    const page = await post('{ productUsages(filter: { usageType: ["built"] }) { items { relatedParty { party { name } } } } }');
    expect(page).toEqual({ data: { productUsages: { items: [{ relatedParty: [{ party: { name: 'Built Org' } }] }] } } });

    const tmf = await fetch(`${rest}/tmf-api/productUsageManagement/v5/productUsage?usageType=built`, { headers: { authorization: `Bearer ${token}` } });
    expect(tmf.status).toBe(200);
    expect(((await tmf.json()) as { id: string }[]).map((u) => u.id)).toEqual([usage.data.createProductUsage.id]);
  });
});
