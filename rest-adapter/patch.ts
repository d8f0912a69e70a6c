import { ErrorCode } from '../platform/errors.js';
import { badRequest, fromCode } from './errors.js';

/**
 * The two PATCH formats TMF635 accepts, applied to the resource's current TMF representation:
 * RFC 7396 JSON Merge Patch (application/merge-patch+json, and application/json) and RFC 6902
 * JSON Patch (application/json-patch+json). Both return a new value and never mutate their input;
 * keys that would reach an object's prototype are refused.
 */
type Json = unknown;
type JsonObject = Record<string, Json>;

const forbiddenKeys = new Set(['__proto__', 'constructor', 'prototype']);
const isObject = (value: Json): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);

function checkKey(key: string): void {
  if (forbiddenKeys.has(key)) throw badRequest(`Attribute name "${key}" is not allowed.`);
}

/** Every key of a value that replaces something whole (an array's objects included). */
function checkKeysDeep(value: Json): void {
  if (Array.isArray(value)) value.forEach(checkKeysDeep);
  else if (isObject(value)) {
    for (const [key, inner] of Object.entries(value)) {
      checkKey(key);
      checkKeysDeep(inner);
    }
  }
}

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) {
    checkKeysDeep(patch);
    return structuredClone(patch);
  }
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    checkKey(key);
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

interface Operation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: Json;
}

function parsePointer(pointer: string, name: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw badRequest(`JSON Patch ${name} "${pointer}" must be empty or start with "/".`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
      checkKey(key);
      return key;
    });
}

/**
 * The member `token` of `node`, its own members only: "/valueOf" or "/constructor" name nothing in a
 * JSON document (RFC 6901), not a function inherited from Object.prototype.
 */
function child(node: Json, token: string): Json {
  if (Array.isArray(node)) return Object.hasOwn(node, token) ? node[Number(token)] : undefined;
  return isObject(node) && Object.hasOwn(node, token) ? node[token] : undefined;
}

function parent(doc: Json, tokens: string[], pointer: string): { container: JsonObject | Json[]; key: string } {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    node = child(node, token);
    if (node === undefined) throw badRequest(`JSON Patch path "${pointer}" does not exist.`);
  }
  if (!isObject(node) && !Array.isArray(node)) throw badRequest(`JSON Patch path "${pointer}" does not exist.`);
  return { container: node, key: tokens[tokens.length - 1]! };
}

function arrayIndex(array: Json[], key: string, pointer: string, forAdd: boolean): number {
  if (forAdd && key === '-') return array.length;
  if (!/^(0|[1-9]\d*)$/.test(key)) throw badRequest(`JSON Patch path "${pointer}" has a bad array index.`);
  const index = Number(key);
  if (index > array.length || (!forAdd && index === array.length)) throw badRequest(`JSON Patch path "${pointer}" is out of range.`);
  return index;
}

function get(doc: Json, pointer: string): Json {
  let node = doc;
  for (const token of parsePointer(pointer, 'path')) {
    node = child(node, token);
    if (node === undefined) throw badRequest(`JSON Patch path "${pointer}" does not exist.`);
  }
  return node;
}

function remove(doc: Json, pointer: string): Json {
  const tokens = parsePointer(pointer, 'path');
  if (tokens.length === 0) throw badRequest('JSON Patch cannot remove the whole resource.');
  const { container, key } = parent(doc, tokens, pointer);
  if (Array.isArray(container)) return container.splice(arrayIndex(container, key, pointer, false), 1)[0];
  if (!Object.hasOwn(container, key)) throw badRequest(`JSON Patch path "${pointer}" does not exist.`);
  const value = container[key];
  delete container[key];
  return value;
}

function add(doc: Json, pointer: string, value: Json): Json {
  checkKeysDeep(value);
  const tokens = parsePointer(pointer, 'path');
  if (tokens.length === 0) return structuredClone(value);
  const { container, key } = parent(doc, tokens, pointer);
  if (Array.isArray(container)) container.splice(arrayIndex(container, key, pointer, true), 0, structuredClone(value));
  else container[key] = structuredClone(value);
  return doc;
}

export function jsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw badRequest('A JSON Patch body is an array of operations.');
  let doc = structuredClone(target);
  operations.forEach((raw, i) => {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw badRequest(`JSON Patch operation ${i} needs "op" and "path".`);
    }
    const op = raw as unknown as Operation;
    const needsValue = op.op === 'add' || op.op === 'replace' || op.op === 'test';
    if (needsValue && !('value' in raw)) throw badRequest(`JSON Patch operation ${i} (${op.op}) needs "value".`);
    if ((op.op === 'move' || op.op === 'copy') && typeof op.from !== 'string') throw badRequest(`JSON Patch operation ${i} (${op.op}) needs "from".`);
    switch (op.op) {
      case 'add':
        doc = add(doc, op.path, op.value);
        break;
      case 'remove':
        remove(doc, op.path);
        break;
      case 'replace':
        get(doc, op.path);
        if (op.path === '') {
          checkKeysDeep(op.value);
          doc = structuredClone(op.value);
        } else {
          remove(doc, op.path);
          doc = add(doc, op.path, op.value);
        }
        break;
      case 'move': {
        if (op.path.startsWith(`${op.from}/`)) throw badRequest(`JSON Patch operation ${i} moves "${op.from}" into itself.`);
        const value = remove(doc, op.from!);
        doc = add(doc, op.path, value);
        break;
      }
      case 'copy':
        doc = add(doc, op.path, get(doc, op.from!));
        break;
      case 'test':
        // A failed test is a precondition the resource no longer meets: 409, as RFC 5789 suggests.
        if (!deepEqual(get(doc, op.path), op.value)) {
          throw fromCode(ErrorCode.CONFLICT, `JSON Patch test at "${op.path}" failed: the resource has another value there.`);
        }
        break;
      default:
        throw badRequest(`JSON Patch operation ${i} has unknown op "${String(op.op)}".`);
    }
  });
  return doc;
}

/** Structural equality of JSON values (object key order does not matter). */
export function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}
