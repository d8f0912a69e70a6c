import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchCaller } from '../auth.js';
import { cpuMs, databaseSupervisor, processTree, pssMiB, rssMiB } from '../processes.js';
import type { Scenario } from '../scenario.js';
import { startSoakReceiver, startSoakSubscriber, warmUp, type SoakSubscriber } from '../soak-events.js';
import { createHttp, Tally } from '../soak-http.js';
import { describeSoak, type KillRecord, type MemoryRecord, type SoakFigures } from '../soak-report.js';
import { startSoakServices, type ServiceName } from '../soak-services.js';
import { startTraffic } from '../soak-traffic.js';
import { checkEvents, checkStore, type Expected } from '../soak-verify.js';

/**
 * Issue 14: the soak. Every service in its own process (three subgraphs, gateway, REST facade, over
 * the default embedded database), `--soak-minutes` of mixed load at a steady moderate rate
 * (soak-traffic.ts), graphql-ws subscribers held open and a webhook hub with a receiver
 * (soak-events.ts); every `--soak-kill-every-s` one service, in turn, is killed with SIGKILL and
 * started again on its port. Afterwards the writes the soak saw acknowledged are looked up in the
 * database (each stored exactly once, each patch's value in place), and the events they made are
 * compared with what the hub delivered and the subscribers received.
 */
const rotation: ServiceName[] = ['usage', 'gateway', 'rest', 'specification', 'party'];
const subscribers = 4;
const databaseRow = 'database supervisor (FerretDB)';
const benchName = 'bench (load, receiver, subscribers)';
/** After the load: how long creates, patches and jobs may still take to be acknowledged, and webhooks to arrive. */
const drainMs = 180_000;
const deliveryQuietMs = 90_000;
const deliveryMaxMs = 300_000;

