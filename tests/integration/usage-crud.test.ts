import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteUsageDocument, UpdateUsageDocument, UsageDocument, UsagesWithRelationsDocument } from '../operations/generated.js';
import { createIndividual, createOrganization, createPartyRole, createSpecification, createUsage } from '../support/fixtures.js';
import { dataOf, startStack, type Stack } from '../support/stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('usage_crud');
});
afterAll(async () => {
  await stack?.close();
});

describe('a usage across the three subgraphs', () => {
  it('is created with server-set fields and read back whole', async () => {
    const usage = await createUsage(stack, {
      usageType: 'voice',
      description: 'Call to voicemail',
      usageDate: '2026-11-20T16:07:00Z',
      usageCharacteristic: [
        { name: 'duration', valueType: 'integer', value: 12 },
        { name: 'cells', valueType: 'object', value: { from: 'A1', to: ['B2', 'C3'], roaming: false } },
      ],
      externalIdentifier: [{ id: 'cdr-0001', owner: 'msc-paris' }],
      usageSpecification: { id: 'spec-as-sent', name: 'Sent name' },
    });
    expect(usage.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(usage.type).toBe('ProductUsage');
    expect(usage.status).toBe('initialized');
    expect(usage.creationDate).toBe(usage.lastUpdate);
    expect(Date.now() - Date.parse(usage.creationDate)).toBeLessThan(60_000);

    const read = dataOf(await stack.request(UsageDocument, { id: usage.id })).productUsage;
    expect(read).toEqual({
      ...usage,
      usageDate: '2026-11-20T16:07:00.000Z',
      usageCharacteristic: [
        { name: 'duration', valueType: 'integer', value: 12 },
        { name: 'cells', valueType: 'object', value: { from: 'A1', to: ['B2', 'C3'], roaming: false } },
      ],
      usageSpecificationRef: { id: 'spec-as-sent', name: 'Sent name' },
      externalIdentifier: [{ id: 'cdr-0001', owner: 'msc-paris' }],
    });
  });

  it('resolves its specification and parties from their subgraphs, and dangling references to null fields', async () => {
    const spec = await createSpecification(stack, 'Mobile data session');
    const ada = await createIndividual(stack, 'Ada', 'Lovelace');
    const acme = await createOrganization(stack, 'Acme Mobile');
    const reseller = await createPartyRole(stack, 'reseller', acme.id);
    expect(ada.name).toBe('Ada Lovelace');

    const linked = await createUsage(stack, {
      usageType: 'data',
      usageSpecification: { id: spec.id },
      relatedParty: [
        { role: 'customer', partyOrPartyRole: { id: ada.id, referredType: 'Individual' } },
        { role: 'provider', partyOrPartyRole: { id: reseller.id, type: 'PartyRoleRef' } },
      ],
    });
    const dangling = await createUsage(stack, {
      usageType: 'data',
      usageSpecification: { id: 'spec-not-yet-known' },
      relatedParty: [{ role: 'customer', partyOrPartyRole: { id: 'party-not-yet-known' } }],
    });

    const result = await stack.request(UsagesWithRelationsDocument, { filter: { id: [linked.id, dangling.id] } });
    expect(result.errors).toBeUndefined();
    const byId = Object.fromEntries(dataOf(result).productUsages.items.map((u) => [u.id, u]));
    expect(byId[linked.id]).toEqual({
      id: linked.id,
      usageSpecification: { id: spec.id, name: 'Mobile data session' },
      relatedParty: [
        { role: 'customer', partyOrPartyRole: { id: ada.id, type: 'PartyRef' }, party: { id: ada.id, name: 'Ada Lovelace' }, partyRole: null },
        {
          role: 'provider',
          partyOrPartyRole: { id: reseller.id, type: 'PartyRoleRef' },
          party: null,
          partyRole: { id: reseller.id, name: 'reseller', engagedParty: { name: 'Acme Mobile' } },
        },
      ],
    });
    expect(byId[dangling.id]).toEqual({
      id: dangling.id,
      usageSpecification: { id: 'spec-not-yet-known', name: null },
      relatedParty: [
        {
          role: 'customer',
          partyOrPartyRole: { id: 'party-not-yet-known', type: 'PartyRef' },
          party: { id: 'party-not-yet-known', name: null },
          partyRole: null,
        },
      ],
    });
  });

  it('takes a partial update: given fields replace, null clears, left-out fields stay', async () => {
    const usage = await createUsage(stack, {
      usageType: 'sms',
      description: 'before',
      usageCharacteristic: [{ name: 'segments', value: 1 }],
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const updated = dataOf(
      await stack.request(UpdateUsageDocument, { id: usage.id, patch: { description: 'after', usageType: null, status: 'rated' } }),
    ).updateProductUsage;
    expect(updated).toEqual({
      ...usage,
      description: 'after',
      usageType: null,
      status: 'rated',
      lastUpdate: updated.lastUpdate,
    });
    expect(Date.parse(updated.lastUpdate)).toBeGreaterThan(Date.parse(usage.lastUpdate));

    const cleared = dataOf(await stack.request(UpdateUsageDocument, { id: usage.id, patch: { usageCharacteristic: null } })).updateProductUsage;
    expect(cleared.usageCharacteristic).toEqual([]);
    expect(cleared.description).toBe('after');
  });

  it('refuses to clear status or update an unknown usage', async () => {
    const usage = await createUsage(stack, { usageType: 'sms' });
    const clearStatus = await stack.request(UpdateUsageDocument, { id: usage.id, patch: { status: null } });
    expect(clearStatus.errors).toEqual([{ message: 'status cannot be cleared.', path: ['updateProductUsage'], extensions: { code: 'BAD_USER_INPUT' } }]);
    const unknown = await stack.request(UpdateUsageDocument, { id: 'no-such-usage', patch: { description: 'x' } });
    expect(unknown.errors).toEqual([
      {
        message: 'No ProductUsage with id "no-such-usage".',
        path: ['updateProductUsage'],
        extensions: { code: 'NOT_FOUND' },
      },
    ]);
  });

  it('is deleted once: then it reads as null and a second delete is NOT_FOUND', async () => {
    const usage = await createUsage(stack, { usageType: 'sms' });
    expect(dataOf(await stack.request(DeleteUsageDocument, { id: usage.id })).deleteProductUsage).toEqual({ id: usage.id });
    expect(dataOf(await stack.request(UsageDocument, { id: usage.id })).productUsage).toBeNull();
    const again = await stack.request(DeleteUsageDocument, { id: usage.id });
    expect(again.errors?.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(await stack.db.collection('productUsages').countDocuments({ _id: usage.id as never })).toBe(0);
  });
});
