import Fastify, { type FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { ErrorCode, httpError, httpStatusOf, UsageGraphError } from '../../platform/errors.js';
import { createLogger } from '../../platform/logger.js';
import { useErrorSurface } from '../../rest-adapter/error-hook.js';
import { fromGraphError, tmfSurface, tooLargeForOneRequest } from '../../rest-adapter/errors.js';
import { utsSurface } from '../../rest-adapter/routes/uts.js';

describe('the error vocabulary', () => {
  it('gives every code an HTTP status', () => {
    for (const code of Object.values(ErrorCode)) expect(httpStatusOf[code], code).toBeGreaterThanOrEqual(400);
    expect(httpStatusOf.PAYLOAD_TOO_LARGE).toBe(413);
  });

  it('puts the status of the code on an HTTP error, and nothing on a plain one', () => {
    expect(httpError(ErrorCode.GATEWAY_TIMEOUT, 'late').extensions).toEqual({ code: 'GATEWAY_TIMEOUT', http: { status: 504 } });
    expect(httpError(ErrorCode.UNAUTHENTICATED, 'who', { headers: { 'www-authenticate': 'Bearer' } }).extensions).toEqual({
      code: 'UNAUTHENTICATED',
      http: { status: 401, headers: { 'www-authenticate': 'Bearer' } },
    });
    expect(new UsageGraphError(ErrorCode.TOO_MANY_REQUESTS, 'slow down', { retryAfter: 2 }).extensions).toEqual({ code: 'TOO_MANY_REQUESTS', retryAfter: 2 });
  });

  it('maps graph codes to TMF errors through the same table', () => {
    const tmf = (code: unknown) => {
      const error = fromGraphError(code, 'm');
      return [error.status, error.reason, error.message];
    };
    expect(tmf('PAYLOAD_TOO_LARGE')).toEqual([413, 'Payload Too Large', 'm']);
    expect(tmf('BAD_REQUEST')).toEqual([400, 'Bad Request', 'm']);
    expect(tmf('GRAPHQL_VALIDATION_FAILED')).toEqual([400, 'Bad Request', tooLargeForOneRequest]);
    expect(tmf('INTERNAL_SERVER_ERROR')).toEqual([500, 'Internal Server Error', 'The server could not complete the request.']);
    expect(tmf('GRAPHQL_PARSE_FAILED')[0]).toBe(500);
    expect(tmf(undefined)[0]).toBe(500);
  });
});

describe('the REST error hook', () => {
  const quiet = { ...createLogger('error'), error: () => {} };
  async function app() {
    const fastify = Fastify({ bodyLimit: 64 });
    useErrorSurface(fastify, tmfSurface(quiet));
    const routes = (scope: FastifyInstance) => {
      scope.post('/echo', async (request) => request.body);
      scope.get('/graph', async () => {
        throw httpError(ErrorCode.TOO_MANY_REQUESTS, 'Slow down.', { headers: { 'retry-after': '3' } });
      });
      scope.get('/bug', async () => {
        throw new Error('driver said something');
      });
    };
    routes(fastify);
    await fastify.register(
      async (scope) => {
        useErrorSurface(scope, utsSurface(quiet));
        routes(scope);
      },
      { prefix: '/uts' },
    );
    return fastify;
  }

  it('words the same errors as TMF and as UTS bodies', async () => {
    const fastify = await app();
    const send = async (url: string, payload?: string) => {
      const method = payload === undefined ? 'GET' : 'POST';
      const response = await fastify.inject({ method, url, payload, headers: payload === undefined ? {} : { 'content-type': 'application/json' } });
      const body = response.json<{ code?: string; reason?: string; message?: string; errors?: { code: string; message: string }[] }>();
      return {
        status: response.statusCode,
        retryAfter: response.headers['retry-after'],
        code: body.code ?? body.errors?.[0]?.code,
        message: body.message ?? body.errors?.[0]?.message,
      };
    };
    const big = JSON.stringify({ x: 'y'.repeat(100) });
    expect(await send('/echo', big)).toMatchObject({ status: 413, code: '413', message: 'The request body exceeds 64 bytes.' });
    expect(await send('/uts/echo', big)).toMatchObject({
      status: 413,
      code: 'mdsp.core.generic.payloadTooLarge',
      message: 'The request body exceeds 64 bytes.',
    });
    expect(await send('/echo', '{')).toMatchObject({ status: 400, code: '400' });
    expect(await send('/uts/echo', '{')).toMatchObject({ status: 400, code: 'mdsp.core.generic.invalidRequestBodyProperty' });
    expect(await send('/graph')).toEqual({ status: 429, retryAfter: '3', code: '429', message: 'Slow down.' });
    expect(await send('/uts/graph')).toEqual({ status: 429, retryAfter: undefined, code: 'mdsp.core.generic.tooManyRequests', message: 'Slow down.' });
    expect(await send('/bug')).toMatchObject({ status: 500, message: 'The server could not complete the request.' });
    expect(await send('/uts/bug')).toMatchObject({ status: 500, code: 'mdsp.core.generic.internalServerError' });
    expect(await send('/uts/nothing')).toMatchObject({ status: 404, code: 'mdsp.core.generic.noMatch', message: 'No resource at GET /uts/nothing.' });
    await fastify.close();
  });
});
