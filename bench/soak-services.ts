import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { bundleOf, services, type Service } from '../scripts/build.js';
import { loadSupergraph } from '../gateway/supergraph.js';
import { root } from './load.js';
import { cpuMs } from './processes.js';

/**
 * The soak's services, each its own `node` process from its bundle, as `npm run gateway`,
 * `npm run subgraph:<name>` and `npm run rest` run them. Unlike child.ts, a service here can be
 * killed and started again on the port it had (the gateway knows the subgraphs by URL, the REST
 * facade the gateway, the load all of them), keeps every line it logs in a file, and tells a death
 * the soak caused from one it did not (a crash).
 */
export type ServiceName = 'gateway' | 'usage' | 'specification' | 'party' | 'rest';

export interface Exit {
  at: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The soak killed or stopped it; false is a crash. */
  expected: boolean;
}

/** A WARN or ERROR line the service logged, timestamp and ids stripped so that repeats group. */
export type LogTally = Map<string, { count: number; example: string }>;

const logLine = /^\S+ (WARN|ERROR) (.*)$/;

export class SoakService {
  pid = 0;
  url = '';
  starts = 0;
  readonly exits: Exit[] = [];
  readonly problems: LogTally = new Map();
  private port = 0;
  /** CPU time of the earlier processes of this service, read just before each was killed. */
  private cpuEarlierMs = 0;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private expectingExit = false;
  private readonly log: WriteStream;

