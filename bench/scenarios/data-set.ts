import type { Document } from 'mongodb';
import type { BenchContext, Scenario } from '../scenario.js';
import { fixed, median, percentile, table } from '../stats.js';
import { startSystemProcess } from '../system-process.js';

/**
 * The data set, 100,000 usages over 1,000 parties and 50 specifications (the main seed), read
 * through our gateway and straight with the driver, one request at a time: what stays fast at that
 * size on this database and what does not. Point reads go by `_id`, which FerretDB 1.24 answers from
 * its index; a sorted page or a count reads every document, which is why the load scenarios read
 * databases of their own (see "Data set" at the top).
 */
const byIdRequests = 200;
const byIdQuery = `query DataSetUsage($id: ID!) {
  productUsage(id: $id) { id usageType status usageSpecification { name } relatedParty { role party { name } } }
}`;

async function timed<T>(action: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await action();
  return { ms: performance.now() - start, value };
}

export const dataSet: Scenario = {
  name: 'data set',
  async run({ config, mongodbUri, db, auth, log }: BenchContext) {
    const usages = db.collection<Document & { _id: string }>('productUsages');
    const ids = (
      await usages
        .find({}, { projection: { _id: 1 } })
        .limit(50)
        .toArray()
    ).map((d) => d._id);
    const system = await startSystemProcess({ mongodbUri, database: config.database, dataDir: config.dataDir });
    try {
      const graphql = async (query: string, variables: Record<string, unknown> = {}) => {
        const response = await fetch(system.gatewayUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: auth.authorization },
          body: JSON.stringify({ query, variables }),
        });
        const body = (await response.json()) as { data?: unknown; errors?: unknown };
        if (response.status !== 200 || body.errors) throw new Error(`the gateway answered ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
        return body;
      };
      // The first requests pay for connections and the JIT; then one at a time, no concurrency.
      for (const id of ids.slice(0, 10)) await graphql(byIdQuery, { id });
      const gatewayById: number[] = [];
      for (let i = 0; i < byIdRequests; i++) gatewayById.push((await timed(() => graphql(byIdQuery, { id: ids[i % ids.length] }))).ms);
      const driverById: number[] = [];
      for (let i = 0; i < byIdRequests; i++) driverById.push((await timed(() => usages.findOne({ _id: ids[i % ids.length]! }))).ms);
      log(
        `data set: by id p50 gateway ${fixed(median(gatewayById), 1)} ms, driver ${fixed(median(driverById), 1)} ms; timing one sorted page of 20 with the driver`,
      );
      // With the driver only: through the gateway the same scan outlasts the default SUBGRAPH_TIMEOUT_MS
      // (30 s) on this machine, and the gateway adds nothing worth timing to a scan of this length.
      const driverPage = await timed(() => usages.find({ tenant: 'bench' }).sort({ creationDate: -1, _id: -1 }).limit(20).toArray());
      log(`data set: a sorted page of 20 took ${fixed(driverPage.ms / 1000, 1)} s with the driver`);
      const rows = [
        [
          'a usage by id, with its specification and party names',
          `${byIdRequests} in turn`,
          fixed(median(gatewayById), 1),
          fixed(percentile(gatewayById, 99), 1),
          fixed(median(driverById), 1),
          fixed(percentile(driverById, 99), 1),
        ],
        ['the first page of 20, newest first (the usage documents only)', '1', '—', '—', fixed(driverPage.ms, 0), '—'],
      ];
      return {
        title: `The data set: ${config.usages.toLocaleString('en')} usages`,
        markdown: [
          `The main seed (${config.usages.toLocaleString('en')} usages over ${config.parties.toLocaleString('en')} parties and ${config.specifications} specifications) read through our`,
          'gateway (the whole system as `npm start` runs it, in its own process) and straight with the driver (the usage',
          'document alone), one request at a time. A usage by id goes by `_id`, which FerretDB answers from its index',
          "whatever the collection's size; the names come from the entity cache or one fetch each. A sorted page reads and",
          'decodes every usage in FerretDB (it pushes no sort down), so its time grows with the collection: this is why the',
          'load scenarios read databases of their own, sized so each contender answers enough requests within the budget.',
          'The page is timed with the driver alone: through the gateway the same scan outlasts the subgraph timeout',
          "(`SUBGRAPH_TIMEOUT_MS`, 30 s by default) on this machine, and the gateway's milliseconds would not show beside it.",
          '',
          table(['request', 'requests', 'gateway p50 ms', 'gateway p99 ms', 'driver p50 ms', 'driver p99 ms'], rows),
        ].join('\n'),
        summary: [
          `${config.usages.toLocaleString('en')} usages: by id p50 ${fixed(median(gatewayById), 1)} ms through the gateway (driver ${fixed(median(driverById), 1)} ms); a sorted page ${fixed(driverPage.ms / 1000, 1)} s with the driver`,
        ],
      };
    } finally {
      await system.stop();
    }
  },
};
