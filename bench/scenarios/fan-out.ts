import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { startChild, type Child } from '../child.js';
import type { FanOutRequest, FanOutResult } from '../fanout-child.js';
import { root } from '../load.js';
import { cpuMs, rssMiB, waitUntilQuiet } from '../processes.js';
import type { Scenario } from '../scenario.js';
import { ourGateway, startSubgraphs, type Subgraphs } from '../servers/subgraphs.js';
import { fixed, table } from '../stats.js';
import { seed } from '../seed.js';

/** Issue 4: 1,000 subscribers through one gateway, 50 events per second, p99 delivery under 100 ms. */
export const fanOutTargets = { subscribers: 1_000, rate: 50, p99Ms: 100 };

export const fanOut: Scenario = {
  name: 'fan-out',
  async run({ config, mongodbUri, db: benchDb, databasePid, auth, log }) {
    // A database of its own: the usages this scenario creates must not change the other scenarios' pages.
    const database = `${config.database}_fan_out`;
    const db = benchDb.client.db(database);
    await seed(db, { usages: 0, parties: 10, specifications: 5 });
    let subgraphs: Subgraphs | undefined;
    let gateway: Child | undefined;
    try {
      subgraphs = await startSubgraphs({ mongodbUri, database, dataDir: config.dataDir });
      const supergraphPath = path.resolve(root, config.dataDir, 'bench-supergraph.graphql');
      writeFileSync(supergraphPath, subgraphs.supergraphSdl);
      // One tenant subscribes 1,000 times within a second here; the per-tenant rate limit (README,
      // "Limits": 200/s, burst 400) would refuse most of those subscribes, so it is off for this scenario.
      gateway = await startChild(ourGateway(supergraphPath, subgraphs, { RATE_LIMIT_PER_SECOND: '0' }));
      const specification = await db.collection('productUsageSpecifications').findOne({});
      const party = await db.collection('parties').findOne({});
      const request: FanOutRequest = {
        wsUrl: gateway.url.replace(/^http/, 'ws'),
        httpUrl: gateway.url,
        authorization: auth.authorization,
        subscribers: config.subscribers,
        rate: fanOutTargets.rate,
        seconds: config.duration,
        specificationId: String(specification!._id),
        partyId: String(party!._id),
        usageType: `bench-fan-out-${Date.now()}`,
      };
      await waitUntilQuiet([gateway.pid, ...subgraphs.pids]);
      const rssBefore = rssMiB(gateway.pid)!;
      const measured = await runFanOut(request, gateway.pid, [...subgraphs.pids], databasePid, log);
      const perSubscriber = ((measured.rssSubscribed - rssBefore) * 1024) / request.subscribers;
      const r = measured.result;
      log(
        `fan-out: ${r.deliveries}/${r.expected} deliveries, event created -> received p50 ${r.fromEventTime.p50} ms, p99 ${r.fromEventTime.p99} ms, ` +
          `max ${r.fromEventTime.max} ms (mutation sent -> received p99 ${r.latency.p99} ms); ` +
          `gateway RSS ${fixed(rssBefore, 0)} MiB idle, ${fixed(measured.rssSubscribed, 0)} MiB subscribed, peak ${fixed(measured.rssPeak, 0)} MiB`,
      );
      const met = r.missing === 0 && r.fromEventTime.p99 < fanOutTargets.p99Ms;
      return {
        title: 'Subscription fan-out (issue 4)',
        markdown: [
          `${request.subscribers} graphql-ws clients (one \`node\` process, \`bench/fanout-child.ts\`) subscribe through our gateway to`,
          '`productUsageEvents(filter: { usageType: [<this run>] }, eventTypes: [ProductUsageCreateEvent]) { eventId eventTime eventType productUsage { id description usageType status } }`.',
          'Usages are created through the gateway (`createProductUsage`) until every client has seen one (so every',
          `upstream subscription is in place), then at ${request.rate} per second for ${request.seconds} s. The delivery latency is from the event's`,
          'creation (its `eventTime`, stamped by the usage subgraph when it publishes, after the write) to its receipt, for every',
          'client and every event (one machine, one clock). "Mutation sent → received" adds the write through the graph',
          '(gateway, usage subgraph, FerretDB insert and hub outbox) before the event exists; on a loaded machine that',
          'part queues first. The database is one of its own. The gateway, the three subgraphs and FerretDB run in their own',
          "processes, as in the gateway scenario. Memory per subscriber is the gateway's RSS with every client subscribed,",
          'less its RSS before the clients connected, divided by the clients. All clients use one token (one tenant),',
          'so they share upstream subscriptions; the per-tenant rate limit is off here (`RATE_LIMIT_PER_SECOND=0`), since',
          'it would refuse most of 1,000 subscribes from one tenant within a second.',
          '',
          table(
            ['', ''],
            [
              ['events created', String(r.events)],
              ['deliveries (expected)', `${r.deliveries} (${r.expected})`],
              ['clients that missed an event', String(r.clientsMissing)],
              ['clients closed by the gateway', String(r.closedClients)],
              [
                'delivery latency p50 / p99 / max (event created → received)',
                `${r.fromEventTime.p50} / **${r.fromEventTime.p99}** / ${r.fromEventTime.max} ms`,
              ],
              ['mutation sent → received, p50 / p99 / max', `${r.latency.p50} / ${r.latency.p99} / ${r.latency.max} ms`],
              ['mutation round trip p99', `${r.mutationP99} ms`],
              [
                'gateway RSS idle / all subscribed / peak while publishing',
                `${fixed(rssBefore, 0)} / ${fixed(measured.rssSubscribed, 0)} / ${fixed(measured.rssPeak, 0)} MiB`,
              ],
              ['gateway memory per subscriber', `**${fixed(perSubscriber, 1)} KiB**`],
              [
                'CPU while publishing (gateway / subgraphs / DB), % of one core',
                `${fixed(measured.cpu.gateway, 0)} / ${fixed(measured.cpu.upstream, 0)} / ${fixed(measured.cpu.database, 0)}`,
              ],
            ],
          ),
          '',
          `**Target** (p99 under ${fanOutTargets.p99Ms} ms at ${fanOutTargets.rate} events/s, every event to every subscriber): ${met ? 'met' : 'not met'}.`,
        ].join('\n'),
        summary: [
          `fan-out to ${request.subscribers} subscribers at ${request.rate}/s: ${r.deliveries}/${r.expected} delivered, p99 ${r.fromEventTime.p99} ms from event creation ` +
            `(target < ${fanOutTargets.p99Ms}; ${r.latency.p99} ms from sending the mutation), ` +
            `gateway ${fixed(perSubscriber, 1)} KiB per subscriber, RSS peak ${fixed(measured.rssPeak, 0)} MiB: ${met ? 'met' : 'not met'}`,
        ],
      };
    } finally {
      await gateway?.stop();
      await subgraphs?.stop();
      await db.dropDatabase();
    }
  },
};