export const soak: Scenario = {
  name: 'soak',
  optIn: true,
  ownData: true,
  async run(context) {
    const { config, log, auth } = context;
    const runId = Date.now().toString(36);
    const databaseName = `${config.database}_soak`;
    const db = context.db.client.db(databaseName);
    await db.dropDatabase();
    const secret = randomBytes(24).toString('base64url');
    const receiver = await startSoakReceiver(secret);
    const services = await startSoakServices({ mongodbUri: context.mongodbUri, database: databaseName, dataDir: config.dataDir, hubSigningSecret: secret });
    const { gateway, rest } = services.byName;
    const tally = new Tally();
    const http = createHttp(tally, auth.authorization);
    const subs: SoakSubscriber[] = [];
    try {
      // Master data through the graph, then the hub, then the subscribers; a warm-up usage shows both are live.
      const must = async (what: string, run: () => Promise<{ status: number; body: any }>) => {
        const answer = await run();
        if ((answer.status !== 200 && answer.status !== 201) || answer.body?.errors)
          throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body)}`);
        return answer.body;
      };
      const specificationIds: string[] = [];
      for (const name of ['Voice call', 'Mobile data', 'SMS', 'API call', 'Device month'])
        specificationIds.push(
          (
            await must('a specification', () =>
              http.graphql(
                'setup',
                gateway.url,
                'mutation S($input: ProductUsageSpecificationInput!) { createProductUsageSpecification(input: $input) { id } }',
                {
                  input: { name },
                },
              ),
            )
          ).data.createProductUsageSpecification.id,
        );
      const partyIds: string[] = [];
      for (let i = 0; i < 20; i++)
        partyIds.push(
          (
            await must('a party', () =>
              http.graphql('setup', gateway.url, 'mutation P($input: PartyInput!) { createParty(input: $input) { id } }', {
                input: { kind: 'Individual', givenName: 'Soak', familyName: `Party ${i}` },
              }),
            )
          ).data.createParty.id,
        );
      const v5 = () => `${rest.url}/tmf-api/productUsageManagement/v5`;
      const hub = await must('the hub', () => http.json('setup', `${v5()}/hub`, 'POST', { '@type': 'Hub', callback: receiver.url }));
      for (let i = 0; i < subscribers; i++) subs.push(startSoakSubscriber(() => gateway.url.replace(/^http/, 'ws'), auth.authorization));
      const warmupKey = `soak-${runId}-warmup`;
      await warmUp(http, v5, warmupKey, receiver, subs, specificationIds[0]!, partyIds[0]!);
      log(
        `soak: ${services.all.length} services up, hub ${hub.id}, ${subscribers} subscribers live; load for ${config.soakMinutes} min, a kill every ${config.soakKillEveryS} s`,
      );

      // Memory: every service, the database (supervisor RSS; PostgreSQL's processes as PSS, shared buffers once) and the bench.
      const memory = new Map<string, MemoryRecord>();
      const sampleMemory = (phase: 'start' | 'sample' | 'end') => {
        const supervisor = context.databasePid ?? databaseSupervisor();
        const values: [string, number | undefined][] = [
          ...services.all.map((s): [string, number | undefined] => [s.name, s.running ? rssMiB(s.pid) : undefined]),
          ...(supervisor
            ? (({ supervisor: ferret, postgres }): [string, number][] => [
                [databaseRow, ferret],
                ['PostgreSQL (PSS, all its processes)', postgres],
              ])(databaseMemory(supervisor))
            : []),
          [benchName, rssMiB(process.pid)],
        ];
        for (const [name, value] of values) {
          if (value === undefined) continue;
          const record = memory.get(name) ?? { start: value, end: value, peak: value, byMinute: [] };
          if (phase === 'end') record.end = value;
          record.peak = Math.max(record.peak, value);
          memory.set(name, record);
        }
        return values;
      };
      sampleMemory('start');
      // CPU over the load: each service's processes, the database's whole tree (processes.ts cpuMs), the bench.
      const cpuNow = () => {
        const supervisor = context.databasePid ?? databaseSupervisor();
        const bench = process.cpuUsage();
        return new Map<string, number>([
          ...services.all.map((s): [string, number] => [s.name, s.cpuMs()]),
          ...(supervisor ? ([[databaseRow, cpuMs(supervisor) ?? 0]] as [string, number][]) : []),
          [benchName, (bench.user + bench.system) / 1000],
        ]);
      };
      const cpuStart = cpuNow();

      const traffic = startTraffic(
        http,
        { gatewayUrl: () => gateway.url, restUrl: () => rest.url, specificationIds, partyIds, consumer: `soak-${runId}` },
        runId,
      );
      const loadStarted = Date.now();
      const seconds = () => (Date.now() - loadStarted) / 1000;
      const kills: KillRecord[] = [];
      const crashes: string[] = [];
      let restarting: ServiceName | undefined;
      const sampler = setInterval(() => sampleMemory('sample'), 10_000);
      // Half a minute off the kills' schedule, so that no sample falls on a restart ('—' if one does).
      let minuteSampler: NodeJS.Timeout | undefined;
      const minuteSample = () => {
        for (const [name, value] of sampleMemory('sample')) memory.get(name)?.byMinute.push(value ?? Number.NaN);
      };
      const firstMinute = setTimeout(() => {
        minuteSample();
        minuteSampler = setInterval(minuteSample, 60_000);
      }, 30_000);
      // A service that died without being killed is a crash: it is recorded and started again.
      const watchdog = setInterval(() => {
        for (const s of services.all) {
          if (s.running || s.name === restarting) continue;
          restarting = s.name;
          crashes.push(`${s.name} exited at ${seconds().toFixed(0)} s: ${JSON.stringify(s.exits.at(-1))}`);
          log(`soak: ${s.name} died on its own; starting it again`);
          void s.start().finally(() => (restarting = undefined));
        }
      }, 1_000);

      const loadMs = config.soakMinutes * 60_000;
      for (let k = 1; k * config.soakKillEveryS * 1000 < loadMs; k++) {
        await sleep(loadStarted + k * config.soakKillEveryS * 1000 - Date.now());
        const victim = services.byName[rotation[(k - 1) % rotation.length]!];
        while (restarting) await sleep(100);
        restarting = victim.name;
        const record: KillRecord = { atS: seconds(), service: victim.name, rssBeforeMiB: rssMiB(victim.pid), downS: Number.NaN, starts: 0 };
        const t0 = performance.now();
        await victim.kill();
        for (let attempt = 1; ; attempt++) {
          try {
            record.starts = attempt;
            await victim.start();
            break;
          } catch (error) {
            if (attempt === 3) throw error;
            log(`soak: ${victim.name} did not start again (${error instanceof Error ? error.message : String(error)}); retrying`);
            await sleep(2_000);
          }
        }
        record.downS = (performance.now() - t0) / 1000;
        restarting = undefined;
        kills.push(record);
        log(
          `soak: killed ${victim.name} at ${record.atS.toFixed(0)} s (RSS ${record.rssBeforeMiB?.toFixed(0)} MiB), ready again after ${record.downS.toFixed(1)} s`,
        );
      }
      await sleep(loadStarted + loadMs - Date.now());
      sampleMemory('end');
      const cpuEnd = cpuNow();
      const cpu = new Map([...cpuEnd].map(([name, ms]) => [name, (ms - (cpuStart.get(name) ?? 0)) / 1000]));
      clearInterval(sampler);
      clearTimeout(firstMinute);
      clearInterval(minuteSampler);
      const loadSeconds = (Date.now() - loadStarted) / 1000;
      log(`soak: load stopped after ${loadSeconds.toFixed(0)} s; waiting for creates, patches and jobs to be acknowledged`);
      await traffic.stop(drainMs);
      clearInterval(watchdog);

      // The events the acknowledged writes made: one create per stored usage, one attribute change per acknowledged patch.
      const store = await checkStore(db, benchCaller.tenant, traffic.state, {
        keyPrefix: `soak-${runId}-`,
        warmupPrefix: warmupKey,
        consumer: `soak-${runId}`,
      });
      const expected: Expected = { creates: new Set(store.storedIds), patches: traffic.state.patches };
      log(`soak: ${expected.creates.size} creates and ${[...expected.patches.values()].flat().length} patches made events; waiting for the webhooks`);
      const deliveryStart = Date.now();
      let lastCount = -1;
      let lastProgress = Date.now();
      for (;;) {
        const verdict = checkEvents(receiver.events, expected, store.warmupIds);
        if (verdict.missingCreates.length + verdict.missingPatches.length === 0) break;
        if (receiver.events.size !== lastCount) {
          lastCount = receiver.events.size;
          lastProgress = Date.now();
        }
        if (Date.now() - lastProgress > deliveryQuietMs || Date.now() - deliveryStart > deliveryMaxMs) break;
        await sleep(1_000);
      }
      const deliverySeconds = (Date.now() - deliveryStart) / 1000;
      const hubAfter = await http.send('setup', `${v5()}/hub/${hub.id}`);
      const queue = {
        deliveries: await db.collection('hubDeliveries').countDocuments({}),
        outbox: await db.collection('productUsages').countDocuments({ 'outbox.0': { $exists: true } }),
      };
      for (const s of subs) await s.close();

      const figures: SoakFigures = {
        config,
        runId,
        loadSeconds,
        deliverySeconds,
        tally,
        skips: traffic.skips,
        state: traffic.state,
        store,
        webhooks: checkEvents(receiver.events, expected, store.warmupIds),
        receiver: { deliveries: receiver.deliveries, badSignatures: receiver.badSignatures, hub: hubAfter.body, queue },
        subscribers: subs.map((s) => ({ subscriber: s, verdict: checkEvents(s.events, expected, store.warmupIds) })),
        kills,
        crashes: [...crashes, ...services.all.flatMap((s) => s.exits.filter((e) => !e.expected).map((e) => `${s.name}: ${JSON.stringify(e)}`))],
        memory,
        cpu,
        services: services.all,
        load: os.loadavg(),
      };
      const markdown = describeSoak(figures);
      return {
        title: 'Soak (issue 14)',
        placement: 'top',
        markdown,
        summary: [
          `${tally.totals().size} outcomes over ${[...tally.outcomes.keys()].length} kinds of request; ${kills.length} kills; crashes: ${figures.crashes.length}`,
          `creates acknowledged ${store.acknowledged}, stored once ${store.storedOnce}; webhook events missing ${figures.webhooks.missingCreates.length + figures.webhooks.missingPatches.length}, duplicated events ${figures.webhooks.duplicatedEvents}`,
        ],
      };
    } finally {
      await Promise.allSettled(subs.map((s) => s.close()));
      await services.stop();
      await receiver.close();
    }
  },
};

/** The database's memory: its supervisor (FerretDB runs inside it; unshare above it) as RSS, PostgreSQL's processes as PSS. */
function databaseMemory(root: number): { supervisor: number; postgres: number } {
  const memory = { supervisor: 0, postgres: 0 };
  for (const pid of processTree(root)) {
    let comm: string;
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue; // gone since the tree was read
    }
    if (comm === 'postgres') memory.postgres += pssMiB(pid) ?? 0;
    else memory.supervisor += rssMiB(pid) ?? 0;
  }
  return memory;
}
