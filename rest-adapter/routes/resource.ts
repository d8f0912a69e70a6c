import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, methodNotAllowed, notFound, TmfError, unsupportedMediaType } from '../errors.js';
import { projectFields } from '../fields.js';
import type { Json } from '../mapping/common.js';
import { deepEqual, jsonPatch, mergePatch } from '../patch.js';
import { validate, type SpecSchemaName } from '../spec/validators.js';
import { parseListQuery, TmfQueryError, type FieldCatalogue, type ListQuery } from '../tmf-query.js';
import { mediaTypeOf, searchOf } from '../request.js';

/**
 * One TMF resource served over the graph: list, create, retrieve, patch and delete, each a named
 * GraphQL operation. Everything specific to a resource and version (its operations, its mapping
 * to and from TMF JSON, its schemas) comes in the definition; the HTTP contract lives here once.
 */
export interface ResourceDefinition<TItem, TInput, TPatch> {
  /** Collection URL path, e.g. /tmf-api/productUsageManagement/v5/productUsage. */
  path: string;
  /** Name in messages, e.g. ProductUsage. */
  label: string;
  catalogue: FieldCatalogue;
  schemas: { create: SpecSchemaName; patch: SpecSchemaName };
  /** Attributes the server sets; a patch may not change them. */
  readOnly: readonly string[];
  /** The list takes TMF630 v5 `after`/`before` cursors and answers Link headers with them. */
  cursors?: boolean;
  list(query: ListQuery): Promise<{ totalCount: number; items: TItem[]; nextCursor?: string | null; previousCursor?: string | null }>;
  get(id: string): Promise<TItem | null>;
  /** `idempotencyKey`: the request's Idempotency-Key header, where the resource takes one. */
  create(input: TInput, idempotencyKey?: string): Promise<TItem>;
  update(id: string, patch: TPatch): Promise<TItem>;
  remove(id: string): Promise<void>;
  toTmf(item: TItem): Json;
  fromTmf(body: Json): TInput;
}

export interface Paging {
  defaultSize: number;
  maxSize: number;
}

const json = 'application/json';
const mergePatchType = 'application/merge-patch+json';
const jsonPatchType = 'application/json-patch+json';

function listQuery(params: URLSearchParams, catalogue: FieldCatalogue, paging: Paging, cursors = false): ListQuery {
  try {
    return parseListQuery(params, catalogue, paging, { cursors });
  } catch (error) {
    if (error instanceof TmfQueryError) throw badRequest(error.message);
    throw error;
  }
}

/** `fields` is the only query parameter a single-resource operation takes. */
function fieldsOnly(request: FastifyRequest, catalogue: FieldCatalogue, paging: Paging): string[] | null {
  const params = searchOf(request);
  for (const name of params.keys()) {
    if (name !== 'fields') throw badRequest(`Unknown query parameter "${name}": this operation takes only "fields".`);
  }
  return params.has('fields') ? listQuery(new URLSearchParams({ fields: params.getAll('fields').join(',') }), catalogue, paging).fields : null;
}

function checkSchema(name: SpecSchemaName, body: unknown): void {
  const problems = validate(name, body);
  if (problems.length) {
    throw badRequest(
      `The body does not match ${name.replace(/^v\d\./, '')}: ${problems
        .slice(0, 5)
        .map((p) => p.message)
        .join('; ')}.`,
    );
  }
}

/**
 * `@type` names the resource's class: the resource itself, or a subclass that says so with
 * `@baseType` (TMF's polymorphism). Anything else (another resource, an empty or non-text name)
 * is a 400, so a body of the wrong kind is never stored under this resource.
 */
function checkType(body: Json, label: string): void {
  const type = body['@type'];
  if (type === undefined || type === label) return;
  if (typeof type === 'string' && /^[A-Za-z][A-Za-z0-9_]{0,99}$/.test(type) && body['@baseType'] === label) return;
  throw badRequest(`"@type" must be "${label}", or a subclass name with "@baseType": "${label}"; got ${JSON.stringify(type).slice(0, 80)}.`);
}

function withoutReadOnly(body: Json, readOnly: readonly string[]): Json {
  return Object.fromEntries(Object.entries(body).filter(([key]) => !readOnly.includes(key)));
}

/** The graph patch that turns `before` into `after`: changed attributes, null for removed ones. */
function changes(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!deepEqual(before[key] ?? null, after[key] ?? null)) patch[key] = after[key] ?? null;
  }
  return patch;
}

/**
 * The Idempotency-Key header (IETF httpapi draft "The Idempotency-Key HTTP Header Field", as Stripe
 * and others use it): the graph stores a create once per key and tenant and answers a resend with the
 * stored resource (resolvers/mutation.ts). Checked there; one header, not a list.
 */
function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return undefined;
  if (Array.isArray(header)) throw badRequest('Send one Idempotency-Key header.');
  return header;
}

/**
 * RFC 8288 links to the neighbouring pages, for lists with cursors: the same query with `after` (next)
 * or `before` (prev) set to the graph's cursor and `offset` dropped. Relative to the request's own
 * URL, as RFC 8288 allows, so they hold behind any proxy that serves the facade under its path.
 */
