// `npm run build [-- <service> ...]`: each service's entry point bundled into one JavaScript file in
// .build/ (git-ignored), which the service scripts (`npm run gateway`, `npm run subgraph:usage`, ...)
// run with plain `node`. Packages stay in node_modules; only the project's own TypeScript is bundled.
//
// Why not run TypeScript through tsx, as `npm start` does: tsx's loader keeps its own copy of every
// module in a loader thread, 65-90 MiB more resident memory for the gateway, whose target is
// below 250 MiB under load (bench/RESULTS.md, "What moved the figures").
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { subgraphNames, type SubgraphName } from '../platform/subgraphs.js';

interface ServiceEntry {
  entry: string;
  nodeFlags: readonly string[];
}

function subgraphServices(): Record<`subgraph-${SubgraphName}`, ServiceEntry> {
  const entries = subgraphNames.map((name) => [`subgraph-${name}`, { entry: `subgraphs/${name}/index.ts`, nodeFlags: ['--enable-source-maps'] }]);
  return Object.fromEntries(entries) as Record<`subgraph-${SubgraphName}`, ServiceEntry>;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const buildDir = path.join(root, '.build');

/**
 * Each service: its entry point, and the `node` flags its npm script runs the bundle with
 * (tests/unit/service-scripts.test.ts checks package.json against this). The gateway's old-space cap
 * makes V8 collect before its heap grows: under 600 requests/s it held 170 MiB of RSS instead of 330,
 * for about the same throughput (bench/RESULTS.md); it still leaves room for about ten thousand
 * subscribers.
 */
export const services = {
  gateway: { entry: 'gateway/index.ts', nodeFlags: ['--enable-source-maps', '--max-old-space-size=256'] },
  // One per subgraph of platform/subgraphs.ts, each its own process.
  ...subgraphServices(),
  rest: { entry: 'rest-adapter/index.ts', nodeFlags: ['--enable-source-maps'] },
} satisfies Record<string, ServiceEntry>;

export type Service = keyof typeof services;

/** The bundle of a service, once built. */
export const bundleOf = (service: Service): string => path.join(buildDir, `${service}.mjs`);

/** The arguments to `node` that run a built service as its npm script does. */
export const nodeArguments = (service: Service): string[] => [...services[service].nodeFlags, bundleOf(service)];

/**
 * Modules find the project's files (schema/, the console build, the TMF specifications) relative to
 * `import.meta.url`; bundled, that would be the bundle's own location. Each module keeps its own:
 * the URL of its source file, relative to the bundle, so a moved checkout still works.
 */
const ownImportMetaUrl: Plugin = {
  name: 'own-import-meta-url',
  setup(esbuild) {
    esbuild.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return { contents: source, loader: 'ts' };
      const relative = path.relative(buildDir, args.path).split(path.sep).join('/');
      return { contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(relative)}, import.meta.url).href`), loader: 'ts' };
    });
  },
};

/** Bundles the named services (all by default) into bundleOf(service). */
export async function buildServices(names: readonly Service[] = Object.keys(services) as Service[]): Promise<void> {
  await Promise.all(
    names.map(async (name) => {
      await build({
        entryPoints: [path.join(root, services[name].entry)],
        outfile: bundleOf(name),
        bundle: true,
        platform: 'node',
        format: 'esm',
        target: 'node22',
        packages: 'external',
        sourcemap: true,
        logLevel: 'error',
        plugins: [ownImportMetaUrl],
      });
    }),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(name in services));
  if (unknown.length) {
    console.error(`build: unknown service ${unknown.join(', ')}; one of ${Object.keys(services).join(', ')}`);
    process.exit(2);
  }
  await buildServices(asked.length ? (asked as Service[]) : undefined);
}