interface Measured {
  result: FanOutResult;
  rssSubscribed: number;
  rssPeak: number;
  /** Percent of one core during the publishing part. */
  cpu: { gateway: number; upstream: number; database: number };
}

function runFanOut(
  request: FanOutRequest,
  gatewayPid: number,
  upstream: number[],
  databasePid: number | undefined,
  log: (m: string) => void,
): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench/fanout-child.ts'), JSON.stringify(request)], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    let rssSubscribed = 0;
    let rssPeak = 0;
    let sampler: NodeJS.Timeout | undefined;
    let result: FanOutResult | undefined;
    const cpu = () => ({
      at: Date.now(),
      gateway: cpuMs(gatewayPid) ?? 0,
      upstream: upstream.reduce((sum, pid) => sum + (cpuMs(pid) ?? 0), 0),
      database: databasePid === undefined ? 0 : (cpuMs(databasePid) ?? 0),
    });
    let cpuStart = cpu();
    let cpuEnd = cpuStart;
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: proc.stdout }).on('line', (line) => {
      if (line === 'subscribed') {
        void waitUntilQuiet([gatewayPid, ...upstream], 10_000).then(() => {
          rssSubscribed = rssMiB(gatewayPid) ?? 0;
          log(`fan-out: ${request.subscribers} subscribers in place, gateway RSS ${fixed(rssSubscribed, 0)} MiB; publishing`);
          cpuStart = cpu();
          sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMiB(gatewayPid) ?? 0)), 250);
          proc.stdin.end('go\n');
        });
      } else if (line === 'sent') {
        cpuEnd = cpu();
      } else if (line.startsWith('{')) {
        result = JSON.parse(line) as FanOutResult;
      }
    });
    proc.once('close', (code) => {
      clearInterval(sampler);
      if (code !== 0 || !result) return reject(new Error(`fan-out client exited with ${code}: ${stderr.trim().slice(-2_000)}`));
      const seconds = (cpuEnd.at - cpuStart.at) / 1000;
      const percent = (used: number) => used / seconds / 10;
      resolve({
        result,
        rssSubscribed,
        rssPeak,
        cpu: {
          gateway: percent(cpuEnd.gateway - cpuStart.gateway),
          upstream: percent(cpuEnd.upstream - cpuStart.upstream),
          database: percent(cpuEnd.database - cpuStart.database),
        },
      });
    });
  });
}
