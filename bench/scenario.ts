import type { Db } from 'mongodb';
import type { BenchAuth } from './auth.js';
import type { BenchConfig } from './config.js';

/** What every scenario gets: the knobs and the seeded bench database. */
export interface BenchContext {
  config: BenchConfig;
  /** The database server the bench started (or MONGODB_URI). */
  mongodbUri: string;
  /** The seeded bench database (`config.usages`), for scenarios that need to look at it. */
  db: Db;
  /**
   * A database of `config.pageUsages` usages (same parties and specifications) for the scenarios that
   * load sorted pages, which the embedded FerretDB answers by reading the whole collection.
   */
  pagesDatabase: string;
  /** The embedded database's supervisor, when the bench started one (its CPU time, PostgreSQL's included, is reported). */
  databasePid?: number;
  /** Keys and token of the run (every process the bench starts has `auth.env`). */
  auth: BenchAuth;
  log(message: string): void;
}

/** A scenario's part of RESULTS.md, plus the lines the console summary prints. */
export interface Section {
  title: string;
  /** Markdown under the section's heading: tables and a "what this means" paragraph. */
  markdown: string;
  summary: string[];
  /**
   * `top`: written at the top of the existing RESULTS.md, replacing the section an earlier run of the
   * same scenario wrote there and keeping the rest (volume.ts: a run of its own, too long for `npm run bench`).
   */
  placement?: 'top';
}

/**
 * One benchmark. A scenario starts whatever it measures (a system process, an in-process system,
 * another gateway), stops it before it returns, and describes its figures; run.ts runs the
 * scenarios one after the other, so they never load the machine at the same time.
 */
export interface Scenario {
  name: string;
  /** Runs only when named (`npm run bench -- volume`), never in the default run of everything. */
  optIn?: boolean;
  /** Seeds its own databases: a run of only such scenarios skips the main seed. */
  ownData?: boolean;
  /** One section, or several when one run measures several things (the gateways and the raw driver). */
  run(context: BenchContext): Promise<Section | Section[]>;
}
