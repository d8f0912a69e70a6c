import os from 'node:os';
import type { BenchConfig } from './config.js';
import type { SoakSubscriber } from './soak-events.js';
import type { Tally } from './soak-http.js';
import type { SoakService } from './soak-services.js';
import { rates, type TrafficState } from './soak-traffic.js';
import type { EventCheck, StoreCheck } from './soak-verify.js';
import { fixed, percentile, table } from './stats.js';

/** The soak's section of RESULTS.md (bench/scenarios/soak.ts gathers the figures). */
export interface KillRecord {
  atS: number;
  service: string;
  rssBeforeMiB?: number;
  /** From SIGKILL until the new process's ready line. */
  downS: number;
  starts: number;
}

export interface MemoryRecord {
  start: number;
  end: number;
  peak: number;
  byMinute: number[];
}

export interface SoakFigures {
  config: BenchConfig;
  runId: string;
  loadSeconds: number;
  deliverySeconds: number;
  tally: Tally;
  skips: Map<string, number>;
  state: TrafficState;
  store: StoreCheck;
  webhooks: EventCheck;
  receiver: { deliveries: number; badSignatures: number; hub: any; queue: { deliveries: number; outbox: number } };
  subscribers: { subscriber: SoakSubscriber; verdict: EventCheck }[];
  kills: KillRecord[];
  crashes: string[];
  memory: Map<string, MemoryRecord>;
  /** CPU seconds over the load, by the same names (the database's: the supervisor and every PostgreSQL process). */
  cpu: Map<string, number>;
  services: SoakService[];
  load: number[];
}

const n = (value: number) => value.toLocaleString('en');
const list = (items: readonly string[], max = 5) =>
  items.length ? `${items.slice(0, max).join('; ')}${items.length > max ? `; … (${items.length} in all)` : ''}` : '—';