function pageLinks(path: string, params: URLSearchParams, page: { nextCursor?: string | null; previousCursor?: string | null }): string | null {
  const link = (name: 'after' | 'before', cursor: string, rel: string) => {
    const query = new URLSearchParams([...params].filter(([key]) => key !== 'offset' && key !== 'after' && key !== 'before'));
    query.set(name, cursor);
    return `<${path}?${query.toString()}>; rel="${rel}"`;
  };
  const links = [page.nextCursor ? link('after', page.nextCursor, 'next') : null, page.previousCursor ? link('before', page.previousCursor, 'prev') : null];
  return links.some(Boolean) ? links.filter(Boolean).join(', ') : null;
}

export function registerResource<TItem, TInput extends object, TPatch>(
  app: FastifyInstance,
  resource: ResourceDefinition<TItem, TInput, TPatch>,
  paging: Paging,
): void {
  const itemPath = `${resource.path}/:id`;
  const send = (reply: FastifyReply, status: number, item: TItem, fields: string[] | null) =>
    reply
      .code(status)
      .type(json)
      .send(projectFields(resource.toTmf(item), fields));

  app.get(resource.path, async (request, reply) => {
    const params = searchOf(request);
    const query = listQuery(params, resource.catalogue, paging, resource.cursors);
    const page = await resource.list(query);
    // TMF635 lists answer 200 whether or not the page is the whole result (neither version
    // declares 206); the headers say how much there is.
    reply.header('X-Total-Count', String(page.totalCount)).header('X-Result-Count', String(page.items.length));
    const links = pageLinks(resource.path, params, page);
    if (links) reply.header('Link', links);
    return reply
      .code(200)
      .type(json)
      .send(page.items.map((item) => projectFields(resource.toTmf(item), query.fields)));
  });

  app.post(resource.path, async (request, reply) => {
    if (mediaTypeOf(request) !== json) throw unsupportedMediaType(mediaTypeOf(request), [json]);
    const fields = fieldsOnly(request, resource.catalogue, paging);
    const body = request.body as Json;
    checkSchema(resource.schemas.create, body);
    checkType(body, resource.label);
    for (const key of ['id', 'href', 'creationDate', 'lastUpdate']) {
      if (key in body) throw badRequest(`Attribute "${key}" is set by the server; leave it out of the create body.`);
    }
    const created = await resource.create(resource.fromTmf(body), idempotencyKeyOf(request));
    const tmf = resource.toTmf(created);
    reply.header('Location', String(tmf.href));
    return reply.code(201).type(json).send(projectFields(tmf, fields));
  });

  app.get(itemPath, async (request, reply) => {
    const { id } = request.params as { id: string };
    const fields = fieldsOnly(request, resource.catalogue, paging);
    const item = await resource.get(id);
    if (!item) throw notFound(`No ${resource.label} with id "${id}".`);
    return send(reply, 200, item, fields);
  });

  app.patch(itemPath, async (request, reply) => {
    const { id } = request.params as { id: string };
    const type = mediaTypeOf(request);
    if (![json, mergePatchType, jsonPatchType].includes(type)) throw unsupportedMediaType(type, [mergePatchType, json, jsonPatchType]);
    const fields = fieldsOnly(request, resource.catalogue, paging);
    const current = await resource.get(id);
    if (!current) throw notFound(`No ${resource.label} with id "${id}".`);
    const before = resource.toTmf(current);
    if (type !== jsonPatchType) checkSchema(resource.schemas.patch, request.body);
    const after = (type === jsonPatchType ? jsonPatch(before, request.body) : mergePatch(before, request.body)) as Json;
    if (after === null || typeof after !== 'object' || Array.isArray(after)) throw badRequest('The patched resource must be a JSON object.');
    for (const key of resource.readOnly) {
      if (!deepEqual(before[key] ?? null, after[key] ?? null)) throw badRequest(`Attribute "${key}" is set by the server and cannot be changed.`);
    }
    const result = withoutReadOnly(after, resource.readOnly);
    if (type === jsonPatchType) checkSchema(resource.schemas.patch, result);
    checkType(result, resource.label);
    const patch = changes(
      resource.fromTmf(withoutReadOnly(before, resource.readOnly)) as Record<string, unknown>,
      resource.fromTmf(result) as Record<string, unknown>,
    );
    const updated = Object.keys(patch).length ? await resource.update(id, patch as TPatch) : current;
    return send(reply, 200, updated, fields);
  });

  app.delete(itemPath, async (request, reply) => {
    const { id } = request.params as { id: string };
    if ([...searchOf(request).keys()].length) throw badRequest('DELETE takes no query parameters.');
    await resource.remove(id);
    return reply.code(204).send();
  });

  refuseOtherMethods(app, resource.path, ['GET', 'HEAD', 'POST']);
  refuseOtherMethods(app, itemPath, ['GET', 'HEAD', 'PATCH', 'DELETE']);
}

const allMethods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** 405 with Allow for every method a path does not serve (rather than the framework's 404). */
export function refuseOtherMethods(app: FastifyInstance, url: string, allowed: readonly string[]): void {
  const others = allMethods.filter((m) => !allowed.includes(m));
  app.route({
    method: others,
    url,
    handler: async (request) => {
      throw methodNotAllowed(request.method, allowed);
    },
  });
}

export { TmfError };