  constructor(
    readonly name: ServiceName,
    private readonly bundle: Service,
    private readonly portVariable: string,
    private readonly ready: RegExp,
    private readonly env: () => Record<string, string>,
    logDir: string,
  ) {
    this.log = createWriteStream(path.join(logDir, `${name}.log`), { flags: 'a' });
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process (on its first port again after the first start) and waits for its ready line. */
  start(timeoutMs = 60_000): Promise<void> {
    const child = spawn(process.execPath, [...services[this.bundle].nodeFlags, bundleOf(this.bundle)], {
      cwd: root,
      env: { ...process.env, NODE_ENV: 'production', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...this.env(), [this.portVariable]: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.starts++;
    this.expectingExit = false;
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exits.push({ at: Date.now(), code, signal, expected: this.expectingExit });
        this.log.write(`--- soak: exited (${signal ?? `code ${code}`}${this.expectingExit ? '' : ', not caused by the soak'})\n`);
        resolve();
      }),
    );
    this.log.write(`--- soak: start ${this.starts} at ${new Date().toISOString()}\n`);
    return new Promise((resolve, reject) => {
      let started = false;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${this.name} printed no ready line within ${timeoutMs / 1000} s (see its log)`));
      }, timeoutMs);
      child.once('exit', (code) => {
        if (started) return;
        clearTimeout(timer);
        reject(new Error(`${this.name} exited with code ${code} before it was ready (see its log)`));
      });
      const onLine = (line: string) => {
        this.log.write(`${line}\n`);
        const problem = logLine.exec(line);
        if (problem) this.tally(problem[1]!, problem[2]!);
        const url = started ? undefined : this.ready.exec(line)?.[1];
        if (!url) return;
        started = true;
        clearTimeout(timer);
        this.url = url;
        this.pid = child.pid!;
        this.port = Number(new URL(url).port);
        resolve();
      };
      createInterface({ input: child.stdout }).on('line', onLine);
      createInterface({ input: child.stderr }).on('line', onLine);
    });
  }

  /** CPU time, in ms, of every process of this service so far (a crashed one's lost with it). */
  cpuMs(): number {
    return this.cpuEarlierMs + (this.running ? (cpuMs(this.pid) ?? 0) : 0);
  }

  /** SIGKILL, as a crash or the OOM killer would end it; resolves once it has exited. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.expectingExit = true;
    this.cpuEarlierMs += cpuMs(this.pid) ?? 0;
    this.child!.kill('SIGKILL');
    await this.exited;
  }

  /** SIGINT (a graceful stop), SIGKILL after 15 s. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.expectingExit = true;
    const force = setTimeout(() => this.child?.kill('SIGKILL'), 15_000);
    this.child!.kill('SIGINT');
    await this.exited;
    clearTimeout(force);
  }

  close(): void {
    this.log.end();
  }

  private tally(level: string, text: string): void {
    // Ids, numbers and quoted values differ from line to line; the message's shape is what repeats.
    const shape = `${level} ${text
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
      .replace(/\d+/g, 'N')
      .slice(0, 160)}`;
    const entry = this.problems.get(shape) ?? { count: 0, example: `${level} ${text}`.slice(0, 400) };
    entry.count++;
    this.problems.set(shape, entry);
  }
}

export interface SoakServices {
  all: SoakService[];
  byName: Record<ServiceName, SoakService>;
  stop(): Promise<void>;
}

export interface SoakServicesOptions {
  mongodbUri: string;
  database: string;
  dataDir: string;
  hubSigningSecret: string;
}

/**
 * Starts the three subgraphs (one after the other: two creating the same indexes at once race in
 * FerretDB), composes the supergraph from them once into a file (so a gateway restarted while a
 * subgraph is down still starts), then the gateway and the REST facade in front of it.
 */
export async function startSoakServices(options: SoakServicesOptions): Promise<SoakServices> {
  const logDir = path.resolve(root, options.dataDir, 'soak-logs');
  mkdirSync(logDir, { recursive: true });
  // The receiver listens on loopback, which production refuses by default (at registration in the
  // usage subgraph, at delivery in the REST facade).
  const subgraphEnv = () => ({ MONGODB_URI: options.mongodbUri, MONGODB_DB: options.database, DATA_DIR: options.dataDir, HUB_PRIVATE_CALLBACKS: 'allow' });
  const subgraph = (name: 'usage' | 'specification' | 'party') =>
    new SoakService(name, `subgraph-${name}`, `${name.toUpperCase()}_PORT`, /subgraph ready at (http:\/\/[^\s"]+)/, subgraphEnv, logDir);
  const usage = subgraph('usage');
  const specification = subgraph('specification');
  const party = subgraph('party');
  const supergraphPath = path.resolve(root, options.dataDir, 'soak-supergraph.graphql');
  const gateway = new SoakService(
    'gateway',
    'gateway',
    'GATEWAY_PORT',
    /gateway ready at (http:\/\/[^\s"]+)/,
    () => ({
      SUPERGRAPH_PATH: supergraphPath,
      USAGE_URL: usage.url,
      SPECIFICATION_URL: specification.url,
      PARTY_URL: party.url,
      DATA_DIR: options.dataDir,
      // One tenant sends all the load (as in the other scenarios): the per-tenant limit would answer 429s.
      RATE_LIMIT_PER_SECOND: '0',
    }),
    logDir,
  );
  const rest = new SoakService(
    'rest',
    'rest',
    'REST_PORT',
    /REST facade ready at (http:\/\/[^\s"]+)/,
    () => ({
      GATEWAY_URL: gateway.url,
      DATA_DIR: options.dataDir,
      HUB_SIGNING_SECRET: options.hubSigningSecret,
      HUB_PRIVATE_CALLBACKS: 'allow',
    }),
    logDir,
  );
  const all = [usage, specification, party, gateway, rest];
  const stop = async () => {
    await Promise.allSettled(all.map((s) => s.stop()));
    for (const s of all) s.close();
  };
  try {
    for (const s of [usage, specification, party]) await s.start();
    const sdl = await loadSupergraph({
      subgraphs: [
        { name: 'usage', url: usage.url },
        { name: 'specification', url: specification.url },
        { name: 'party', url: party.url },
      ],
      internalSecret: process.env.INTERNAL_AUTH_SECRET!,
    });
    writeFileSync(supergraphPath, sdl);
    await gateway.start();
    await rest.start();
  } catch (error) {
    await stop();
    throw error;
  }
  return { all, byName: { gateway, usage, specification, party, rest }, stop };
}