const entries = (map: ReadonlyMap<string, number>) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k}: ${n(v)}`)
    .join(', ') || '—';

export function describeSoak(f: SoakFigures): string {
  const { tally, store, webhooks: w } = f;
  const kinds = [...tally.outcomes.keys()].filter((k) => k !== 'setup');
  const requestRows = kinds.map((kind) => {
    const times = tally.latencies.get(kind) ?? [];
    return [
      kind,
      n(tally.requests(kind)),
      entries(tally.outcomes.get(kind)!),
      fixed(percentile(times, 50), 0),
      fixed(percentile(times, 99), 0),
      n(f.skips.get(kind) ?? 0),
    ];
  });
  const totals = tally.totals();
  for (const [outcome, count] of tally.outcomes.get('setup') ?? []) totals.set(outcome, totals.get(outcome)! - count);
  const made = store.storedIds.length + store.patchesAcknowledged;
  const cpuCell = (name: string) => {
    const seconds = f.cpu.get(name);
    if (name.startsWith('PostgreSQL')) return 'in the row above';
    return seconds === undefined ? '—' : `${fixed(seconds, 0)} (${fixed((100 * seconds) / f.loadSeconds, 0)} %)`;
  };
  const memoryRows = [...f.memory].map(([name, m]) => [
    name,
    fixed(m.start, 0),
    fixed(m.peak, 0),
    fixed(m.end, 0),
    cpuCell(name),
    m.byMinute.map((v) => fixed(v, 0)).join(' '),
  ]);
  const problems = f.services.map((s) => {
    const count = [...s.problems.values()].reduce((sum, p) => sum + p.count, 0);
    const top = [...s.problems.values()].sort((a, b) => b.count - a.count).slice(0, 3);
    return [
      s.name,
      n(s.starts),
      n(count),
      top.map((p) => `${p.count}× \`${p.example.replace(/`/g, "'").replace(/\|/g, '\\|').slice(0, 160)}\``).join('<br>') || '—',
    ];
  });
  const eventRow = (who: string, v: EventCheck, extra: string) => [
    who,
    n(v.unique),
    `${n(v.createsSeen)} / ${n(store.storedIds.length)}`,
    `${n(v.patchesSeen)} / ${n(store.patchesAcknowledged)}`,
    n(v.missingCreates.length + v.missingPatches.length),
    n(v.duplicateDeliveries),
    n(v.duplicatedEvents),
    entries(v.unexpected),
    extra,
  ];
  return [
    '<!-- soak:start (bench/scenarios/soak.ts writes this section) -->',
    '',
    table(
      ['', ''],
      [
        ['date', new Date().toISOString().replace(/\.\d+Z$/, 'Z')],
        ['command', `\`SOAK_MINUTES=${f.config.soakMinutes} SOAK_KILL_EVERY_S=${f.config.soakKillEveryS} npm run bench -- soak\``],
        [
          'machine',
          `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node.js ${process.version}`,
        ],
        [
          'services',
          'usage, specification, party subgraphs, gateway, REST facade: each its own process from its bundle (`NODE_ENV=production`), on the embedded FerretDB 2.7 on PostgreSQL 18 + DocumentDB',
        ],
        [
          'load',
          `${fixed(f.loadSeconds / 60, 1)} min; per second ${rates.graphqlPage} GraphQL pages + ${rates.graphqlById} GraphQL by id + ${rates.restList} REST lists + ${rates.restById} REST by id + ${rates.create} REST v5 creates (Idempotency-Key) + ${rates.patch} patch; a UTS job of ${rates.ingestUsages} usages every ${rates.ingestEveryMs / 1000} s, polled every 2 s; ${f.subscribers.length} graphql-ws subscribers; one v5 hub`,
        ],
        [
          'kills',
          `${f.kills.length}, one every ${f.config.soakKillEveryS} s, SIGKILL, in turn usage → gateway → REST → specification → party, each started again at once on its port`,
        ],
        ['load average at the end', f.load.map((v) => fixed(v, 2)).join(', ')],
      ],
    ),
    '',
    `**Requests** (${n(kinds.reduce((sum, k) => sum + tally.requests(k), 0))} in all; every retry counts): ${entries(totals)}. Outcomes are HTTP statuses, a GraphQL`,
    'answer\'s first error code beside its status, or the client\'s socket error where there was no answer. "Skipped": not sent because',
    'that workload already had 8 requests waiting (a down service must not pile them up). Latency in ms, every attempt.',
    '',
    table(['request', 'sent', 'outcomes', 'p50', 'p99', 'skipped'], requestRows),
    '',
    table(
      ['writes', 'acknowledged', 'in the database', 'verdict'],
      [
        [
          `REST v5 creates (${n(store.retried)} needed a retry, at most ${store.maxAttempts} attempts)`,
          n(store.acknowledged),
          `${n(store.storedOnce)} stored exactly once under their key with the acknowledged id; missing ${list(store.missing)}; keys stored twice ${list(store.duplicatedKeys)}; ${n(store.unacknowledged)} never acknowledged (${n(store.storedUnacknowledged)} of them stored)`,
          store.storedOnce === store.acknowledged && !store.duplicatedKeys.length ? 'exactly once' : '**lost or duplicated**',
        ],
        [
          `REST v5 patches (${n(f.state.patchAttempts)} attempts; refused ${list(f.state.patchesRefused, 3)})`,
          n(store.patchesAcknowledged),
          `last acknowledged value stored: ${n(f.state.patches.size - store.patchMismatches.length)} of ${n(f.state.patches.size)} usages; mismatches ${list(store.patchMismatches, 3)}`,
          store.patchMismatches.length ? '**lost**' : 'in place',
        ],
        [
          `UTS usages (${n(f.state.jobs.length)} jobs: ${entries(store.jobStatuses)})`,
          n(store.ingestAcknowledged),
          `${n(store.ingestStored)} stored, ${n(store.ingestDuplicates)} stored twice`,
          store.ingestStored === store.ingestAcknowledged && !store.ingestDuplicates ? 'exactly once' : '**lost or duplicated**',
        ],
      ],
    ),
    '',
    `**Events.** Made: ${n(made)} (one create event per stored usage, ${n(store.storedIds.length)}; one attribute-change event per acknowledged patch, ${n(store.patchesAcknowledged)}).`,
    `The hub's receiver answered every delivery 200 at once; it got ${n(f.receiver.deliveries)} deliveries (${n(f.receiver.badSignatures)} with a bad signature); the soak`,
    `waited ${fixed(f.deliverySeconds, 0)} s for them once the last write was acknowledged; hub afterwards: ${f.receiver.hub?.status ?? '—'}${f.receiver.hub?.lastError ? ` (${f.receiver.hub.lastError})` : ''}; deliveries still queued ${n(f.receiver.queue.deliveries)}, usages with events not yet relayed ${n(f.receiver.queue.outbox)}.`,
    'Subscribers miss what is made while they are away (a killed gateway or usage subgraph ends their subscriptions; they subscribe again a second later): live delivery, not durable.',
    '',
    table(
      ['receiver', 'events', 'creates', 'patches', 'missing', 'duplicate deliveries', 'duplicated events', 'unexpected', 'subscriptions'],
      [
        eventRow('webhook hub', w, '—'),
        ...f.subscribers.map(({ subscriber: s, verdict }, i) =>
          eventRow(`subscriber ${i + 1}`, verdict, `${n(s.subscribes)} opened; ended: ${entries(s.ends)}`),
        ),
      ],
    ),
    '',
    // Which ones, when some are missing (the reading below says whether all arrived).
    ...(w.missingCreates.length + w.missingPatches.length
      ? [`Webhook events missing: creates ${list(w.missingCreates)}; patches ${list(w.missingPatches)}.`, '']
      : []),
    table(
      ['kill at (into the load)', 'service', 'RSS before, MiB', 'down, s (kill → ready)', 'starts'],
      f.kills.map((k) => [`${fixed(k.atS, 0)} s`, k.service, fixed(k.rssBeforeMiB, 0), fixed(k.downS, 1), String(k.starts)]),
    ),
    '',
    `**Crashes** (a process that exited without being killed): ${list(f.crashes)}.`,
    '',
    'Memory in MiB, after the warm-up (start) and when the load stopped (end), peak of samples every 10 s; then one sample a',
    'minute (at 0:30, 1:30, ... of the load). A killed service restarts small: its end figure is its new process (see the kills',
    'for what the old one held).',
    "CPU: seconds over the load, all of a service's processes (and % of one core); the database's row counts the supervisor",
    'and every PostgreSQL process under it.',
    '',
    table(['process', 'RSS start', 'peak', 'end', 'CPU s', 'RSS each minute'], memoryRows),
    '',
    'Warnings and errors each service logged (ids and numbers folded so repeats group; full logs in `DATA_DIR/soak-logs/`):',
    '',
    table(['service', 'processes', 'WARN + ERROR lines', 'most frequent'], problems),
    '',
    ...reading(f),
    '',
    '<!-- soak:end -->',
  ].join('\n');
}

