import { describe, expect, it } from 'vitest';
import { TmfError } from '../../rest-adapter/errors.js';
import { deepEqual, jsonPatch, mergePatch } from '../../rest-adapter/patch.js';

const statusOf = (run: () => unknown) => {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof TmfError ? error.status : String(error);
  }
};

describe('merge patch (RFC 7396)', () => {
  const current = { id: 'u1', status: 'initialized', usageType: 'voice', usageSpecification: { id: 's1', name: 'Voice' }, tags: ['a'] };

  it('replaces, removes on null, merges objects and replaces arrays, leaving the input alone', () => {
    const before = structuredClone(current);
    expect(mergePatch(current, { status: 'rated', usageType: null, usageSpecification: { name: 'Calls' }, tags: ['b', 'c'] })).toEqual({
      id: 'u1',
      status: 'rated',
      usageSpecification: { id: 's1', name: 'Calls' },
      tags: ['b', 'c'],
    });
    expect(current).toEqual(before);
  });

  it('refuses keys that reach a prototype', () => {
    expect(statusOf(() => mergePatch(current, JSON.parse('{"__proto__": {"polluted": true}}')))).toBe(400);
    expect(statusOf(() => mergePatch(current, { usageSpecification: { constructor: { prototype: 1 } } }))).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('JSON patch (RFC 6902)', () => {
  const current = { id: 'u1', status: 'initialized', usageCharacteristic: [{ name: 'a', value: 1 }], relatedParty: [] as unknown[] };

  it('applies add, remove, replace, move, copy and test in order', () => {
    expect(
      jsonPatch(current, [
        { op: 'test', path: '/status', value: 'initialized' },
        { op: 'replace', path: '/status', value: 'rated' },
        { op: 'add', path: '/usageCharacteristic/-', value: { name: 'b', value: 2 } },
        { op: 'add', path: '/usageCharacteristic/0', value: { name: 'z', value: 0 } },
        { op: 'remove', path: '/usageCharacteristic/1' },
        { op: 'copy', from: '/status', path: '/description' },
        { op: 'move', from: '/description', path: '/usageType' },
        { op: 'add', path: '/relatedParty/0', value: { role: 'customer' } },
      ]),
    ).toEqual({
      id: 'u1',
      status: 'rated',
      usageCharacteristic: [
        { name: 'z', value: 0 },
        { name: 'b', value: 2 },
      ],
      relatedParty: [{ role: 'customer' }],
      usageType: 'rated',
    });
    expect(current.status).toBe('initialized');
  });

  it.each([
    [{ op: 'replace', path: '/nope', value: 1 }, 400],
    [{ op: 'remove', path: '/usageCharacteristic/5' }, 400],
    [{ op: 'add', path: '/usageCharacteristic/01', value: 1 }, 400],
    [{ op: 'add', path: 'status', value: 1 }, 400],
    [{ op: 'add', path: '/__proto__/polluted', value: true }, 400],
    [{ op: 'shout', path: '/status' }, 400],
    [{ op: 'add', path: '/status' }, 400],
    [{ op: 'move', from: '/usageCharacteristic', path: '/usageCharacteristic/0' }, 400],
    [{ op: 'test', path: '/status', value: 'rated' }, 409],
  ])('refuses %j with %i', (operation, status) => {
    expect(statusOf(() => jsonPatch(current, [operation]))).toBe(status);
  });

  it('needs an array of operations', () => {
    expect(statusOf(() => jsonPatch(current, { op: 'add' }))).toBe(400);
  });
});

describe('deepEqual', () => {
  it('ignores key order and compares arrays by position', () => {
    expect(deepEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(deepEqual([1, 2], [2, 1])).toBe(false);
    expect(deepEqual({ a: undefined }, {})).toBe(false);
  });
});

describe('JSON Patch pointers', () => {
  // Found by tests/unit/patch-property.test.ts (seed 1573899528): an inherited member is not a member.
  it('name own members only: a pointer to an Object.prototype function does not exist', () => {
    for (const ops of [
      [{ op: 'copy', path: '', from: '/valueOf' }],
      [{ op: 'move', path: '/a', from: '/constructor' }],
      [{ op: 'remove', path: '/toString' }],
      [{ op: 'replace', path: '/hasOwnProperty', value: 1 }],
    ]) {
      expect(
        statusOf(() => jsonPatch({}, ops as never)),
        JSON.stringify(ops),
      ).toBe(400);
    }
  });
});
