import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { UsageGraphError } from '../platform/errors.js';
import type { Logger } from '../platform/logger.js';
import { badRequest, fromUsageGraphError, internalError, notFound, payloadTooLarge, TmfError, unsupportedMediaType } from './errors.js';

/**
 * How one REST surface (TMF635, UTS) words the facade's errors. Errors its routes throw in its own
 * words go out as they are; everything else reaches `fromFacade` as a TmfError, with the status the
 * graph's vocabulary gives it (platform/errors.ts): the gateway's answers already are one
 * (gateway-client.ts), the framework's and the graph's own error type are made one here.
 */
export interface ErrorSurface<Own extends Error> {
  log: Logger;
  isOwn(error: unknown): error is Own;
  /** `aboutBody`: the framework could not take the request body (UTS then names a body property). */
  fromFacade(error: TmfError, request: FastifyRequest, aboutBody: boolean): Own;
  reply(error: Own): { status: number; headers: Record<string, string>; body: unknown };
}

/** Fastify's refusals of a request body (its FST_ERR_CTP_* codes, its JSON parser's errors), or null for anything else. */
function bodyRefusal(error: FastifyError, request: FastifyRequest): TmfError | null {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return payloadTooLarge(`The request body exceeds ${request.routeOptions.bodyLimit} bytes.`);
  if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return unsupportedMediaType(String(request.headers['content-type'] ?? ''), ['application/json']);
  if (error.statusCode === 400 || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || error instanceof SyntaxError) {
    return badRequest('The body is not valid JSON (or carries a forbidden __proto__ or constructor key).');
  }
  return null;
}

/** Any error of a request as the surface's: its own, the facade's, the framework's; anything else is logged and a bare 500. */
export function surfaceError<Own extends Error>(surface: ErrorSurface<Own>, error: unknown, request: FastifyRequest): Own {
  if (surface.isOwn(error)) return error;
  if (error instanceof TmfError) return surface.fromFacade(error, request, false);
  if (error instanceof UsageGraphError) return surface.fromFacade(fromUsageGraphError(error), request, false);
  const refusal = bodyRefusal(error as FastifyError, request);
  if (refusal) return surface.fromFacade(refusal, request, true);
  surface.log.error(`${request.method} ${request.url} failed`, error);
  return surface.fromFacade(internalError(), request, false);
}

/** The error and not-found handlers of a scope (the app, or the UTS prefix), in the surface's words. */
export function useErrorSurface<Own extends Error>(scope: FastifyInstance, surface: ErrorSurface<Own>): void {
  scope.setErrorHandler((error, request, reply) => {
    const { status, headers, body } = surface.reply(surfaceError(surface, error, request));
    return reply.code(status).headers(headers).type('application/json').send(body);
  });
  scope.setNotFoundHandler((request, reply) => {
    const missing = notFound(`No resource at ${request.method} ${request.url.split('?')[0]}.`);
    const { status, headers, body } = surface.reply(surface.fromFacade(missing, request, false));
    return reply.code(status).headers(headers).type('application/json').send(body);
  });
}
