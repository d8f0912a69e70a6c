import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { GatewayClient } from '../gateway-client.js';
import { kpiIn, kpiOut, onlyParameters, pageOut, paging, ruleIn, utsCode, UtsError } from '../mapping/uts.js';
import {
  UtsCreateKpiDocument,
  UtsCreateRuleDocument,
  UtsDeleteKpiDocument,
  UtsDeleteRuleDocument,
  UtsGetKpiDocument,
  UtsGetRuleDocument,
  UtsListKpisDocument,
  UtsListRulesDocument,
  UtsUpdateKpiDocument,
  UtsUpdateRuleDocument,
  type IngestionRuleInput,
  type KpiInput,
} from '../operations/generated.js';
import { searchOf } from '../request.js';
import type { Paging } from './resource.js';

const noMatch = (what: string, id: string) => new UtsError(404, utsCode.noMatch, `No ${what} with id ${id}.`, [{ name: 'id', value: id }]);

function booleanParameter(params: URLSearchParams, name: string): boolean | null {
  const raw = params.get(name);
  if (raw === null) return null;
  if (raw !== 'true' && raw !== 'false')
    throw new UtsError(400, utsCode.invalidParameter, `Query parameter ${name} must be true or false.`, [{ name: 'parameter', value: name }]);
  return raw === 'true';
}

/**
 * Our own endpoints for what the public service configures in its UI only: ingestion rules
 * (`/rules`) and KPIs (`/kpis`). List (page, size), create (201), read, merge-patch, delete (204).
 * Bodies are the graph's inputs; KPIs use the UTS names (KPIName, aggregationFunction, ...).
 */
export function registerUtsConfiguration(
  scope: FastifyInstance,
  gateway: GatewayClient,
  paging_: Paging,
  requireJson: (request: FastifyRequest) => void,
): void {
  scope.get('/rules', async (request) => {
    const params = searchOf(request);
    onlyParameters(params, ['application', 'unit', 'active', 'page', 'size']);
    const page = paging(params, paging_.defaultSize, paging_.maxSize);
    const { ingestionRules } = await gateway.run(UtsListRulesDocument, {
      application: params.get('application'),
      unit: params.get('unit'),
      active: booleanParameter(params, 'active'),
      offset: page.offset,
      limit: page.limit,
    });
    return { rules: ingestionRules.items, page: pageOut(page.number, page.size, ingestionRules.totalCount) };
  });
  scope.post('/rules', async (request, reply) => {
    requireJson(request);
    const { createIngestionRule } = await gateway.run(UtsCreateRuleDocument, { input: ruleIn(request.body, false) as unknown as IngestionRuleInput });
    return reply.code(201).send(createIngestionRule);
  });
  scope.get('/rules/:id', async (request) => {
    const { id } = request.params as { id: string };
    const { ingestionRule } = await gateway.run(UtsGetRuleDocument, { id });
    if (!ingestionRule) throw noMatch('rule', id);
    return ingestionRule;
  });
  scope.patch('/rules/:id', async (request) => {
    requireJson(request);
    const { id } = request.params as { id: string };
    return (await gateway.run(UtsUpdateRuleDocument, { id, patch: ruleIn(request.body, true) })).updateIngestionRule;
  });
  scope.delete('/rules/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    await gateway.run(UtsDeleteRuleDocument, { id });
    return reply.code(204).send();
  });

  scope.get('/kpis', async (request) => {
    const params = searchOf(request);
    onlyParameters(params, ['application', 'KPIName', 'page', 'size']);
    const page = paging(params, paging_.defaultSize, paging_.maxSize);
    const { kpis } = await gateway.run(UtsListKpisDocument, {
      application: params.get('application'),
      name: params.get('KPIName'),
      offset: page.offset,
      limit: page.limit,
    });
    return { kpis: kpis.items.map(kpiOut), page: pageOut(page.number, page.size, kpis.totalCount) };
  });
  scope.post('/kpis', async (request, reply) => {
    requireJson(request);
    const { createKpi } = await gateway.run(UtsCreateKpiDocument, { input: kpiIn(request.body, false) as unknown as KpiInput });
    return reply.code(201).send(kpiOut(createKpi));
  });
  scope.get('/kpis/:id', async (request) => {
    const { id } = request.params as { id: string };
    const { kpi } = await gateway.run(UtsGetKpiDocument, { id });
    if (!kpi) throw noMatch('KPI', id);
    return kpiOut(kpi);
  });
  scope.patch('/kpis/:id', async (request) => {
    requireJson(request);
    const { id } = request.params as { id: string };
    return kpiOut((await gateway.run(UtsUpdateKpiDocument, { id, patch: kpiIn(request.body, true) })).updateKpi);
  });
  scope.delete('/kpis/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    await gateway.run(UtsDeleteKpiDocument, { id });
    return reply.code(204).send();
  });
}
