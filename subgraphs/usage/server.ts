import { setTimeout as pause } from 'node:timers/promises';
import type { Db } from 'mongodb';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import type { Logger } from '../../platform/logger.js';
import { ErrorCode } from '../../platform/errors.js';
import { refusal, sendRefusal } from '../../platform/error-response.js';
import { loadTypeDefs, type SubgraphDefinition } from '../shared/subgraph-server.js';
import { usageContextFactory, type UsageContext, type UsageSettings } from './context.js';
import type { EventBus } from '../../platform/event-bus.js';
import { UsageEvents, usageEventTopic } from './product-usage/events.js';
import { ExportJobRepository } from './exports/repository.js';
import { HubOutbox } from './hubs/outbox.js';
import { DeliveryRepository, HubRepository } from './hubs/repository.js';
import { ExportRunner } from './exports/runner.js';
import { ProductUsageRepository } from './product-usage/repository.js';
import { resolvers } from './resolvers.js';
import { SpecificationIngestionCatalogue } from '../specification/ingestion-catalogue.js';
import type { IngestionCatalogue } from './ingestion/catalogue.js';
import { IngestBatchRepository, IngestErrorRepository, IngestJobRepository } from './ingestion/job-repository.js';
import { IngestJobRunner } from './ingestion/job-runner.js';
import { UsageIngestor } from './ingestion/ingestor.js';
import { defaultRollupTiming, RollupMaintainer } from './rollups/maintainer.js';
import { MarkRepository } from './rollups/marks.js';
import { RollupReader } from './rollups/reader.js';
import { RollupRepair } from './rollups/repair.js';
import { HourRollupRepository, KpiDayRollupRepository } from './rollups/repository.js';
import { registerUsageMetrics } from './metrics.js';
import { IngestRejections } from './rejections/events.js';
import { MeterHourRollupRepository } from './rollups/meter-repository.js';

const exportRoute = /^\/exports\/([0-9a-f-]{36})$/;
/** How often the outbox sweep looks for events left behind. */
const outboxSweepMs = 2_000;
/** How often the rollup maintainer looks for marked buckets. */
const rollupRoundMs = 500;

/**
 * Calls `onMessage` for every message on `topic` until stopped; a subscription the bus ends (a slow
 * consumer) is made again. Returns how to stop it.
 */
function listen(bus: EventBus, topic: string, onMessage: () => void): () => Promise<void> {
  let stopped = false;
  let current: AsyncIterableIterator<unknown> | undefined;
  const loop = (async () => {
    while (!stopped) {
      current = bus.subscribe(topic);
      try {
        for await (const _message of current) onMessage();
      } catch {
        // Ended by the bus (a slow consumer): subscribe again, below.
      }
      // Not at once: a bus that is closing ends every new subscription too.
      if (!stopped) await pause(1_000);
    }
  })();
  return async () => {
    stopped = true;
    await current?.return?.();
    await loop;
  };
}

/**
 * Runs `work` now and every `everyMs` (never two at once); a failed round (the database away) is
 * logged and the next one tries again. Returns how to stop it, waiting for a round under way.
 */
function every(everyMs: number, work: () => Promise<unknown>, onError: (error: unknown) => void, { now = true } = {}): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  const tick = () => {
    if (busy) return;
    busy = true;
    running = work()
      .catch(onError)
      .finally(() => (busy = false));
  };
  if (now) tick();
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

