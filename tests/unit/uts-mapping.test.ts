import { describe, expect, it } from 'vitest';
import { TmfError } from '../../rest-adapter/errors.js';
import { kpiIn, monthOf, paging, usagesFromJobBody, usagesFromLegacyBody, UtsError } from '../../rest-adapter/mapping/uts.js';
import { toUts } from '../../rest-adapter/routes/uts.js';
import { createLogger } from '../../platform/logger.js';

const usage = (i: number) => ({ value: i, unit: 'u', datetime: '2026-11-24T10:00:00Z' });
const body = (...counts: number[]) => ({
  users: counts.map((n, u) => ({ tenantId: `t${u}`, resources: [{ application: 'a', resource: 'r', usages: Array.from({ length: n }, (_, i) => usage(i)) }] })),
});
const codeOf = (action: () => unknown) => {
  try {
    action();
  } catch (error) {
    if (error instanceof UtsError) return [error.status, error.code];
    throw error;
  }
  return null;
};

describe('usagesFromJobBody', () => {
  it('flattens users, resources and usages in order', () => {
    const out = usagesFromJobBody({
      users: [{ tenantId: 't', userId: 'u', userType: 'agent', resources: [{ application: 'a', alias: 'al', resource: 'r', usages: [usage(1), usage(2)] }] }],
    });
    expect(out).toEqual(
      [1, 2].map((value) => ({
        tenantId: 't',
        userId: 'u',
        userType: 'agent',
        application: 'a',
        alias: 'al',
        resource: 'r',
        value,
        unit: 'u',
        datetime: '2026-11-24T10:00:00Z',
      })),
    );
  });
  it('counts usages across all users: 200 pass, 201 are refused whole with 413', () => {
    expect(usagesFromJobBody(body(100, 100))).toHaveLength(200);
    expect(codeOf(() => usagesFromJobBody(body(100, 101)))).toEqual([413, 'mdsp.core.generic.payloadTooLarge']);
  });
  it('tells a missing property from a wrong one, naming its path', () => {
    expect(codeOf(() => usagesFromJobBody({ users: [{ resources: [] }] }))).toEqual([400, 'mdsp.core.generic.missingRequestBodyProperty']);
    expect(codeOf(() => usagesFromJobBody({ users: [{ tenantId: 't', userType: 'robot', resources: [] }] }))).toEqual([
      400,
      'mdsp.core.generic.invalidRequestBodyProperty',
    ]);
    expect(() =>
      usagesFromJobBody({ users: [{ tenantId: 't', resources: [{ application: 'a', resource: 'r', usages: [{ value: 'x', unit: 'u', datetime: 'd' }] }] }] }),
    ).toThrow('users[0].resources[0].usages[0].value must be a number.');
    expect(codeOf(() => usagesFromJobBody({ users: [] }))).toEqual([400, 'mdsp.core.generic.invalidRequestBodyProperty']);
  });
});

describe('usagesFromLegacyBody', () => {
  it('uses the resource alias as application and the tenant as resource when they are missing', () => {
    const out = usagesFromLegacyBody({ CustomerTenantID: 't', UTSUsageData: [{ UsageData: [{ usage: 3, usageUnit: 'h', usageDate: 'd' }] }] });
    expect(out).toEqual([{ tenantId: 't', userId: null, application: 'legacy', alias: null, resource: 't', value: 3, unit: 'h', datetime: 'd' }]);
    const many = { CustomerTenantID: 't', UTSUsageData: [{ UsageData: Array.from({ length: 201 }, () => ({ usage: 1, usageUnit: 'h', usageDate: 'd' })) }] };
    expect(codeOf(() => usagesFromLegacyBody(many))).toEqual([413, 'mdsp.core.generic.payloadTooLarge']);
  });
});

describe('parameters', () => {
  it('reads month numbers and names, page and size', () => {
    expect(monthOf(new URLSearchParams('month=March&year=2026'))).toEqual({ key: '2026-03', name: 'march', year: '2026' });
    expect(monthOf(new URLSearchParams('month=11&year=2026')).key).toBe('2026-11');
    expect(codeOf(() => monthOf(new URLSearchParams('year=2026')))).toEqual([400, 'mdsp.core.generic.missingParameter']);
    expect(paging(new URLSearchParams('page=2&size=10'), 20, 1000)).toEqual({ number: 2, size: 10, offset: 20, limit: 10 });
    expect(codeOf(() => paging(new URLSearchParams('size=1001'), 20, 1000))).toEqual([400, 'mdsp.core.generic.invalidParameter']);
  });
  it('maps KPI bodies to the graph, refusing unknown properties', () => {
    expect(kpiIn({ application: 'a', KPIName: 'k', aggregationFunction: { aggregationFunctionMonthly: 'MAX' } }, false)).toEqual({
      application: 'a',
      name: 'k',
      monthlyFunction: 'MAX',
    });
    expect(codeOf(() => kpiIn({ KPIName: 'k' }, true))).toEqual([400, 'mdsp.core.generic.invalidRequestBodyProperty']);
  });
});

describe('toUts', () => {
  const log = createLogger('error');
  const get = { method: 'GET', headers: {}, url: '/x' } as never;
  const post = { method: 'POST', headers: {}, url: '/x' } as never;
  it('maps the graph errors the facade receives to the generic codes, and hides anything else as 500', () => {
    const cases: [number, string][] = [
      [401, 'mdsp.core.generic.unauthorized'],
      [403, 'mdsp.core.generic.forbidden'],
      [404, 'mdsp.core.generic.noMatch'],
      [409, 'mdsp.core.generic.conflict'],
      [413, 'mdsp.core.generic.payloadTooLarge'],
      [429, 'mdsp.core.generic.tooManyRequests'],
      [503, 'mdsp.core.generic.serviceUnavailable'],
      [504, 'mdsp.core.generic.gatewayTimeout'],
      [500, 'mdsp.core.generic.internalServerError'],
    ];
    for (const [status, code] of cases) expect([status, toUts(new TmfError(status, 'r', 'm'), get, log).code]).toEqual([status, code]);
    expect(toUts(new TmfError(400, 'r', 'm'), get, log).code).toBe('mdsp.core.generic.invalidParameter');
    expect(toUts(new TmfError(400, 'r', 'm'), post, log).code).toBe('mdsp.core.generic.invalidRequestBodyProperty');
    const hidden = toUts(new Error('driver said something'), get, { ...log, error: () => {} });
    expect([hidden.status, hidden.code, hidden.message]).toEqual([500, 'mdsp.core.generic.internalServerError', 'The server could not complete the request.']);
  });
});
