// The limit (issue 7, scenario 2): the gateway scenario's page read straight from the database with
// the driver, by the three queries the data needs, served by a bare node:http server. It answers
// GET /page?limit=N&offset=M with the same JSON body the gateways answer for the page query, so the bench can
// check that both return the same data. Prints "ready <url>" once it listens.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MongoClient, type Document } from 'mongodb';

const client = await MongoClient.connect(process.env.MONGODB_URI!);
const db = client.db(process.env.MONGODB_DB);
const usages = db.collection<Document & { _id: string }>('productUsages');
const specifications = db.collection<Document & { _id: string }>('productUsageSpecifications');
const parties = db.collection<Document & { _id: string }>('parties');
// BENCH_TENANT: one tenant's page, as the subgraphs scope every query (volume.ts seeds two tenants).
const tenantScope = process.env.BENCH_TENANT ? { tenant: process.env.BENCH_TENANT } : {};

interface Reference {
  id: string;
  type?: string;
}

async function page(limit: number, offset: number): Promise<unknown> {
  // The usage subgraph's default order: newest first, ties broken by id.
  const docs = await usages
    .find(tenantScope, { sort: { creationDate: -1, _id: -1 }, skip: offset, limit, projection: { usageSpecification: 1, relatedParty: 1 } })
    .toArray();
  const specIds = [...new Set(docs.flatMap((d) => (d.usageSpecification ? [(d.usageSpecification as Reference).id] : [])))];
  const partyRefs = docs.flatMap((d) => (d.relatedParty as { partyOrPartyRole: Reference }[]).map((r) => r.partyOrPartyRole));
  const partyIds = [...new Set(partyRefs.filter((r) => r.type === 'PartyRef').map((r) => r.id))];
  const [specs, people] = await Promise.all([
    specifications.find({ _id: { $in: specIds } }, { projection: { name: 1 } }).toArray(),
    parties.find({ _id: { $in: partyIds } }, { projection: { name: 1 } }).toArray(),
  ]);
  const specName = new Map(specs.map((s) => [s._id, (s.name as string | undefined) ?? null]));
  const partyName = new Map(people.map((p) => [p._id, (p.name as string | undefined) ?? null]));
  return {
    data: {
      productUsages: {
        items: docs.map((d) => ({
          id: d._id,
          usageSpecification: d.usageSpecification ? { name: specName.get((d.usageSpecification as Reference).id) ?? null } : null,
          relatedParty: (d.relatedParty as { role?: string; partyOrPartyRole: Reference }[]).map((r) => ({
            role: r.role ?? null,
            party: r.partyOrPartyRole.type === 'PartyRef' ? { name: partyName.get(r.partyOrPartyRole.id) ?? null } : null,
          })),
        })),
      },
    },
  };
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://raw');
  if (url.pathname !== '/page') return void res.writeHead(404).end();
  page(Number(url.searchParams.get('limit') ?? 20), Number(url.searchParams.get('offset') ?? 0)).then(
    (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
    (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)),
  );
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
console.log(`ready http://127.0.0.1:${(server.address() as AddressInfo).port}/page`);
process.once('SIGINT', () => {
  server.closeAllConnections();
  server.close(() => void client.close().then(() => process.exit(0)));
});
