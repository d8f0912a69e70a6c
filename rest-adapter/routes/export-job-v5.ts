import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { FastifyInstance } from 'fastify';
import { productUsageV5Catalogue } from '../catalogues.js';
import { ErrorCode } from '../../platform/errors.js';
import { badRequest, fromCode, notFound, unsupportedMediaType } from '../errors.js';
import { projectFields } from '../fields.js';
import { forwardedHeaders, type GatewayClient } from '../gateway-client.js';
import { refuseUnknown, type Json } from '../mapping/common.js';
import { csvHeader, csvRow, exportJobToV5, exportedUsageToV5 } from '../mapping/export-job-v5.js';
import {
  RestCreateExportJobDocument,
  RestDeleteExportJobDocument,
  RestGetExportJobDocument,
  RestListExportJobsDocument,
  type TmfProductUsageFragment,
} from '../operations/generated.js';
import { mediaTypeOf, searchOf } from '../request.js';
import { validate } from '../spec/validators.js';
import { parseListQuery, TmfQueryError, type FieldCatalogue } from '../tmf-query.js';
import { graphListArguments } from './graph-query.js';
import { v5Base } from './product-usage-v5.js';
import { refuseOtherMethods, type Paging } from './resource.js';

const path = `${v5Base}/exportJob`;
// Export jobs are listed newest first and projected with fields; they are not filtered or sorted.
const jobCatalogue: FieldCatalogue = Object.fromEntries(
  ['id', 'creationDate', 'completionDate', 'contentType', 'path', 'query', 'status', 'url', 'errorLog'].map((name) => [
    name,
    { path: name, type: 'string', filterable: false, sortable: false },
  ]),
);

function parse(params: URLSearchParams, catalogue: FieldCatalogue, paging: Paging) {
  try {
    return parseListQuery(params, catalogue, paging);
  } catch (error) {
    if (error instanceof TmfQueryError) throw badRequest(error.message);
    throw error;
  }
}

/**
 * TMF635 v5 exportJob: POST creates a job that the usage subgraph runs in the background, and
 * GET .../{id}/file streams the result: records flow from the subgraph's file through the gateway
 * and are mapped here one line at a time to v5 JSON or CSV, so memory stays flat at any size.
 */
export function registerExportJobs(app: FastifyInstance, gateway: GatewayClient, gatewayUrl: string, publicUrl: string, paging: Paging): void {
  const href = (id: string) => `${publicUrl}${path}/${id}`;
  const gatewayOrigin = new URL(gatewayUrl).origin;

  app.post(path, async (request, reply) => {
    const type = mediaTypeOf(request);
    if (type !== 'application/json') throw unsupportedMediaType(type, ['application/json']);
    const body = request.body as Json;
    const problems = validate('v5.ExportJob_FVO', body);
    if (problems.length)
      throw badRequest(
        `The body does not match ExportJob_FVO: ${problems
          .slice(0, 5)
          .map((p) => p.message)
          .join('; ')}.`,
      );
    refuseUnknown(body, ['@type', 'contentType', 'path', 'query']);
    const query = typeof body.query === 'string' ? body.query.replace(/^\?/, '') : '';
    const params = new URLSearchParams(query);
    for (const reserved of ['fields', 'offset', 'limit']) {
      if (params.has(reserved)) throw badRequest(`query takes filters and sort only; "${reserved}" does not apply to an export.`);
    }
    const { filter, sort } = graphListArguments(parse(params, productUsageV5Catalogue, paging));
    const { createExportJob: job } = await gateway.run(RestCreateExportJobDocument, {
      input: {
        contentType: (body.contentType as string | undefined) ?? 'application/json',
        path: (body.path as string | undefined) ?? '/productUsage',
        query: query || null,
        filter,
        sort,
      },
    });
    reply.header('Location', href(job.id));
    return reply
      .code(201)
      .type('application/json')
      .send(exportJobToV5(job, href(job.id)));
  });

  app.get(path, async (request, reply) => {
    const query = parse(searchOf(request), jobCatalogue, paging);
    const { exportJobs } = await gateway.run(RestListExportJobsDocument, { offset: query.offset, limit: query.limit });
    reply.header('X-Total-Count', String(exportJobs.totalCount)).header('X-Result-Count', String(exportJobs.items.length));
    return reply.type('application/json').send(exportJobs.items.map((job) => projectFields(exportJobToV5(job, href(job.id)), query.fields)));
  });

  app.get(`${path}/:id`, async (request, reply) => {
    const { id } = request.params as { id: string };
    const params = searchOf(request);
    for (const name of params.keys()) if (name !== 'fields') throw badRequest(`Unknown query parameter "${name}": this operation takes only "fields".`);
    const { exportJob } = await gateway.run(RestGetExportJobDocument, { id });
    if (!exportJob) throw notFound(`No ExportJob with id "${id}".`);
    const fields = params.has('fields') ? parse(new URLSearchParams({ fields: params.get('fields')! }), jobCatalogue, paging).fields : null;
    return reply.type('application/json').send(projectFields(exportJobToV5(exportJob, href(id)), fields));
  });

  app.delete(`${path}/:id`, async (request, reply) => {
    const { id } = request.params as { id: string };
    await gateway.run(RestDeleteExportJobDocument, { id });
    return reply.code(204).send();
  });

  app.get(`${path}/:id/file`, async (request, reply) => {
    const { id } = request.params as { id: string };
    const { exportJob } = await gateway.run(RestGetExportJobDocument, { id });
    if (!exportJob) throw notFound(`No ExportJob with id "${id}".`);
    if (exportJob.status !== 'Succeeded' || !exportJob.downloadPath) {
      throw fromCode(ErrorCode.CONFLICT, `ExportJob "${id}" has no file yet: its status is ${exportJob.status}.`);
    }
    const upstream = await fetch(`${gatewayOrigin}${exportJob.downloadPath}`, { headers: forwardedHeaders() }).catch(() => null);
    if (!upstream?.ok || !upstream.body) throw notFound(`The file of ExportJob "${id}" is no longer available.`);
    const lines = createInterface({ input: Readable.fromWeb(upstream.body as WebReadableStream), crlfDelay: Infinity });
    const csv = exportJob.contentType === 'text/csv';
    async function* render() {
      let first = true;
      yield csv ? csvHeader : '[';
      for await (const line of lines) {
        if (!line) continue;
        const usage = JSON.parse(line) as TmfProductUsageFragment;
        const tmf = exportedUsageToV5(usage, `${publicUrl}${v5Base}/productUsage/${usage.id}`);
        yield csv ? csvRow(tmf) : `${first ? '' : ','}\n${JSON.stringify(tmf)}`;
        first = false;
      }
      if (!csv) yield '\n]\n';
    }
    const extension = csv ? 'csv' : 'json';
    return reply
      .type(csv ? 'text/csv; charset=utf-8' : 'application/json')
      .header('content-disposition', `attachment; filename="productUsage-export-${id}.${extension}"`)
      .send(Readable.from(render()));
  });

  refuseOtherMethods(app, path, ['GET', 'HEAD', 'POST']);
  refuseOtherMethods(app, `${path}/:id`, ['GET', 'HEAD', 'DELETE']);
  refuseOtherMethods(app, `${path}/:id/file`, ['GET', 'HEAD']);
}
