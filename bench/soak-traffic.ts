import { setTimeout as sleep } from 'node:timers/promises';
import { retryable, type Answer, type Http } from './soak-http.js';

/**
 * The soak's mixed load, each workload at its own steady rate: GraphQL and REST reads, REST v5
 * creates (each with an Idempotency-Key, sent again with the same key and body until acknowledged)
 * and patches (each sets a description of its own, sent again until acknowledged: a resend that
 * finds it set changes nothing and makes no event), and UTS ingestion jobs (a resend is the same
 * usages, which idempotency stores once), whose jobs are polled until they finish.
 */
export interface TrafficTargets {
  gatewayUrl: () => string;
  restUrl: () => string;
  specificationIds: string[];
  partyIds: string[];
  /** The UTS `tenantId` of every ingested usage: how the soak finds them in the database. */
  consumer: string;
}

/** Per second, except ingestion (a job every `ingestEveryMs`). */
export const rates = { graphqlPage: 3, graphqlById: 3, restList: 2, restById: 2, create: 2, patch: 1, ingestEveryMs: 5_000, ingestUsages: 20 };
/** The most requests of one workload waiting at once; past it the workload skips a beat (a down service must not pile up thousands). */
const maxInFlight = 8;
const retryPauseMs = 1_000;

export interface Create {
  key: string;
  id?: string;
  attempts: number;
  /** The answer that ended it without an acknowledgement (a 4xx), if any. */
  refused?: string;
}

export interface Job {
  usages: number;
  attempts: number;
  /** The job ids the facade acknowledged (one, unless a resend after a lost answer made a second job). */
  ids: string[];
  status?: string;
  summary?: unknown;
  refused?: string;
}

export interface TrafficState {
  creates: Create[];
  /** Acknowledged usage ids, for reads and patches. */
  ids: string[];
  /** Acknowledged patches: usage id -> the descriptions set, in order. */
  patches: Map<string, string[]>;
  patchesRefused: string[];
  patchAttempts: number;
  jobs: Job[];
}

const v5 = '/tmf-api/productUsageManagement/v5';
const uts = '/api/usagetransparency/v3';
const pageQuery = `query SoakPage { productUsages(limit: 20) { items { id status description usageSpecification { name } relatedParty { role party { name } } } } }`;
const byIdQuery = `query SoakUsage($id: ID!) { productUsage(id: $id) { id status description usageSpecification { name } } }`;

