import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alwaysKept, projectFields } from '../../rest-adapter/fields.js';

// A v5 ProductUsage as the facade answers it (TMF635 v5 ProductUsage_RES).
const usage = () => ({
  '@type': 'ProductUsage',
  id: 'u1',
  href: '/tmf-api/productUsageManagement/v5/productUsage/u1',
  '@baseType': 'ProductUsage',
  creationDate: '2026-11-24T10:00:00.000Z',
  status: 'rated',
  usageType: 'voice',
  relatedParty: [
    { '@type': 'RelatedPartyRefOrPartyRoleRef', role: 'customer', partyOrPartyRole: { '@type': 'PartyRef', id: 'p1', name: 'Ann' } },
    { role: 'reseller', partyOrPartyRole: { '@type': 'PartyRef', id: 'p2' } },
    { partyOrPartyRole: { '@type': 'PartyRef', id: 'p3' } },
  ],
  usageSpecification: { '@type': 'ProductUsageSpecificationRef', id: 's1', name: 'Voice', href: '/spec/s1' },
  product: null,
  usageCharacteristic: [{ '@type': 'StringCharacteristic', name: 'duration', value: '60' }],
});

describe('projectFields', () => {
  it('returns a copy of everything when fields is null', () => {
    const input = usage();
    const out = projectFields(input, null);
    expect(out).toEqual(input);
    expect(out).not.toBe(input);
  });

  it('keeps the listed top-level attributes and id, href, @type, @baseType in the original key order', () => {
    const out = projectFields(usage(), ['status', 'creationDate']);
    expect(out).toEqual({
      '@type': 'ProductUsage',
      id: 'u1',
      href: '/tmf-api/productUsageManagement/v5/productUsage/u1',
      '@baseType': 'ProductUsage',
      creationDate: '2026-11-24T10:00:00.000Z',
      status: 'rated',
    });
    expect(Object.keys(out)).toEqual(['@type', 'id', 'href', '@baseType', 'creationDate', 'status']);
  });

  it('keeps only the markers when no attribute is listed, and never invents absent ones', () => {
    expect(projectFields({ id: 'x', name: 'n' }, [])).toEqual({ id: 'x' });
    expect(projectFields({ id: 'x', name: 'n' }, ['nope', 'name.first'])).toEqual({ id: 'x' });
  });

  it('selects an attribute inside every element of an array, keeping each element and its @type', () => {
    expect(projectFields(usage(), ['relatedParty.role']).relatedParty).toEqual([
      { '@type': 'RelatedPartyRefOrPartyRoleRef', role: 'customer' },
      { role: 'reseller' },
      {},
    ]);
  });

  it('selects deeper paths through arrays and objects, merging sibling paths', () => {
    const out = projectFields(usage(), ['relatedParty.partyOrPartyRole.id', 'relatedParty.role', 'usageSpecification.name']);
    expect(out.relatedParty).toEqual([
      { '@type': 'RelatedPartyRefOrPartyRoleRef', role: 'customer', partyOrPartyRole: { '@type': 'PartyRef', id: 'p1' } },
      { role: 'reseller', partyOrPartyRole: { '@type': 'PartyRef', id: 'p2' } },
      { partyOrPartyRole: { '@type': 'PartyRef', id: 'p3' } },
    ]);
    // Nested objects keep their shape marker, not their id: the client did not ask for it.
    expect(out.usageSpecification).toEqual({ '@type': 'ProductUsageSpecificationRef', name: 'Voice' });
  });

  it('lets a whole attribute win over a dotted path into it, in either order', () => {
    const whole = usage().relatedParty;
    expect(projectFields(usage(), ['relatedParty.role', 'relatedParty']).relatedParty).toEqual(whole);
    expect(projectFields(usage(), ['relatedParty', 'relatedParty.role']).relatedParty).toEqual(whole);
  });

  it('drops values that cannot hold the selected sub-attribute (null, scalars, scalar array elements)', () => {
    const out = projectFields({ id: 'x', product: null, status: 'rated', tags: ['a', { k: 1, j: 2 }, null] }, ['product.id', 'status.x', 'tags.k']);
    expect(out).toEqual({ id: 'x', tags: [{ k: 1 }] });
  });

  it('keeps the markers whole even when a dotted path names something inside them', () => {
    expect(projectFields({ id: 'x', '@type': 'T', a: 1 }, ['@type.x'])).toEqual({ id: 'x', '@type': 'T' });
  });

  it('does not mutate its input', () => {
    const input = usage();
    const before = structuredClone(input);
    projectFields(input, ['relatedParty.role', 'usageSpecification.id']);
    expect(input).toEqual(before);
  });

  it('keeps an own "__proto__" attribute as data, never as a prototype', () => {
    const input = JSON.parse('{"id":"x","__proto__":{"polluted":true},"a":1}') as Record<string, unknown>;
    const out = projectFields(input, ['__proto__']);
    expect(Object.keys(out)).toEqual(['id', '__proto__']);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect((out as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

/** Every value of `out` appears in `input` at the same place; array elements map to an ordered subsequence. */
function isDeepSubset(out: unknown, input: unknown): boolean {
  if (Array.isArray(out)) {
    if (!Array.isArray(input)) return false;
    let from = 0;
    for (const element of out) {
      while (from < input.length && !isDeepSubset(element, input[from])) from++;
      if (from === input.length) return false;
      from++;
    }
    return true;
  }
  if (typeof out === 'object' && out !== null) {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return false;
    const source = input as Record<string, unknown>;
    return Object.keys(out).every((key) => Object.hasOwn(source, key) && isDeepSubset((out as Record<string, unknown>)[key], source[key]));
  }
  return Object.is(out, input);
}

const isSubsequence = (sub: readonly string[], of: readonly string[]) => {
  let at = 0;
  return sub.every((key) => {
    while (at < of.length && of[at] !== key) at++;
    return at++ < of.length;
  });
};

describe('projectFields properties', () => {
  const key = fc.oneof(fc.constantFrom('id', 'href', '@type', '@baseType', 'a', 'b', 'role', '__proto__'), fc.string({ maxLength: 4 }));
  const value = fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      fc.jsonValue({ maxDepth: 1 }),
      fc.array(tie('node'), { maxLength: 3 }),
      fc.dictionary(key, tie('node'), { maxKeys: 4 }),
    ),
  })).node;
  const resource = fc
    .record({ id: fc.string(), href: fc.string(), '@type': fc.string(), rest: fc.dictionary(key, value, { maxKeys: 6 }) })
    .map(({ rest, ...markers }): Record<string, unknown> => ({ ...rest, ...markers }));
  const path = fc.array(key, { minLength: 1, maxLength: 3 }).map((segments) => segments.join('.'));
  const fields = fc.oneof(fc.constant(null), fc.array(path, { maxLength: 5 }));

  it('answers a deep subset of the input, keeps the markers and key order, mutates nothing, and is idempotent', () => {
    fc.assert(
      fc.property(resource, fields, (input, selected) => {
        const before = structuredClone(input);
        const out = projectFields(input, selected);
        expect(input).toEqual(before);
        expect(isDeepSubset(out, input)).toBe(true);
        expect(isSubsequence(Object.keys(out), Object.keys(input))).toBe(true);
        for (const marker of alwaysKept) {
          if (Object.hasOwn(input, marker)) expect(Object.hasOwn(out, marker) && Object.is(out[marker], input[marker])).toBe(true);
        }
        expect(projectFields(out, selected)).toEqual(out);
      }),
      { numRuns: 500 },
    );
  });
});
