import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { allScopes } from '../../platform/caller.js';
import { developmentIssuer } from '../../platform/auth-keys.js';
import { mintToken } from '../../platform/tokens.js';
import { subgraphNames } from '../../platform/subgraphs.js';
import { nodeArguments, type Service as BuiltService } from '../../scripts/build.js';

/**
 * The system as separate OS processes, each started from its standalone entry point with
 * `node --import tsx` (so the pid is the service itself and SIGKILL, SIGSTOP and SIGTERM reach it),
 * over one database given by URI. Each listens on a free port the first time and on that same port
 * when restarted, so the gateway's subgraph URLs and the facade's gateway URL stay right.
 */
export type ServiceName = 'usage' | 'specification' | 'party' | 'gateway' | 'rest';
export { subgraphNames };

const root = path.resolve(import.meta.dirname, '../..');
const entries: Record<ServiceName, { file: string; port: string; ready: RegExp }> = {
  usage: { file: 'subgraphs/usage/index.ts', port: 'USAGE_PORT', ready: /usage subgraph ready at (http:\/\/[^\s"]+)/ },
  specification: { file: 'subgraphs/specification/index.ts', port: 'SPECIFICATION_PORT', ready: /specification subgraph ready at (http:\/\/[^\s"]+)/ },
  party: { file: 'subgraphs/party/index.ts', port: 'PARTY_PORT', ready: /party subgraph ready at (http:\/\/[^\s"]+)/ },
  gateway: { file: 'gateway/index.ts', port: 'GATEWAY_PORT', ready: /gateway ready at (http:\/\/[^\s"]+)/ },
  rest: { file: 'rest-adapter/index.ts', port: 'REST_PORT', ready: /REST facade ready at (http:\/\/[^\s"]+)/ },
};

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Every child this module started and that has not exited: what stopAll, and the exit hook, end. */
const live = new Set<ChildProcess>();
// Last resort if the test worker itself ends without afterAll: no service outlives it.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export class Service {
  private child: ChildProcess | undefined;
  private log: string[] = [];
  /** Resolves when the current process exits. */
  exited!: Promise<Exit>;
  /** The URL it printed when ready: /graphql for subgraphs and gateway, the base for the facade. */
  url = '';
  private port = '0';

  constructor(
    readonly name: ServiceName,
    private readonly env: Record<string, string>,
    /** Run the service's bundle as production does (scripts/build.ts; build it first), not its entry through tsx. */
    private readonly options: { bundle?: boolean } = {},
  ) {}

  /** Runs and has not exited (a stopped process still runs). */
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last lines it wrote, for failure messages. */
  output(): string {
    return this.log.join('\n');
  }

  /** Starts the process (again, on its first port) and resolves with its URL once it says it is ready. */
  start(extraEnv: Record<string, string> = {}): Promise<string> {
    if (this.running) throw new Error(`${this.name} is already running`);
    const entry = entries[this.name];
    const bundled: BuiltService = this.name === 'gateway' || this.name === 'rest' ? this.name : `subgraph-${this.name}`;
    const child = spawn(process.execPath, this.options.bundle ? nodeArguments(bundled) : ['--import', 'tsx', entry.file], {
      cwd: root,
      env: { ...process.env, ...this.env, [entry.port]: this.port, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.log = [];
    live.add(child);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        live.delete(child);
        resolve({ code, signal });
      }),
    );
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not start in 60 s:\n${this.output()}`)), 60_000);
      void this.exited.then((exit) => reject(new Error(`${this.name} exited (${exit.signal ?? exit.code}) while starting:\n${this.output()}`)));
      // Both pipes are read to the end, always: a child whose pipe fills up blocks on its next log line.
      for (const stream of [child.stdout, child.stderr]) {
        createInterface({ input: stream }).on('line', (line) => {
          this.log = [...this.log.slice(-60), line];
          const url = entry.ready.exec(line)?.[1];
          if (url) {
            clearTimeout(timer);
            this.url = url;
            this.port = new URL(url).port;
            resolve(url);
          }
        });
      }
    });
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** SIGKILL, resolved once the process is gone. */
  async kill(): Promise<Exit> {
    if (this.running) this.child!.kill('SIGKILL');
    return this.exited;
  }

  /** Ends it whatever its state (a stopped process too). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child!.kill('SIGCONT');
    await this.kill();
  }
}

export interface Processes {
  services: Record<ServiceName, Service>;
  /** A token for tenant `tenant` with every scope. */
  token: string;
  tenant: string;
  restUrl: string;
  gatewayUrl: string;
  /** The services other than `except` that are no longer running (crashed), by name. */
  notRunning(except?: ServiceName): ServiceName[];
  stopAll(): Promise<void>;
}

/**
 * Starts the three subgraphs, then the gateway over them, then the REST facade over the gateway,
 * all with `env` (the database's MONGODB_URI and MONGODB_DB among it).
 */
export async function startProcesses(env: Record<string, string>): Promise<Processes> {
  const secret = randomBytes(32).toString('base64url');
  const common = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    AUTH_HS256_SECRET: secret,
    INTERNAL_AUTH_SECRET: randomBytes(32).toString('base64url'),
    ...env,
  };
  const services = Object.fromEntries(Object.keys(entries).map((name) => [name, new Service(name as ServiceName, common)])) as Record<ServiceName, Service>;
  const stopAll = () => Promise.all(Object.values(services).map((service) => service.stop())).then(() => undefined);
  try {
    await Promise.all(subgraphNames.map((name) => services[name].start()));
    Object.assign(common, {
      USAGE_URL: services.usage.url,
      SPECIFICATION_URL: services.specification.url,
      PARTY_URL: services.party.url,
    });
    Object.assign(common, { GATEWAY_URL: await services.gateway.start() });
    await services.rest.start();
  } catch (error) {
    await stopAll();
    throw error;
  }
  const tenant = 'faults-tenant';
  const token = await mintToken({ tenant, subject: 'faults', scopes: allScopes }, { secret, issuer: developmentIssuer, ttlSeconds: 3600 });
  return {
    services,
    token,
    tenant,
    restUrl: services.rest.url,
    gatewayUrl: services.gateway.url,
    notRunning: (except) => (Object.keys(services) as ServiceName[]).filter((name) => name !== except && !services[name].running),
    stopAll,
  };
}

/**
 * The PostgreSQL postmaster among the descendants of this process (the embedded database's
 * supervisor runs it; its own children, the backends, are postgres too). Read from `ps`, which sees
 * into the supervisor's pid namespace from outside.
 */
export function postmasterPid(): number {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,comm='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map(([pid, ppid, comm]) => ({ pid: Number(pid), ppid: Number(ppid), comm: comm! }));
  const mine = new Set([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const row of table)
      if (!mine.has(row.pid) && mine.has(row.ppid)) {
        mine.add(row.pid);
        grew = true;
      }
  }
  const postmasters = table.filter((row) => mine.has(row.pid) && row.comm === 'postgres' && !(table.find((p) => p.pid === row.ppid)?.comm === 'postgres'));
  if (postmasters.length !== 1) throw new Error(`expected one postmaster among this process's descendants, found ${postmasters.length}`);
  return postmasters[0]!.pid;
}
