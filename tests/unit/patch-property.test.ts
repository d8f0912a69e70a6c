import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TmfError } from '../../rest-adapter/errors.js';
import { deepEqual, jsonPatch, mergePatch } from '../../rest-adapter/patch.js';

/** JSON as a parsed request body would hold it, with the keys an attacker tries (as own properties). */
const hostileKey = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', '$where', '$set', 'a.b', 'status', 'id'), fc.string({ maxLength: 8 }));
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ maxLength: 10 }),
    fc.array(tie('value'), { maxLength: 4 }),
    tie('object'),
  ),
  object: fc
    .array(fc.tuple(hostileKey, tie('value')), { maxLength: 5 })
    .map((entries) => JSON.parse(`{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`)),
})).value;
const object = json.filter((v): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v));

const hasForbiddenKey = (value: unknown): boolean =>
  value !== null &&
  typeof value === 'object' &&
  Object.keys(value).some((k) => ['__proto__', 'constructor', 'prototype'].includes(k) || hasForbiddenKey((value as Record<string, unknown>)[k]));
const pointer = fc
  .array(fc.oneof(hostileKey, fc.constantFrom('0', '1', '-', '~0', '~1', '99')), { maxLength: 3 })
  .map((tokens) => (tokens.length ? `/${tokens.join('/')}` : ''));
const operation = fc.record(
  {
    op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'delete', 42),
    path: fc.oneof(pointer, fc.constant('no-slash'), fc.constant(7)),
    from: pointer,
    value: json,
  },
  { requiredKeys: ['op', 'path'] },
);

const pristine = () => expect(({} as Record<string, unknown>).polluted).toBeUndefined();

describe('merge patch (RFC 7396) on hostile bodies', () => {
  it('refuses prototype keys with a 400, never mutates its inputs, and is idempotent', () => {
    fc.assert(
      fc.property(object, json, (target, patch) => {
        const [targetBefore, patchBefore] = [structuredClone(target), structuredClone(patch)];
        let result: unknown;
        try {
          result = mergePatch(target, patch);
        } catch (error) {
          expect(error).toBeInstanceOf(TmfError);
          expect((error as TmfError).status).toBe(400);
          expect(hasForbiddenKey(patch)).toBe(true);
          return;
        }
        expect(hasForbiddenKey(patch)).toBe(false);
        expect(deepEqual(target, targetBefore) && deepEqual(patch, patchBefore)).toBe(true);
        expect(deepEqual(mergePatch(result, patch), result)).toBe(true);
        pristine();
      }),
      { numRuns: 3_000 },
    );
  });
});

describe('JSON Patch (RFC 6902) on hostile operations', () => {
  it('applies or refuses with a TMF error (400, or 409 for a failed test), never mutates the target or a prototype', () => {
    fc.assert(
      fc.property(object, fc.oneof(fc.array(operation, { maxLength: 5 }), json), (target, operations) => {
        const before = structuredClone(target);
        try {
          const result = jsonPatch(target, operations);
          // What the patch adds is checked like a merge patch: no prototype keys anywhere.
          if (!hasForbiddenKey(target)) expect(hasForbiddenKey(result)).toBe(false);
        } catch (error) {
          expect(error).toBeInstanceOf(TmfError);
          expect([400, 409]).toContain((error as TmfError).status);
        }
        expect(deepEqual(target, before)).toBe(true);
        pristine();
        expect(Object.prototype).not.toHaveProperty('value');
      }),
      { numRuns: 3_000 },
    );
  });
});