/** What the figures mean, where a figure calls for it (written from the figures, so a later run says its own). */
function reading(f: SoakFigures): string[] {
  const { store, webhooks: w } = f;
  const lines: string[] = [];
  const unreported = f.services.some((s) => [...s.problems.keys()].some((shape) => shape.includes('could not be reported')));
  const lost =
    store.missing.length +
    store.duplicatedKeys.length +
    store.patchMismatches.length +
    Math.max(0, store.ingestAcknowledged - store.ingestStored) +
    store.ingestDuplicates;
  lines.push(
    lost
      ? `**Writes: ${n(lost)} acknowledged writes are not in the database as acknowledged** (see the writes table).`
      : `**Writes:** every acknowledged write is in the database, once: the ${n(store.retried)} creates sent again after a 503 or a refused connection were stored under their key once, and no job's usage twice.`,
  );
  lines.push(
    w.missingCreates.length + w.missingPatches.length || w.duplicatedEvents
      ? `**Webhooks: ${n(w.missingCreates.length + w.missingPatches.length)} events missing, ${n(w.duplicatedEvents)} writes announced under two eventIds.**`
      : `**Webhooks:** every event made reached the hub${
          w.duplicateDeliveries
            ? `; ${n(w.duplicateDeliveries)} arrived twice under the same eventId, which at-least-once delivery allows${unreported ? ' (a delivery whose completion could not be reported while a service was down: its lease ran out and it went again, as the REST log says)' : ''}`
            : ''
        }.`,
  );
  const missed = Math.max(0, ...f.subscribers.map((s) => s.verdict.missingCreates.length + s.verdict.missingPatches.length));
  const internal = f.subscribers.some((s) => [...s.subscriber.ends.keys()].some((why) => why.includes('INTERNAL_SERVER_ERROR')));
  lines.push(
    `**Subscriptions:** each subscriber missed at most ${n(missed)} events, those made in the second or so between its subscription ending and the next one` +
      (internal
        ? '. A subscription ended by the usage subgraph\'s death reaches the client as `INTERNAL_SERVER_ERROR`, where HTTP requests in the same second get `SERVICE_UNAVAILABLE` (503): the gateway sees `DOWNSTREAM_SERVICE_ERROR` without the `extensions.request` that `gateway/plugins/mask-errors.ts` looks for before it says "unavailable", and logs it at ERROR with an empty message.'
        : '.'),
  );
  if (f.crashes.length) lines.push(`**Crashes:** ${list(f.crashes)}.`);
  return lines.flatMap((line) => [line, '']).slice(0, -1);
}
