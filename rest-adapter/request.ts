import type { FastifyRequest } from 'fastify';
import { mediaType } from '../platform/media-type.js';

/** The media type of a request's body (platform/media-type.ts): every surface of the facade reads it here. */
export const mediaTypeOf = (request: FastifyRequest): string => mediaType(request.headers['content-type']);

/** The request's query parameters, as the URL gives them (repeated names kept). */
export const searchOf = (request: FastifyRequest): URLSearchParams => new URL(request.url, 'http://adapter').searchParams;
