import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, unsupportedMediaType } from '../errors.js';
import type { GatewayClient } from '../gateway-client.js';
import { asObject } from '../mapping/common.js';
import { correctionFromV5 } from '../mapping/product-usage-correction-v5.js';
import { productUsageToV5 } from '../mapping/product-usage-v5.js';
import { RestCorrectProductUsageDocument, RestRevertProductUsageCorrectionDocument } from '../operations/generated.js';
import { mediaTypeOf, searchOf } from '../request.js';
import { v5Base } from './product-usage-v5.js';
import { refuseOtherMethods } from './resource.js';

const json = 'application/json';

/**
 * Corrections of v5 usages (docs/rest.md, "Corrections"). TMF635 v5 has no correction resource but
 * says how one looks: the corrected usage becomes `superseded`, the correction is a new usage in
 * `corrected`. So these are two task operations on a usage, each one GraphQL mutation:
 * `POST {id}/correction` answers 201 with the new usage (Location: its href), `POST {id}/revert` (the
 * id of the correction in effect) 200 with the usage it had corrected, back in effect.
 */
export function registerProductUsageCorrections(app: FastifyInstance, gateway: GatewayClient, publicUrl: string): void {
  const usages = `${v5Base}/productUsage`;
  const href = (id: string) => `${publicUrl}${usages}/${id}`;

  /** The request's JSON object body; these operations take no query parameters. */
  const bodyOf = (request: FastifyRequest) => {
    if (mediaTypeOf(request) !== json) throw unsupportedMediaType(mediaTypeOf(request), [json]);
    if ([...searchOf(request).keys()].length) throw badRequest('This operation takes no query parameters.');
    const body = asObject(request.body);
    if (!body) throw badRequest('The body must be a JSON object.');
    return body;
  };

  app.post(`${usages}/:id/correction`, async (request, reply) => {
    const { id } = request.params as { id: string };
    const { reason, input } = correctionFromV5(bodyOf(request));
    const correction = (await gateway.run(RestCorrectProductUsageDocument, { id, input, reason })).correctProductUsage;
    reply.header('Location', href(correction.id));
    return reply
      .code(201)
      .type(json)
      .send(productUsageToV5(correction, href(correction.id)));
  });

  app.post(`${usages}/:id/revert`, async (request, reply) => {
    const { id } = request.params as { id: string };
    const body = bodyOf(request);
    for (const key of Object.keys(body))
      if (key !== 'reason' && key !== '@type') throw badRequest(`Attribute "${key}" is not supported here (supported: reason).`);
    if (typeof body.reason !== 'string') throw badRequest('"reason" is required: a string saying why the correction is reverted.');
    const restored = (await gateway.run(RestRevertProductUsageCorrectionDocument, { id, reason: body.reason })).revertProductUsageCorrection;
    return reply
      .code(200)
      .type(json)
      .send(productUsageToV5(restored, href(restored.id)));
  });

  refuseOtherMethods(app, `${usages}/:id/correction`, ['POST']);
  refuseOtherMethods(app, `${usages}/:id/revert`, ['POST']);
}