/** Builds the usage subgraph (indexes included); index.ts or the whole-system launcher serves it. */
export async function buildUsageSubgraph(db: Db, settings: UsageSettings, logger: Logger, bus: EventBus): Promise<SubgraphDefinition<UsageContext>> {
  const [repository, exportJobs, hubs, deliveries, marks, hourRollups, kpiRollups, meterRollups] = await Promise.all([
    ProductUsageRepository.open(db),
    ExportJobRepository.open(db),
    HubRepository.open(db, (message) => logger.warn(message)),
    DeliveryRepository.open(db),
    MarkRepository.open(db),
    HourRollupRepository.open(db),
    KpiDayRollupRepository.open(db),
    MeterHourRollupRepository.open(db),
  ]);
  const rollupLog = logger.child('rollups');
  const rollups = new RollupMaintainer(marks, hourRollups, kpiRollups, meterRollups, repository, defaultRollupTiming, rollupLog);
  const rollupReader = new RollupReader(marks, hourRollups, kpiRollups);
  const repair = new RollupRepair(repository, hourRollups, kpiRollups, meterRollups, rollups);
  // Hub registrations reach every instance's outbox through the bus (hubs/outbox.ts).
  const hubTopic = `${usageEventTopic(db.databaseName)}:hubs`;
  const outbox = new HubOutbox(hubs, deliveries, repository, () => bus.publish(hubTopic, {}));
  const stopHubListener = listen(bus, hubTopic, () => outbox.invalidate());
  const events = new UsageEvents(bus, usageEventTopic(db.databaseName), outbox, logger.child('events'));
  const exports = new ExportRunner(exportJobs, repository, settings.exportDirectory, settings.exportStaleMs, logger.child('exports'), (job) =>
    events.publishExportJob('ExportJobStateChangeEvent', job),
  );
  await exports.resumeInterrupted();
  // The specification subgraph's implementation of what ingestion declares it needs (ingestion/catalogue.ts).
  const catalogue: IngestionCatalogue = SpecificationIngestionCatalogue.open(db);
  const [ingestJobs, ingestBatches, ingestErrors] = await Promise.all([
    IngestJobRepository.open(db),
    IngestBatchRepository.open(db),
    IngestErrorRepository.open(db),
  ]);
  const ingestor = new UsageIngestor(repository, catalogue, events, rollups, settings.ingest);
  const ingestRunner = new IngestJobRunner(
    ingestJobs,
    ingestBatches,
    ingestErrors,
    ingestor,
    { chunkSize: settings.ingest.jobChunkSize, concurrency: settings.ingest.jobConcurrency, staleAfterMs: settings.ingest.jobStaleMs },
    logger.child('ingestion'),
    new IngestRejections(events, logger.child('ingestion')),
  );
  await ingestRunner.resumeInterrupted();
  // Events that writes of stopped processes left on their usages (hub-outbox.ts): relayed at start and
  // every few seconds.
  const sweepLog = logger.child('outbox');
  const stopSweep = every(
    outboxSweepMs,
    async () => {
      const relayed = await outbox.sweep();
      if (relayed) sweepLog.info(`relayed the events of ${relayed} usage(s) left by an earlier write`);
    },
    (error) => sweepLog.warn('could not relay pending events; trying again shortly', error),
  );
  // Export jobs of an instance that died, taken over (the first look was at start, above).
  const exportLog = logger.child('exports');
  const stopExportSweep = every(
    Math.max(1_000, settings.exportStaleMs / 2),
    () => exports.resumeInterrupted(),
    (error) => exportLog.warn('could not look for export jobs to take over; trying again shortly', error),
    { now: false },
  );
  // Rollups of marked buckets recomputed (rollups/maintainer.ts); the repair pass now and then.
  const stopRollups = every(
    rollupRoundMs,
    () => rollups.round(),
    (error) => rollupLog.warn('could not recompute rollups; trying again shortly', error),
  );
  const repairMs = settings.ingest.rollupRepairMinutes * 60_000;
  const stopRepair = repairMs
    ? every(
        repairMs,
        async () => {
          const marked = await repair.pass();
          if (marked) rollupLog.warn(`the repair pass found ${marked} rollup bucket(s) behind their usages; recomputing them`);
        },
        (error) => rollupLog.warn('the rollup repair pass failed; it runs again later', error),
        // Not at start: a deployment's instances restarting together would all recount at once.
        { now: false },
      )
    : async () => {};
  return {
    name: 'usage',
    typeDefs: loadTypeDefs('usage'),
    resolvers: resolvers as GraphQLResolverMap<UsageContext>,
    createContext: usageContextFactory(
      {
        repository,
        exportJobs,
        exports,
        events,
        outbox,
        ingestor,
        ingestJobs,
        ingestBatches,
        ingestErrors,
        ingestRunner,
        catalogue,
        rollups,
        rollupReader,
        meterRollups: { marks, hours: meterRollups },
      },
      settings,
    ),
    subscriptions: true,
    // The meter's rows (up to its limits: tens of thousands a request), through graphql-jit.
    compiledFields: ['usageMeter'],
    registerMetrics: (metrics) => registerUsageMetrics(metrics, { deliveries, hubs, ingestJobs, exportJobs, ingestor }),
    // GET /exports/<id>: the records of a finished export, one usage per line, streamed from disk.
    // Clients reach it through the gateway (gateway/plugins/export-downloads.ts).
    async handleHttp(req, res, url, caller) {
      const match = exportRoute.exec(url.pathname);
      if (!match || req.method !== 'GET') return false;
      // Another tenant's export is not found, like one that does not exist.
      const [job] = await exportJobs.forTenant(caller.tenant).findByIds([match[1]!]);
      const file = job?.status === 'Succeeded' ? await exports.openFile(job._id) : null;
      if (!file) {
        sendRefusal(res, refusal(ErrorCode.NOT_FOUND, 'No finished export with that id.'));
        return true;
      }
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'x-exported-count': String(job!.exportedCount) });
      file.pipe(res);
      await new Promise((resolve) => res.once('close', resolve));
      return true;
    },
    close: async () => {
      await Promise.all([stopSweep(), stopExportSweep(), stopRollups(), stopRepair(), stopHubListener()]);
      await ingestRunner.stop();
      await exports.idle();
    },
  };
}
