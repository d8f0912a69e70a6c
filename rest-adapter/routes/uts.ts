import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '../../platform/logger.js';
import { surfaceError, useErrorSurface, type ErrorSurface } from '../error-hook.js';
import type { TmfError } from '../errors.js';
import type { GatewayClient } from '../gateway-client.js';
import {
  aggregationHeader,
  dateParameter,
  jobErrorOut,
  monthOf,
  onlyParameters,
  pageOut,
  paging,
  required,
  usagesFromJobBody,
  usagesFromLegacyBody,
  utsBase,
  utsCode,
  UtsError,
  type UtsCode,
} from '../mapping/uts.js';
import {
  UtsCreateJobDocument,
  UtsGetJobDocument,
  UtsJobErrorsDocument,
  UtsListJobsDocument,
  UtsMonthlyAggregatesDocument,
  type UsageIngestInput,
} from '../operations/generated.js';
import { mediaTypeOf, searchOf } from '../request.js';
import type { Paging } from './resource.js';
import { registerUtsConfiguration } from './uts-configuration.js';

/** The generic UTS code for each status the facade's errors carry (docs/uts.md); 400 depends on what was wrong. */
const byStatus: Record<number, UtsCode> = {
  401: utsCode.unauthorized,
  403: utsCode.forbidden,
  404: utsCode.noMatch,
  409: utsCode.conflict,
  413: utsCode.payloadTooLarge,
  415: utsCode.unsupportedMediaType,
  429: utsCode.tooManyRequests,
  503: utsCode.serviceUnavailable,
  504: utsCode.gatewayTimeout,
};

const hasBody = (request: FastifyRequest) => ['POST', 'PUT', 'PATCH'].includes(request.method);

/**
 * The facade's errors in UTS words: the status stays, the code is the generic one for it. The UTS
 * surface has never sent a TmfError's headers (Retry-After, WWW-Authenticate; docs/uts.md names none).
 */
function fromFacade(error: TmfError, request: FastifyRequest, aboutBody: boolean): UtsError {
  if (error.status === 400) {
    return new UtsError(400, aboutBody || hasBody(request) ? utsCode.invalidRequestBodyProperty : utsCode.invalidParameter, error.message);
  }
  const code = byStatus[error.status];
  return code ? new UtsError(error.status, code, error.message) : new UtsError(500, utsCode.internalServerError, 'The server could not complete the request.');
}

/** The UTS surface (error-hook.ts), for the UTS prefix only. */
export const utsSurface = (log: Logger): ErrorSurface<UtsError> => ({
  log,
  isOwn: (error) => error instanceof UtsError,
  fromFacade,
  reply: (error) => ({ status: error.status, headers: {}, body: error.body(randomUUID()) }),
});

/** Any error of this surface as a UTS error: the graph's, the framework's, or ours (error-hook.ts). */
export const toUts = (error: unknown, request: FastifyRequest, log: Logger): UtsError => surfaceError(utsSurface(log), error, request);

function requireJson(request: FastifyRequest): void {
  const type = mediaTypeOf(request);
  if (type !== 'application/json')
    throw new UtsError(415, utsCode.unsupportedMediaType, `Content-Type ${type || '(none)'} is not accepted; use application/json.`);
}

/**
 * The usage-transparency surface (/api/usagetransparency/v3): ingestion as jobs, job status and errors,
 * monthly aggregates, and our rule and KPI endpoints. Each call is one named GraphQL operation; errors
 * come out in the UTS shape with mdsp.core.generic.* codes, in this scope only.
 */
