import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.js';
import { waitUntil } from '../support/wait.js';

/** The usage-transparency REST surface: jobs, errors, limits, legacy ingestion and every error code. */
const base = '/api/usagetransparency/v3';
let stack: Stack;
// One base instant: the same body sent twice names the same usages.
const t0 = Date.now() - 3_600_000;
const recent = (i: number) => new Date(t0 + i * 1000).toISOString();

const jobBody = (tenantId: string, usages: { value: unknown; unit?: string; datetime?: string }[], application = 'uts-app', resource = 'asset-1') => ({
  users: [
    {
      tenantId,
      userId: 'john.doe@example.com',
      userType: 'user',
      resources: [{ application, alias: 'cockpit', resource, usages: usages.map((u, i) => ({ unit: 'asset-count', datetime: recent(i), ...u })) }],
    },
  ],
});

async function finished(id: string) {
  const response = await waitUntil(
    `ingestion job ${id} to finish`,
    () => stack.rest('GET', `${base}/usagesJobs/${id}`),
    (response) => response.status !== 200 || response.body.status === 'COMPLETED' || response.body.status === 'ERRORS',
  );
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body;
}

const usageCount = (tenant: string) => stack.db.collection('productUsages').countDocuments({ 'ingest.tenant': tenant });

const expectUtsError = (response: { status: number; body: any }, status: number, code: string) => {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(response.body).toEqual({ errors: [{ code, message: expect.any(String), messageParameters: expect.any(Array), logref: expect.any(String) }] });
};

beforeAll(async () => {
  stack = await startStack('uts');
  const rule = await stack.rest('POST', `${base}/rules`, { application: 'uts-app', unit: 'asset-count', valueType: 'INTEGER', maxValue: 100 });
  expect(rule.status, JSON.stringify(rule.body)).toBe(201);
});
afterAll(async () => {
  await stack?.close();
});

