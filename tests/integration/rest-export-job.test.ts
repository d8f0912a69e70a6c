import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate } from '../../rest-adapter/spec/validators.js';
import { startStack, type Stack } from '../support/stack.js';
import { waitUntil } from '../support/wait.js';

const base = '/tmf-api/productUsageManagement/v5';
let stack: Stack;
const created: string[] = [];

beforeAll(async () => {
  stack = await startStack('rest_export');
  for (let i = 0; i < 30; i++) {
    const response = await stack.rest('POST', `${base}/productUsage`, {
      '@type': 'ProductUsage',
      usageType: i % 3 === 0 ? 'export-sms' : 'export-data',
      description: i === 0 ? '=HYPERLINK("x"), "quoted"' : `usage ${i}`,
      product: { '@type': 'ProductRef', id: 'prod' },
      usageSpecification: { '@type': 'ProductUsageSpecificationRef', id: 'spec' },
      usageCharacteristic: [{ '@type': 'IntegerCharacteristic', name: 'n', valueType: 'integer', value: i }],
    });
    created.push(response.body.id);
  }
});
afterAll(async () => {
  await stack?.close();
});

function finished(id: string, on = stack) {
  return waitUntil(
    `export job ${id} to finish`,
    async () => (await on.rest('GET', `${base}/exportJob/${id}`)).body,
    (body) => body.status === 'Succeeded' || body.status === 'Failed',
  );
}

describe('v5 exportJob', () => {
  it('exports the usages matching query to JSON: Not Started/Running -> Succeeded, then the file streams', async () => {
    const response = await stack.rest('POST', `${base}/exportJob`, { '@type': 'ExportJob', query: 'usageType=export-sms&sort=creationDate' });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    expect(response.headers.get('location')).toBe(response.body.href);
    expect(['Not Started', 'Running', 'Succeeded']).toContain(response.body.status);
    expect(response.body).toMatchObject({
      '@type': 'ExportJob',
      contentType: 'application/json',
      path: '/productUsage',
      query: 'usageType=export-sms&sort=creationDate',
    });
    expect(validate('v5.ExportJob_RES', response.body)).toEqual([]);

    const job = await finished(response.body.id);
    expect(job).toMatchObject({ status: 'Succeeded', url: `${response.body.href}/file`, completionDate: expect.any(String) });
    expect(validate('v5.ExportJob_RES', job)).toEqual([]);

    const file = await fetch(`${stack.restUrl}${base}/exportJob/${job.id}/file`, { headers: { authorization: `Bearer ${stack.token}` } });
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toContain('application/json');
    const usages = (await file.json()) as { id: string; usageType: string }[];
    expect(usages.map((u) => u.id)).toEqual(created.filter((_, i) => i % 3 === 0));
    for (const usage of usages) expect(validate('v5.ProductUsage_RES', usage)).toEqual([]);
  });

  it('exports to CSV with one header, quoting and formula-safe cells', async () => {
    const response = await stack.rest('POST', `${base}/exportJob`, { '@type': 'ExportJob', contentType: 'text/csv', query: 'usageType=export-sms' });
    const job = await finished(response.body.id);
    const text = await (await fetch(job.url.replace('http://localhost:8080', stack.restUrl), { headers: { authorization: `Bearer ${stack.token}` } })).text();
    const lines = text.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'id,href,@type,status,usageType,description,creationDate,lastUpdate,usageSpecification.id,usageSpecification.name,product.id,relatedParty,usageCharacteristic,usageProductPrice,externalIdentifier',
    );
    expect(lines).toHaveLength(1 + 10);
    expect(text).toContain(`"'=HYPERLINK(""x""), ""quoted"""`);
  });

  it('lists and deletes jobs; a deleted job and its file are gone', async () => {
    const { body } = await stack.rest('POST', `${base}/exportJob`, { '@type': 'ExportJob' });
    await finished(body.id);
    const list = await stack.rest('GET', `${base}/exportJob?fields=status`);
    expect(list.status).toBe(200);
    expect(list.body.find((j: { id: string }) => j.id === body.id)).toEqual({ id: body.id, href: body.href, '@type': 'ExportJob', status: 'Succeeded' });
    expect((await stack.rest('DELETE', `${base}/exportJob/${body.id}`)).status).toBe(204);
    expect((await stack.rest('GET', `${base}/exportJob/${body.id}`)).status).toBe(404);
    expect((await stack.rest('GET', `${base}/exportJob/${body.id}/file`)).status).toBe(404);
  });

  it('refuses a bad query, content type or path with 400 and creates no job', async () => {
    const before = await stack.db.collection('exportJobs').countDocuments();
    for (const body of [
      { '@type': 'ExportJob', query: 'status=paid' },
      { '@type': 'ExportJob', query: 'limit=5' },
      { '@type': 'ExportJob', query: 'status[$ne]=x' },
      { '@type': 'ExportJob', contentType: 'application/pdf' },
      { '@type': 'ExportJob', path: '/secret' },
      { '@type': 'ExportJob', colour: 'blue' },
    ]) {
      const response = await stack.rest('POST', `${base}/exportJob`, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body['@type']).toBe('Error');
    }
    expect(await stack.db.collection('exportJobs').countDocuments()).toBe(before);
  });

  it('runs a job that a stopped process left waiting when the system starts again', async () => {
    const id = '00000000-0000-4000-8000-000000000001';
    await stack.db.collection('exportJobs').insertOne({
      _id: id as never,
      creationDate: new Date(),
      contentType: 'application/json',
      path: '/productUsage',
      query: null,
      status: 'NotStarted',
      exportedCount: 0,
      filter: '{"usageType":{"$in":["export-sms"]}}',
      sort: '{"_id":1}',
      tenant: 'test-tenant',
    });
    const restarted = await startStack('rest_export');
    try {
      expect(await finished(id, restarted)).toMatchObject({ status: 'Succeeded' });
      const usages = (await (
        await fetch(`${restarted.restUrl}${base}/exportJob/${id}/file`, { headers: { authorization: `Bearer ${restarted.token}` } })
      ).json()) as unknown[];
      expect(usages).toHaveLength(10);
    } finally {
      await restarted.close();
    }
  });
});
