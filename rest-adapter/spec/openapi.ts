import { specDocuments, type JsonObject } from './load.js';

/**
 * The OpenAPI document the adapter publishes for one version: the TMF635 file itself, cut down to
 * what the adapter serves, pointing at where it serves it. Clients (and the docs page) then see
 * neither the listeners (a subscriber implements those) nor TMF's `http://serverRoot`.
 */
export interface ServedApi {
  /** Paths as the file writes them: `/productUsage`, `/productUsage/{id}`. */
  paths: readonly string[];
  /** Absolute URL the paths hang under, e.g. `http://localhost:8080/tmf-api/productUsageManagement/v5`. */
  serverUrl: string;
  /** Per path, the HTTP methods served; a path left out here keeps every operation the file gives it. */
  methods?: Readonly<Record<string, readonly string[]>>;
}

const operations = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Local references in `node`: every `$ref`, and the targets of discriminator mappings, which name
 * schemas by reference without a `$ref` (dropping them would leave the mapping dangling).
 */
function refsIn(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refsIn(n, found));
  if (!isObject(node)) return found;
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') found.push(value);
    else if (key === 'mapping' && isObject(value)) Object.values(value).forEach((v) => typeof v === 'string' && found.push(v));
    else refsIn(value, found);
  }
  return found;
}

const pointerParts = (ref: string) =>
  ref
    .slice(2)
    .split('/')
    .map((part) => decodeURIComponent(part).replace(/~1/g, '/').replace(/~0/g, '~'));

/** `#/components/schemas/X` → ['components', 'schemas', 'X'] for every local reference reachable from the paths. */
function reachable(doc: JsonObject): string[][] {
  const seen = new Set<string>();
  const queue = refsIn(doc.paths);
  while (queue.length) {
    const ref = queue.pop()!;
    if (!ref.startsWith('#/') || seen.has(ref)) continue;
    seen.add(ref);
    const target = pointerParts(ref).reduce<unknown>((node, part) => (isObject(node) ? node[part] : undefined), doc);
    if (target === undefined) throw new Error(`The TMF635 document refers to ${ref}, which it does not have.`);
    refsIn(target, queue);
  }
  return [...seen].map(pointerParts);
}

/** Keeps, in each reusable section, the entries something kept refers to (security schemes are named, not referenced: all stay). */
function pruneUnreferenced(doc: JsonObject, sections: JsonObject, sectionPath: string[]): void {
  const used = reachable(doc);
  for (const [section, entries] of Object.entries(sections)) {
    if (section === 'securitySchemes' || section === 'securityDefinitions' || !isObject(entries)) continue;
    const path = [...sectionPath, section];
    const keep = new Set(used.filter((p) => p.length > path.length && path.every((s, i) => p[i] === s)).map((p) => p[path.length]!));
    for (const name of Object.keys(entries)) if (!keep.has(name)) delete entries[name];
  }
}

export function servedOpenApi(version: 'v4' | 'v5', served: ServedApi): Record<string, unknown> {
  const source = specDocuments()[version];
  const doc = structuredClone(source) as JsonObject;

  const paths: Record<string, JsonObject> = {};
  for (const path of served.paths) {
    const item = source.paths[path];
    if (!item) throw new Error(`TMF635 ${version} has no path ${path}; it has ${Object.keys(source.paths).join(', ')}.`);
    const copy = structuredClone(item);
    const methods = served.methods?.[path]?.map((m) => m.toLowerCase());
    if (methods) {
      const missing = methods.filter((m) => !(m in copy));
      if (missing.length) throw new Error(`TMF635 ${version} has no ${missing.join(', ').toUpperCase()} on ${path}.`);
      for (const key of Object.keys(copy)) if (operations.has(key) && !methods.includes(key)) delete copy[key];
    }
    paths[path] = copy;
  }
  doc.paths = paths;

  const url = new URL(served.serverUrl);
  if (version === 'v5') {
    doc.servers = [{ url: served.serverUrl.replace(/\/+$/, '') }];
    if (isObject(doc.components)) pruneUnreferenced(doc, doc.components, ['components']);
  } else {
    // Swagger 2.0 has no `servers`: the URL is split into scheme, host and base path.
    doc.schemes = [url.protocol.replace(/:$/, '')];
    doc.host = url.host;
    doc.basePath = url.pathname.replace(/\/+$/, '') || '/';
    const sections = Object.fromEntries(['definitions', 'parameters', 'responses'].filter((s) => isObject(doc[s])).map((s) => [s, doc[s]]));
    pruneUnreferenced(doc, sections, []);
  }

  const usedTags = new Set(
    Object.values(paths).flatMap((item) =>
      Object.entries(item).flatMap(([key, op]) => (operations.has(key) && isObject(op) && Array.isArray(op.tags) ? (op.tags as unknown[]) : [])),
    ),
  );
  if (Array.isArray(doc.tags)) doc.tags = doc.tags.filter((tag) => isObject(tag) && usedTags.has(tag.name));
  return doc;
}
