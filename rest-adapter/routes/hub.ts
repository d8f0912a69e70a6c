import type { FastifyInstance } from 'fastify';
import { badRequest, notFound, unsupportedMediaType } from '../errors.js';
import type { GatewayClient } from '../gateway-client.js';
import { refuseUnknown, type Json } from '../mapping/common.js';
import { hubToTmf, parseHubQuery, type ApiVersion } from '../mapping/hub.js';
import { RestCreateHubDocument, RestDeleteHubDocument, RestGetHubDocument } from '../operations/generated.js';
import { validate, type SpecSchemaName } from '../spec/validators.js';
import { v5Base } from './product-usage-v5.js';
import { refuseOtherMethods } from './resource.js';
import { v4Base } from './usage-v4.js';
import { mediaTypeOf } from '../request.js';

const bodySchema: Record<ApiVersion, SpecSchemaName> = { v5: 'v5.Hub_FVO', v4: 'v4.EventSubscriptionInput' };

/** TMF hubs: v5 POST /hub, GET and DELETE /hub/{id}; v4 POST /hub and DELETE /hub/{id}. */
export function registerHubs(app: FastifyInstance, gateway: GatewayClient, publicUrl: string): void {
  for (const version of ['v5', 'v4'] as const) {
    const path = `${version === 'v5' ? v5Base : v4Base}/hub`;
    const href = (id: string) => `${publicUrl}${path}/${id}`;

    app.post(path, async (request, reply) => {
      const type = mediaTypeOf(request);
      if (type !== 'application/json') throw unsupportedMediaType(type, ['application/json']);
      const body = request.body as Json;
      const problems = validate(bodySchema[version], body);
      if (problems.length) throw badRequest(`The body does not match ${bodySchema[version].slice(3)}: ${problems.map((p) => p.message).join('; ')}.`);
      refuseUnknown(body, ['@type', '@baseType', '@schemaLocation', 'callback', 'query']);
      const query = typeof body.query === 'string' && body.query ? body.query : undefined;
      const { filter, eventTypes } = parseHubQuery(version, query);
      const { createHub } = await gateway.run(RestCreateHubDocument, {
        input: { callback: String(body.callback), query: query ?? null, apiVersion: version, filter, eventTypes },
      });
      reply.header('Location', href(createHub.id));
      return reply
        .code(201)
        .type('application/json')
        .send(hubToTmf(createHub, href(createHub.id), version));
    });

    app.delete(`${path}/:id`, async (request, reply) => {
      const { id } = request.params as { id: string };
      await gateway.run(RestDeleteHubDocument, { id });
      return reply.code(204).send();
    });

    if (version === 'v5') {
      app.get(`${path}/:id`, async (request, reply) => {
        const { id } = request.params as { id: string };
        const { hub } = await gateway.run(RestGetHubDocument, { id });
        if (!hub || hub.apiVersion !== version) throw notFound(`No Hub with id "${id}".`);
        return reply.type('application/json').send(hubToTmf(hub, href(id), version));
      });
    }
    refuseOtherMethods(app, path, ['POST']);
    refuseOtherMethods(app, `${path}/:id`, version === 'v5' ? ['GET', 'HEAD', 'DELETE'] : ['DELETE']);
  }
}