describe('POST /usagesJobs', () => {
  it('accepts the documented request (201, Location, ACCEPTED) and completes it', async () => {
    const response = await stack.rest('POST', `${base}/usagesJobs`, {
      users: [
        {
          tenantId: 'uts-doc',
          userId: 'john.doe@healthcare.example.com',
          userType: 'user',
          resources: [
            {
              application: 'manage-my-machines',
              alias: 'analyze-my-performance',
              resource: 'asset-id-1',
              usages: [{ value: 20, unit: 'mmm-recurring-unit', datetime: recent(0) }],
            },
          ],
        },
        {
          tenantId: 'uts-doc',
          resources: [{ application: 'manage-my-machines', resource: 'asset-id-2', usages: [{ value: 3, unit: 'mmm-recurring-unit', datetime: recent(1) }] }],
        },
      ],
    });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(response.body).toEqual({ id: expect.any(String), time: expect.any(String), status: 'ACCEPTED', usagesCount: 2 });
    expect(response.headers.get('location')).toBe(`${stack.config.publicUrl}${base}/usagesJobs/${response.body.id}`);
    const job = await finished(response.body.id);
    expect(job).toEqual({
      id: response.body.id,
      time: response.body.time,
      status: 'COMPLETED',
      usagesCount: 2,
      usagesSummary: [{ application: 'manage-my-machines', unit: 'mmm-recurring-unit', usagesCount: 2, processStatus: 'NOVERIFICATION' }],
      page: { number: 0, size: 20, totalElements: 1, totalPages: 1 },
    });
    const tenantUsage = await stack.db.collection('productUsages').findOne({ 'ingest.resource': 'asset-id-2' });
    expect(tenantUsage?.ingest).toMatchObject({ tenant: 'uts-doc', user: null, userType: 'tenant' });
  });

  it('keeps the valid usages of a mixed batch (ERRORS) and pages the validation errors in the UTS shape', async () => {
    const values = [5, 500, 7, 2.5, 9];
    const response = await stack.rest(
      'POST',
      `${base}/usagesJobs`,
      jobBody(
        'uts-mixed',
        values.map((value) => ({ value })),
      ),
    );
    const job = await finished(response.body.id);
    expect(job.status).toBe('ERRORS');
    expect(job.usagesSummary).toEqual([
      { application: 'uts-app', unit: 'asset-count', usagesCount: 3, processStatus: 'VERIFIED' },
      { application: 'uts-app', unit: 'asset-count', usagesCount: 2, processStatus: 'VERIFICATIONFAILED' },
    ]);
    expect(await usageCount('uts-mixed')).toBe(3);
    const first = await stack.rest('GET', `${base}/usagesJobs/${job.id}/errors?errorClass=validation&page=0&size=1`);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      errors: [
        {
          code: 'mdsp.core.usagetransparency.maxValue',
          message: 'value 500 is above the maximum 100.',
          messageParameters: [
            { name: 'value', value: '500' },
            { name: 'maxValue', value: '100' },
          ],
          logref: `${job.id}:1`,
          errorType: 'ValidationError',
          errorData: [
            {
              tenantId: 'uts-mixed',
              userId: 'john.doe@example.com',
              userType: 'user',
              resources: [
                {
                  application: 'uts-app',
                  alias: 'cockpit',
                  resource: 'asset-1',
                  usages: [{ value: 500, unit: 'asset-count', datetime: new Date(recent(1)).toISOString() }],
                },
              ],
            },
          ],
        },
      ],
      page: { number: 0, size: 1, totalElements: 2, totalPages: 2 },
    });
    const second = await stack.rest('GET', `${base}/usagesJobs/${job.id}/errors?page=1&size=1`);
    expect(second.body.errors.map((e: any) => [e.code, e.logref])).toEqual([['mdsp.core.usagetransparency.valueType', `${job.id}:3`]]);
  });

  it('acknowledges a resent request without storing twice; a changed resend is a CONFLICT error, not a validation one', async () => {
    const body = jobBody('uts-resend', [{ value: 1 }, { value: 2 }]);
    const jobs = [];
    for (let i = 0; i < 2; i++) jobs.push(await finished((await stack.rest('POST', `${base}/usagesJobs`, body)).body.id));
    expect(jobs.map((j) => j.status)).toEqual(['COMPLETED', 'COMPLETED']);
    expect(jobs[1].usagesSummary).toEqual(jobs[0].usagesSummary);
    expect(await usageCount('uts-resend')).toBe(2);
    const changed = await finished((await stack.rest('POST', `${base}/usagesJobs`, jobBody('uts-resend', [{ value: 1 }, { value: 3 }]))).body.id);
    expect(changed.status).toBe('ERRORS');
    const all = await stack.rest('GET', `${base}/usagesJobs/${changed.id}/errors`);
    expect(all.body.errors.map((e: any) => [e.code, e.errorType, e.logref])).toEqual([
      ['mdsp.core.usagetransparency.idempotency', 'OtherError', `${changed.id}:1`],
    ]);
    const validation = await stack.rest('GET', `${base}/usagesJobs/${changed.id}/errors?errorClass=validation`);
    expect(validation.body).toEqual({ errors: [], page: { number: 0, size: 20, totalElements: 0, totalPages: 0 } });
    expect(await usageCount('uts-resend')).toBe(2);
  });

  it('takes 200 usages and refuses 201 whole with 413 payloadTooLarge', async () => {
    const ok = await stack.rest(
      'POST',
      `${base}/usagesJobs`,
      jobBody(
        'uts-limit',
        Array.from({ length: 200 }, (_, i) => ({ value: i % 100 })),
      ),
    );
    expect(ok.status).toBe(201);
    expect(ok.body.usagesCount).toBe(200);
    await finished(ok.body.id);
    const jobsBefore = await stack.db.collection('usageIngestJobs').countDocuments();
    const split = jobBody(
      'uts-limit',
      Array.from({ length: 150 }, () => ({ value: 1 })),
    );
    split.users.push({
      ...jobBody(
        'uts-limit',
        Array.from({ length: 51 }, () => ({ value: 1 })),
      ).users[0]!,
      tenantId: 'uts-limit-2',
    });
    expectUtsError(await stack.rest('POST', `${base}/usagesJobs`, split), 413, 'mdsp.core.generic.payloadTooLarge');
    expect(await stack.db.collection('usageIngestJobs').countDocuments()).toBe(jobsBefore);
    expect(await usageCount('uts-limit-2')).toBe(0);
  });
});

describe('POST /usages (legacy form)', () => {
  it('answers 201 without a body, and the job it created stores the usages', async () => {
    const response = await stack.rest('POST', `${base}/usages`, {
      CustomerTenantID: 'uts-legacy',
      CustomerUserID: 'ann',
      UTSUsageData: [
        {
          resourceAlias: 'legacy-app',
          resourceName: 'machine-7',
          UsageData: [
            { usage: 4, usageUnit: 'hours', usageDate: recent(0) },
            { usage: 6, usageUnit: 'hours', usageDate: recent(1) },
          ],
        },
      ],
    });
    expect(response.status).toBe(201);
    expect(response.body).toBeUndefined();
    const location = response.headers.get('location')!;
    const job = await finished(location.split('/').pop()!);
    expect(job.usagesSummary).toEqual([{ application: 'legacy-app', unit: 'hours', usagesCount: 2, processStatus: 'NOVERIFICATION' }]);
    const docs = await stack.db.collection('productUsages').find({ 'ingest.tenant': 'uts-legacy' }).toArray();
    expect(docs.map((d) => [d.ingest.resource, d.ingest.user, d.ingest.value]).sort()).toEqual([
      ['machine-7', 'ann', 4],
      ['machine-7', 'ann', 6],
    ]);
  });
});

