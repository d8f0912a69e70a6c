import type { FastifyRequest } from 'fastify';

/**
 * The media type of a request's body, without parameters and lowercased: media types are
 * case-insensitive (RFC 9110, section 8.3.1), so `Application/JSON; charset=utf-8` is
 * `application/json`. Every surface of the facade (TMF resources, hubs, UTS) reads it here.
 */
export const mediaTypeOf = (request: FastifyRequest): string => (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();

/** The request's query parameters, as the URL gives them (repeated names kept). */
export const searchOf = (request: FastifyRequest): URLSearchParams => new URL(request.url, 'http://adapter').searchParams;
