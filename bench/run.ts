// `npm run bench`: starts a database, seeds it, runs every scenario and writes bench/RESULTS.md.
// See bench/README.md for the knobs and for how to add a scenario.
import { createBenchAuth } from './auth.js';
import { loadBenchConfig } from './config.js';
import { describeEnvironment, writeResults, writeTopSection } from './report.js';
import type { Scenario, Section } from './scenario.js';
import { fanOut } from './scenarios/fan-out.js';
import { gateways } from './scenarios/gateways.js';
import { observability } from './scenarios/observability.js';
import { ingestion } from './scenarios/ingestion.js';
import { restOverGraphql } from './scenarios/rest-over-graphql.js';
import { roundTrips } from './scenarios/round-trips.js';
import { dataSet } from './scenarios/data-set.js';
import { volume } from './scenarios/volume.js';
import { soak } from './scenarios/soak.js';
import { scaling } from './scenarios/scaling.js';
import { databaseSupervisor } from './processes.js';
import { seed } from './seed.js';
import { startDatabase } from '../platform/local-database.js';
import { connectMongo } from '../platform/mongo.js';
import { buildServices } from '../scripts/build.js';

/** In the order they run; each starts and stops what it measures. */
const scenarios: Scenario[] = [gateways, observability, fanOut, restOverGraphql, roundTrips, dataSet, ingestion, volume, soak, scaling];

const started = performance.now();
const log = (message: string) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`);

const config = loadBenchConfig();
// Opt-in scenarios (volume, soak, scaling) run only when named; the others when nothing is named or when named.
const selected = scenarios.filter((s) => (config.only.length ? config.only.includes(s.name) : !s.optIn));
const unknown = config.only.filter((name) => !scenarios.some((s) => s.name === name));
if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; one of ${scenarios.map((s) => s.name).join(', ')}`);
// Scenarios that seed their own databases do not need the main seed.
const mainSeed = selected.some((s) => !s.ownData);
// The services run as `npm run gateway` and `npm run subgraph:<name>` run them: built from this checkout.
await buildServices();
// Production refuses to start without keys: every process the bench starts inherits these.
const auth = await createBenchAuth(config.dataDir);
Object.assign(process.env, auth.env);
const database = await startDatabase({ mongodbUri: config.mongodbUri, dataDir: config.dataDir, log });
const client = await connectMongo(database.uri);
try {
  const db = client.db(config.database);
  const environment = await describeEnvironment(db, database.kind);
  const seedStart = performance.now();
  const pagesDatabase = `${config.database}_pages`;
  if (mainSeed) {
    log(`${environment.database}; database "${config.database}" dropped and seeded again`);
    await seed(db, config);
  }
  const seedSeconds = (performance.now() - seedStart) / 1000;
  if (mainSeed) {
    log(`seeded ${config.usages} usages, ${config.parties} parties, ${config.specifications} specifications in ${seedSeconds.toFixed(1)} s`);
    await seed(client.db(pagesDatabase), { ...config, usages: config.pageUsages });
    log(`seeded "${pagesDatabase}" with ${config.pageUsages} usages for the scenarios that load sorted pages`);
  }

  // The supervisor's CPU is read with its descendants (FerretDB runs inside it, PostgreSQL below it).
  const databasePid = database.kind === 'ferretdb' ? databaseSupervisor() : undefined;
  const sections: Section[] = [];
  const failed: string[] = [];
  for (const scenario of selected) {
    log(`scenario: ${scenario.name}`);
    try {
      sections.push(...[await scenario.run({ config, mongodbUri: database.uri, db, pagesDatabase, databasePid, auth, log })].flat());
    } catch (error) {
      // One broken scenario must not cost the figures of the others: it is reported as failed.
      log(`scenario ${scenario.name} failed: ${error instanceof Error ? error.message : String(error)}`);
      failed.push(scenario.name);
      // An opt-in scenario's section replaces its last good one at the top of RESULTS.md: a failure does not.
      if (!scenario.optIn)
        sections.push({
          title: `${scenario.name}: failed`,
          markdown: ['```', error instanceof Error ? (error.stack ?? error.message) : String(error), '```'].join('\n'),
          summary: ['failed; see RESULTS.md'],
        });
    }
  }
  // Sections placed at the top go into the existing file; the others (a run of the usual scenarios) rewrite it.
  const top = sections.filter((s) => s.placement === 'top');
  const rest = sections.filter((s) => s.placement !== 'top');
  let file = '';
  if (rest.length) file = writeResults(config, environment, seedSeconds, rest);
  for (const section of top) file = writeTopSection(config, section);
  console.log(
    [
      '',
      ...sections.flatMap((s) => [`${s.title}:`, ...s.summary.map((line) => `  ${line}`)]),
      '',
      file ? `Written to ${file}` : 'RESULTS.md left as it was',
    ].join('\n'),
  );
  if (failed.length) process.exitCode = 1;
} finally {
  await client.close();
  await database.stop();
}
