import { describe, expect, it } from 'vitest';
import { usageFilter, usageSort } from '../../subgraphs/usage/product-usage/filters.js';
import { newUsageDocument, storedPatch } from '../../subgraphs/usage/product-usage/documents.js';

describe('usageFilter', () => {
  it('translates each typed field to its stored path and ANDs them', () => {
    const gte = new Date('2026-01-01T00:00:00Z');
    expect(usageFilter({ status: ['rated'], relatedPartyId: ['p1', 'p2'], usageSpecificationId: ['s1'], usageDate: { gte } })).toEqual({
      status: { $in: ['rated'] },
      'relatedParty.partyOrPartyRole.id': { $in: ['p1', 'p2'] },
      'usageSpecification.id': { $in: ['s1'] },
      usageDate: { $gte: gte },
    });
    expect(usageFilter(undefined)).toEqual({});
  });

  it('sorts newest first by default', () => {
    expect(usageSort(undefined)).toEqual({ creationDate: -1, _id: -1 });
  });
});

describe('newUsageDocument', () => {
  const now = new Date('2026-11-24T10:00:00Z');
  it('sets server fields and defaults, and stores only what was given', () => {
    const doc = newUsageDocument(
      {
        usageType: 'call',
        description: null,
        relatedParty: [{ role: 'customer', partyOrPartyRole: { id: 'p1', type: null, name: null } }],
        usageSpecification: { id: 's1', name: null },
      },
      'u1',
      now,
    );
    expect(doc).toEqual({
      _id: 'u1',
      type: 'ProductUsage',
      creationDate: now,
      lastUpdate: now,
      usageType: 'call',
      status: 'initialized',
      usageCharacteristic: [],
      relatedParty: [{ role: 'customer', partyOrPartyRole: { id: 'p1', type: 'PartyRef' } }],
      usageSpecification: { id: 's1' },
      usageProductPrice: [],
      ratedProductUsage: [],
      externalIdentifier: [],
    });
  });

  it('keeps nulls in a patch (they clear) and shapes nested references', () => {
    expect(storedPatch({ description: null, relatedParty: [{ partyOrPartyRole: { id: 'r1', type: 'PartyRoleRef' } }] })).toEqual({
      description: null,
      relatedParty: [{ partyOrPartyRole: { id: 'r1', type: 'PartyRoleRef' } }],
    });
  });
});