describe('GET /usagesJobs', () => {
  it('lists jobs newest first by tenant, application, unit and date, paged', async () => {
    const ids = [];
    for (const unit of ['u-a', 'u-b', 'u-a']) {
      const response = await stack.rest('POST', `${base}/usagesJobs`, jobBody('uts-list', [{ value: 1, unit, datetime: recent(ids.length) }], 'list-app'));
      ids.push(response.body.id);
      await finished(response.body.id);
    }
    const today = new Date().toISOString().slice(0, 10);
    const page0 = await stack.rest('GET', `${base}/usagesJobs?tenant=uts-list&date=${today}&page=0&size=2`);
    expect(page0.status).toBe(200);
    expect(page0.body.jobs.map((j: any) => j.id)).toEqual([ids[2], ids[1]]);
    expect(page0.body.jobs[0]).toEqual({ id: ids[2], time: expect.any(String), status: 'COMPLETED', usagesCount: 1 });
    expect(page0.body.page).toEqual({ number: 0, size: 2, totalElements: 3, totalPages: 2 });
    const page1 = await stack.rest('GET', `${base}/usagesJobs?tenant=uts-list&page=1&size=2`);
    expect(page1.body.jobs.map((j: any) => j.id)).toEqual([ids[0]]);
    const byUnit = await stack.rest('GET', `${base}/usagesJobs?application=list-app&unit=u-a`);
    expect(byUnit.body.jobs.map((j: any) => j.id)).toEqual([ids[2], ids[0]]);
  });
});

describe('UTS errors', () => {
  it('answers every error the surface produces with its mdsp.core.generic code', async () => {
    const post = (path: string, body: unknown, headers?: Record<string, string>) => stack.rest('POST', `${base}${path}`, body, headers);
    expectUtsError(await stack.rest('GET', `${base}/usagesJobs?colour=red`), 400, 'mdsp.core.generic.invalidParameter');
    expectUtsError(await stack.rest('GET', `${base}/usagesJobs?size=0`), 400, 'mdsp.core.generic.invalidParameter');
    expectUtsError(await stack.rest('GET', `${base}/usagesJobs?date=yesterday`), 400, 'mdsp.core.generic.invalidParameter');
    expectUtsError(await stack.rest('GET', `${base}/usagesJobs/x/errors?errorClass=billing`), 400, 'mdsp.core.generic.invalidParameter');
    expectUtsError(
      await stack.rest('GET', `${base}/aggregatedMonthlyConsumerUsage?year=2026&application=a&KPIName=k&consumer=c`),
      400,
      'mdsp.core.generic.missingParameter',
    );
    expectUtsError(
      await stack.rest('GET', `${base}/aggregatedMonthlyProviderUsage?month=13&year=2026&application=a&KPIName=k`),
      400,
      'mdsp.core.generic.invalidParameter',
    );
    expectUtsError(await post('/usagesJobs', { users: [{ resources: [] }] }), 400, 'mdsp.core.generic.missingRequestBodyProperty');
    expectUtsError(
      await post('/usages', { CustomerTenantID: 't', UTSUsageData: [{ UsageData: [{ usageUnit: 'h', usageDate: recent(0) }] }] }),
      400,
      'mdsp.core.generic.missingRequestBodyProperty',
    );
    expectUtsError(await post('/usagesJobs', jobBody('uts-bad', [{ value: '12' }])), 400, 'mdsp.core.generic.invalidRequestBodyProperty');
    expectUtsError(await post('/usagesJobs', { users: [], extra: 1 }), 400, 'mdsp.core.generic.invalidRequestBodyProperty');
    // A date the graph's DateTime refuses: the whole request is refused, nothing is stored.
    expectUtsError(
      await post('/usagesJobs', jobBody('uts-bad', [{ value: 1 }, { value: 2, datetime: '2026-02-30T00:00:00Z' }])),
      400,
      'mdsp.core.generic.invalidRequestBodyProperty',
    );
    expectUtsError(await post('/usagesJobs', '{"users": ['), 400, 'mdsp.core.generic.invalidRequestBodyProperty');
    expect(await usageCount('uts-bad')).toBe(0);
    expectUtsError(await stack.rest('GET', `${base}/usagesJobs/00000000-0000-0000-0000-000000000000`), 404, 'mdsp.core.generic.noMatch');
    expectUtsError(await stack.rest('GET', `${base}/usagesJobs/00000000-0000-0000-0000-000000000000/errors`), 404, 'mdsp.core.generic.noMatch');
    expectUtsError(
      await stack.rest('GET', `${base}/aggregatedMonthlyProviderUsage?month=1&year=2026&application=none&KPIName=none`),
      404,
      'mdsp.core.generic.noMatch',
    );
    expectUtsError(await stack.rest('GET', `${base}/nothing-here`), 404, 'mdsp.core.generic.noMatch');
    expectUtsError(await post('/rules', { application: 'uts-app', unit: 'asset-count' }), 409, 'mdsp.core.generic.conflict');
    expectUtsError(await post('/usagesJobs', 'users=1', { 'content-type': 'text/plain' }), 415, 'mdsp.core.generic.unsupportedMediaType');
    const huge = jobBody('uts-bad', [{ value: 1 }]);
    (huge.users[0] as Record<string, unknown>).tenantId = 'x'.repeat(stack.config.bodyLimitBytes);
    expectUtsError(await post('/usagesJobs', huge), 413, 'mdsp.core.generic.payloadTooLarge');
  });
});