export function startTraffic(http: Http, targets: TrafficTargets, runId: string) {
  const state: TrafficState = { creates: [], ids: [], patches: new Map(), patchesRefused: [], patchAttempts: 0, jobs: [] };
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Map<string, number>();
  const pending = new Set<Promise<unknown>>();
  const skips = new Map<string, number>();
  const busyUsages = new Set<string>();
  let serial = 0;
  const pick = <T>(list: readonly T[]): T | undefined => list[Math.floor(Math.random() * list.length)];

  /** Runs `work` every `intervalMs`, at most `maxInFlight` at once. */
  const every = (kind: string, intervalMs: number, work: () => Promise<unknown>) => {
    timers.push(
      setInterval(() => {
        const now = inFlight.get(kind) ?? 0;
        if (now >= maxInFlight) return void skips.set(kind, (skips.get(kind) ?? 0) + 1);
        inFlight.set(kind, now + 1);
        const done = work().finally(() => {
          inFlight.set(kind, (inFlight.get(kind) ?? 1) - 1);
          pending.delete(done);
        });
        pending.add(done);
      }, intervalMs),
    );
  };

  /** Sends until acknowledged (`done`), refused (a 4xx that retrying cannot change) or the soak's drain gives up. */
  async function untilAcknowledged(send: () => Promise<Answer>, done: (a: Answer) => boolean, give: { up: () => boolean }): Promise<Answer> {
    for (;;) {
      const answer = await send();
      if (done(answer) || (!retryable(answer) && answer.status !== 409) || give.up()) return answer;
      await sleep(retryPauseMs);
    }
  }
  let drainDeadline = Number.POSITIVE_INFINITY;
  const give = { up: () => Date.now() > drainDeadline };

  every('graphql page', 1000 / rates.graphqlPage, () => http.graphql('graphql page', targets.gatewayUrl(), pageQuery));
  every('graphql by id', 1000 / rates.graphqlById, async () => {
    const id = pick(state.ids);
    if (id) await http.graphql('graphql by id', targets.gatewayUrl(), byIdQuery, { id });
  });
  every('REST list', 1000 / rates.restList, () => http.send('REST list', `${targets.restUrl()}${v5}/productUsage?limit=20`));
  every('REST by id', 1000 / rates.restById, async () => {
    const id = pick(state.ids);
    if (id) await http.send('REST by id', `${targets.restUrl()}${v5}/productUsage/${id}`);
  });

  every('REST create', 1000 / rates.create, async () => {
    const n = ++serial;
    const create: Create = { key: `soak-${runId}-${n}`, attempts: 0 };
    state.creates.push(create);
    const body = {
      '@type': 'ProductUsage',
      usageType: 'voice',
      description: 'created',
      product: { '@type': 'ProductRef', id: `prod-${n % 50}` },
      usageSpecification: { '@type': 'ProductUsageSpecificationRef', id: pick(targets.specificationIds) },
      usageCharacteristic: [{ '@type': 'IntegerCharacteristic', name: 'duration', valueType: 'integer', value: n }],
      relatedParty: [{ '@type': 'RelatedPartyRefOrPartyRoleRef', role: 'customer', partyOrPartyRole: { '@type': 'PartyRef', id: pick(targets.partyIds) } }],
    };
    const answer = await untilAcknowledged(
      () => (create.attempts++, http.json('REST create', `${targets.restUrl()}${v5}/productUsage`, 'POST', body, { 'idempotency-key': create.key })),
      (a) => a.status === 201,
      give,
    );
    if (answer.status === 201) {
      create.id = String(answer.body.id);
      state.ids.push(create.id);
    } else create.refused = answer.outcome;
  });

  every('REST patch', 1000 / rates.patch, async () => {
    const id = pick(state.ids.filter((i) => !busyUsages.has(i)).slice(-200));
    if (!id) return;
    busyUsages.add(id);
    const description = `patch-${runId}-${++serial}`;
    try {
      const answer = await untilAcknowledged(
        () => (
          state.patchAttempts++,
          http.send('REST patch', `${targets.restUrl()}${v5}/productUsage/${id}`, {
            method: 'PATCH',
            headers: { 'content-type': 'application/merge-patch+json' },
            body: JSON.stringify({ '@type': 'ProductUsage', description }),
          })
        ),
        (a) => a.status === 200,
        give,
      );
      if (answer.status === 200) state.patches.set(id, [...(state.patches.get(id) ?? []), description]);
      else state.patchesRefused.push(`${id}: ${answer.outcome}`);
    } finally {
      busyUsages.delete(id);
    }
  });

  every('UTS job', rates.ingestEveryMs, async () => {
    const n = ++serial;
    const now = Date.now();
    const job: Job = { usages: rates.ingestUsages, attempts: 0, ids: [] };
    state.jobs.push(job);
    const body = {
      users: [
        {
          tenantId: targets.consumer,
          resources: Array.from({ length: rates.ingestUsages }, (_, i) => ({
            application: 'soak-app',
            resource: `r-${n}-${i}`,
            usages: [{ value: i, unit: 'count', datetime: new Date(now - 60_000 - i * 1_000).toISOString() }],
          })),
        },
      ],
    };
    const answer = await untilAcknowledged(
      () => (job.attempts++, http.json('UTS job', `${targets.restUrl()}${uts}/usagesJobs`, 'POST', body)),
      (a) => a.status === 201,
      give,
    );
    if (answer.status !== 201) return void (job.refused = answer.outcome);
    job.ids.push(String(answer.body.id));
    // Polled as a client would, until it finishes (a job whose process died is taken over, INGEST_JOB_STALE_MS).
    for (;;) {
      await sleep(2_000);
      const poll = await http.send('UTS job poll', `${targets.restUrl()}${uts}/usagesJobs/${job.ids[0]}`);
      if (poll.status === 200 && (poll.body.status === 'COMPLETED' || poll.body.status === 'ERRORS')) {
        job.status = poll.body.status;
        job.summary = poll.body.usagesSummary;
        return;
      }
      if ((poll.status !== 0 && poll.status < 500 && poll.status !== 200) || give.up()) return void (job.status = `last poll ${poll.outcome}`);
    }
  });

  return {
    state,
    skips,
    /** Stops new work; what is in flight goes on (creates and patches until acknowledged) for at most `drainMs`. */
    async stop(drainMs: number): Promise<void> {
      for (const timer of timers) clearInterval(timer);
      drainDeadline = Date.now() + drainMs;
      await Promise.allSettled([...pending]);
    },
  };
}