export function registerUts(app: FastifyInstance, gateway: GatewayClient, publicUrl: string, paging_: Paging, logger: Logger): void {
  const log = logger.child('uts');
  void app.register(
    async (scope) => {
      useErrorSurface(scope, utsSurface(log));

      const createJob = async (usages: UsageIngestInput[]) => (await gateway.run(UtsCreateJobDocument, { usages })).createUsageIngestJob;
      const jobHref = (id: string) => `${publicUrl}${utsBase}/usagesJobs/${id}`;

      scope.post('/usagesJobs', async (request, reply) => {
        requireJson(request);
        onlyParameters(searchOf(request), []);
        const job = await createJob(usagesFromJobBody(request.body));
        return reply.code(201).header('Location', jobHref(job.id)).send({ id: job.id, time: job.time, status: job.status, usagesCount: job.usagesCount });
      });

      scope.post('/usages', async (request, reply) => {
        requireJson(request);
        onlyParameters(searchOf(request), []);
        const job = await createJob(usagesFromLegacyBody(request.body));
        return reply.code(201).header('Location', jobHref(job.id)).send();
      });

      scope.get('/usagesJobs', async (request) => {
        const params = searchOf(request);
        onlyParameters(params, ['date', 'tenant', 'application', 'unit', 'page', 'size']);
        const page = paging(params, paging_.defaultSize, paging_.maxSize);
        const filter = { date: dateParameter(params, 'date'), tenant: params.get('tenant'), application: params.get('application'), unit: params.get('unit') };
        const { usageIngestJobs } = await gateway.run(UtsListJobsDocument, { filter, offset: page.offset, limit: page.limit });
        return {
          jobs: usageIngestJobs.items.map(({ id, time, status, usagesCount }) => ({ id, time, status, usagesCount })),
          page: pageOut(page.number, page.size, usageIngestJobs.totalCount),
        };
      });

      scope.get('/usagesJobs/:id', async (request) => {
        const { id } = request.params as { id: string };
        const params = searchOf(request);
        onlyParameters(params, ['page', 'size']);
        const page = paging(params, paging_.defaultSize, paging_.maxSize);
        const { usageIngestJob: job } = await gateway.run(UtsGetJobDocument, { id });
        if (!job) throw new UtsError(404, utsCode.noMatch, `No usages job with id ${id}.`, [{ name: 'id', value: id }]);
        // The summary is short (one entry per application, unit and processStatus): paged here.
        return {
          id: job.id,
          time: job.time,
          status: job.status,
          usagesCount: job.usagesCount,
          usagesSummary: job.usagesSummary.slice(page.offset, page.offset + page.limit),
          page: pageOut(page.number, page.size, job.usagesSummary.length),
        };
      });

      scope.get('/usagesJobs/:id/errors', async (request) => {
        const { id } = request.params as { id: string };
        const params = searchOf(request);
        onlyParameters(params, ['errorClass', 'page', 'size']);
        const errorClass = params.get('errorClass');
        if (errorClass !== null && errorClass !== 'validation') {
          throw new UtsError(400, utsCode.invalidParameter, 'Query parameter errorClass must be validation.', [{ name: 'parameter', value: 'errorClass' }]);
        }
        const page = paging(params, paging_.defaultSize, paging_.maxSize);
        const { usageIngestJob: job } = await gateway.run(UtsJobErrorsDocument, {
          id,
          validationOnly: errorClass === 'validation',
          offset: page.offset,
          limit: page.limit,
        });
        if (!job) throw new UtsError(404, utsCode.noMatch, `No usages job with id ${id}.`, [{ name: 'id', value: id }]);
        return { errors: job.errors.items.map((error) => jobErrorOut(id, error)), page: pageOut(page.number, page.size, job.errors.totalCount) };
      });

      scope.get('/aggregatedMonthlyConsumerUsage', async (request) => {
        const params = searchOf(request);
        onlyParameters(params, ['month', 'year', 'provider', 'application', 'KPIName', 'consumer']);
        const month = monthOf(params);
        // The consumer is a parameter, not the caller's tenant: aggregates are not tenant-scoped yet (docs/ingestion.md).
        const consumer = required(params, 'consumer');
        const provider = params.get('provider');
        const { monthlyUsageAggregates: result } = await gateway.run(UtsMonthlyAggregatesDocument, {
          application: required(params, 'application'),
          kpiName: required(params, 'KPIName'),
          month: month.key,
          consumer,
          provider,
          offset: 0,
          limit: 1,
        });
        const row = result.items[0];
        return {
          consumer,
          value: row?.value ?? 0,
          provider: provider ?? row?.provider ?? null,
          ...aggregationHeader(result.kpi, month, result.aggregationUntilDate),
        };
      });

      scope.get('/aggregatedMonthlyProviderUsage', async (request) => {
        const params = searchOf(request);
        onlyParameters(params, ['month', 'year', 'provider', 'application', 'KPIName', 'consumer', 'page', 'size']);
        const month = monthOf(params);
        const page = paging(params, paging_.defaultSize, paging_.maxSize);
        const provider = params.get('provider');
        const { monthlyUsageAggregates: result } = await gateway.run(UtsMonthlyAggregatesDocument, {
          application: required(params, 'application'),
          kpiName: required(params, 'KPIName'),
          month: month.key,
          consumer: params.get('consumer'),
          provider,
          offset: page.offset,
          limit: page.limit,
        });
        const { aggregationFunction, aggragationFunction, ...header } = aggregationHeader(result.kpi, month, result.aggregationUntilDate);
        return {
          provider: provider ?? result.items[0]?.provider ?? null,
          ...header,
          aggregatedUsages: result.items.map(({ consumer, value }) => ({ consumer, value })),
          aggregationFunction,
          aggragationFunction,
          page: pageOut(page.number, page.size, result.totalCount),
        };
      });

      registerUtsConfiguration(scope, gateway, paging_, requireJson);
    },
    { prefix: utsBase },
  );
}