describe('rules and KPIs over REST', () => {
  it('creates, lists, patches and deletes rules and KPIs', async () => {
    const rule = await stack.rest('POST', `${base}/rules`, { application: 'cfg-app', unit: 'u', minValue: 1 });
    expect(rule.body).toMatchObject({ id: expect.any(String), application: 'cfg-app', unit: 'u', accepted: true, active: true, minValue: 1, maxValue: null });
    const patched = await stack.rest('PATCH', `${base}/rules/${rule.body.id}`, { active: false, minValue: null });
    expect(patched.body).toMatchObject({ active: false, minValue: null });
    const list = await stack.rest('GET', `${base}/rules?application=cfg-app&active=false`);
    expect(list.body).toEqual({ rules: [patched.body], page: { number: 0, size: 20, totalElements: 1, totalPages: 1 } });
    expectUtsError(await stack.rest('PATCH', `${base}/rules/${rule.body.id}`, { application: 'other' }), 400, 'mdsp.core.generic.invalidRequestBodyProperty');
    expectUtsError(
      await stack.rest('POST', `${base}/rules`, { application: 'cfg-app', unit: 'v', minValue: 5, maxValue: 1 }),
      400,
      'mdsp.core.generic.invalidRequestBodyProperty',
    );
    expect((await stack.rest('DELETE', `${base}/rules/${rule.body.id}`)).status).toBe(204);
    expectUtsError(await stack.rest('GET', `${base}/rules/${rule.body.id}`), 404, 'mdsp.core.generic.noMatch');

    const kpi = await stack.rest('POST', `${base}/kpis`, {
      application: 'cfg-app',
      KPIName: 'asset-count',
      KPIDisplayName: 'asset count',
      aggregationFunction: { aggregationFunctionDaily: 'MAX' },
    });
    expect(kpi.status, JSON.stringify(kpi.body)).toBe(201);
    expect(kpi.body).toEqual({
      id: expect.any(String),
      application: 'cfg-app',
      applicationDisplayName: null,
      KPIName: 'asset-count',
      KPIDisplayName: 'asset count',
      unit: 'asset-count',
      aggregationFunction: { aggregationFunctionDaily: 'MAX', aggregationFunctionMonthly: 'SUM', preFill: 'ZERO' },
      creationDate: expect.any(String),
      lastUpdate: expect.any(String),
    });
    const kpiPatched = await stack.rest('PATCH', `${base}/kpis/${kpi.body.id}`, { aggregationFunction: { preFill: 'NONE' } });
    expect(kpiPatched.body.aggregationFunction).toEqual({ aggregationFunctionDaily: 'MAX', aggregationFunctionMonthly: 'SUM', preFill: 'NONE' });
    expect((await stack.rest('GET', `${base}/kpis?application=cfg-app`)).body.kpis).toEqual([kpiPatched.body]);
    expectUtsError(await stack.rest('POST', `${base}/kpis`, { application: 'cfg-app', KPIName: 'asset-count' }), 409, 'mdsp.core.generic.conflict');
    expectUtsError(
      await stack.rest('POST', `${base}/kpis`, { application: 'cfg-app', KPIName: 'x', aggregationFunction: { aggregationFunctionDaily: 'AVG' } }),
      400,
      'mdsp.core.generic.invalidRequestBodyProperty',
    );
    expect((await stack.rest('DELETE', `${base}/kpis/${kpi.body.id}`)).status).toBe(204);
  });
});
