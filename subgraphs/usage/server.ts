import type { Db } from 'mongodb';
import type { GraphQLResolverMap } from '@apollo/subgraph';
import type { Logger } from '../shared/logger.js';
import { ErrorCode } from '../shared/errors.js';
import { loadTypeDefs, sendError, type SubgraphDefinition } from '../shared/subgraph-server.js';
import { usageContextFactory, type UsageContext, type UsageSettings } from './context.js';
import type { EventBus } from '../shared/event-bus.js';
import { UsageEvents, usageEventTopic } from './events.js';
import { ExportJobRepository } from './export-repository.js';
import { HubOutbox } from './hub-outbox.js';
import { DeliveryRepository, HubRepository } from './hub-repository.js';
import { ExportRunner } from './export-runner.js';
import { ProductUsageRepository } from './repository.js';
import { resolvers } from './resolvers/index.js';
import { IngestionCatalogue } from '../specification/ingestion-catalogue.js';
import { IngestBatchRepository, IngestErrorRepository, IngestJobRepository } from './ingest-job-repository.js';
import { IngestJobRunner } from './ingest-job-runner.js';
import { UsageIngestor } from './ingestor.js';

const exportRoute = /^\/exports\/([0-9a-f-]{36})$/;
/** How often the outbox sweep looks for events left behind. */
const outboxSweepMs = 2_000;

/** Builds the usage subgraph (indexes included); index.ts or the whole-system launcher serves it. */
export async function buildUsageSubgraph(db: Db, settings: UsageSettings, logger: Logger, bus: EventBus): Promise<SubgraphDefinition<UsageContext>> {
  const [repository, exportJobs, hubs, deliveries] = await Promise.all([
    ProductUsageRepository.open(db),
    ExportJobRepository.open(db),
    HubRepository.open(db, (message) => logger.warn(message)),
    DeliveryRepository.open(db),
  ]);
  const outbox = new HubOutbox(hubs, deliveries, repository);
  const events = new UsageEvents(bus, usageEventTopic(db.databaseName), outbox, logger.child('events'));
  const exports = new ExportRunner(exportJobs, repository, settings.exportDirectory, settings.publicUrl, logger.child('exports'), (job) =>
    events.publishExportJob('ExportJobStateChangeEvent', job),
  );
  await exports.resumeInterrupted();
  const catalogue = IngestionCatalogue.open(db);
  const [ingestJobs, ingestBatches, ingestErrors] = await Promise.all([
    IngestJobRepository.open(db),
    IngestBatchRepository.open(db),
    IngestErrorRepository.open(db),
  ]);
  const ingestor = new UsageIngestor(repository, catalogue, events, settings.ingest);
  const ingestRunner = new IngestJobRunner(
    ingestJobs,
    ingestBatches,
    ingestErrors,
    ingestor,
    { chunkSize: settings.ingest.jobChunkSize, concurrency: 2, staleAfterMs: settings.ingest.jobStaleMs },
    logger.child('ingestion'),
  );
  await ingestRunner.resumeInterrupted();
  // Events that writes of stopped processes left on their usages (hub-outbox.ts): relayed at start and
  // every few seconds; a failed round (the database away) is logged and the next one tries again.
  const sweepLog = logger.child('outbox');
  let sweeping: Promise<unknown> = Promise.resolve();
  const sweep = () => {
    sweeping = outbox
      .sweep()
      .then((relayed) => relayed && sweepLog.info(`relayed the events of ${relayed} usage(s) left by an earlier write`))
      .catch((error: unknown) => sweepLog.warn('could not relay pending events; trying again shortly', error));
  };
  sweep();
  const sweeper = setInterval(sweep, outboxSweepMs);
  sweeper.unref();
  return {
    name: 'usage',
    typeDefs: loadTypeDefs('usage'),
    resolvers: resolvers as GraphQLResolverMap<UsageContext>,
    createContext: usageContextFactory(
      { repository, exportJobs, exports, events, outbox, ingestor, ingestJobs, ingestBatches, ingestErrors, ingestRunner, catalogue },
      settings,
    ),
    subscriptions: true,
    // GET /exports/<id>: the records of a finished export, one usage per line, streamed from disk.
    // Clients reach it through the gateway (gateway/plugins/export-downloads.ts).
    async handleHttp(req, res, url, caller) {
      const match = exportRoute.exec(url.pathname);
      if (!match || req.method !== 'GET') return false;
      // Another tenant's export is not found, like one that does not exist.
      const [job] = await exportJobs.forTenant(caller.tenant).findByIds([match[1]!]);
      const file = job?.status === 'Succeeded' ? await exports.openFile(job._id) : null;
      if (!file) {
        sendError(res, 404, ErrorCode.NOT_FOUND, 'No finished export with that id.');
        return true;
      }
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'x-exported-count': String(job!.exportedCount) });
      file.pipe(res);
      await new Promise((resolve) => res.once('close', resolve));
      return true;
    },
    close: async () => {
      clearInterval(sweeper);
      await sweeping;
      await ingestRunner.stop();
      await exports.idle();
    },
  };
}
