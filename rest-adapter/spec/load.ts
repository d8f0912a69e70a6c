import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/**
 * The TMF635 specification files, read once and kept as published. Every schema the adapter
 * validates against and every OpenAPI document it serves comes from these two files; nothing
 * in this folder repeats a schema by hand.
 */

export const v5File = 'v5/TMF635-Product_Usage_Management-v5.0.0.oas.yaml';
export const v4File = 'v4/TMF635_Usage_Management_API_v4.0.0_swagger.json';

export type JsonObject = Record<string, unknown>;

/** TMF635 v5.0.0, OpenAPI 3.0.1. */
export interface V5Document extends JsonObject {
  openapi: string;
  paths: Record<string, JsonObject>;
  components: { schemas: Record<string, JsonObject> } & JsonObject;
}

/** TMF635 v4.0.0, Swagger 2.0. */
export interface V4Document extends JsonObject {
  swagger: string;
  paths: Record<string, JsonObject>;
  definitions: Record<string, JsonObject>;
}

export interface SpecDocuments {
  dir: string;
  v5: V5Document;
  v4: V4Document;
}

export class SpecLoadError extends Error {
  override name = 'SpecLoadError';
}

/** The copies the project ships (provenance and licence: tmf635/README.md beside this file). */
export const bundledSpecDir = fileURLToPath(new URL('tmf635', import.meta.url));

/**
 * Where the specification files live. The one reader of TMF635_SPEC_DIR: an absolute directory,
 * or one relative to the working directory, holding `v5/` and `v4/` as `tmf635/` beside this file
 * does (the default). Set it to validate against another release of the files.
 */
export function specDir(env: Record<string, string | undefined> = process.env): string {
  const configured = env.TMF635_SPEC_DIR;
  return configured ? path.resolve(configured) : bundledSpecDir;
}

function read(dir: string, file: string): string {
  const full = path.join(dir, file);
  try {
    return readFileSync(full, 'utf8');
  } catch (error) {
    throw new SpecLoadError(
      `Cannot read the TMF635 specification ${full} (${(error as Error).message}). Set TMF635_SPEC_DIR to the folder holding v5/ and v4/.`,
    );
  }
}

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

// The documents are shared by every caller (validators, served OpenAPI); freezing them makes a
// caller that edits one in place fail loudly instead of changing what everyone else sees.
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Reads and checks both files in `dir`; throws SpecLoadError naming the file that is wrong. */
export function readSpecDocuments(dir: string = specDir()): SpecDocuments {
  const v5 = parseYaml(read(dir, v5File)) as unknown;
  if (!isObject(v5) || typeof v5.openapi !== 'string' || !isObject(v5.paths) || !isObject(v5.components) || !isObject(v5.components.schemas)) {
    throw new SpecLoadError(`${path.join(dir, v5File)} is not an OpenAPI 3 document with paths and components.schemas.`);
  }
  let v4: unknown;
  try {
    v4 = JSON.parse(read(dir, v4File));
  } catch (error) {
    if (error instanceof SpecLoadError) throw error;
    throw new SpecLoadError(`${path.join(dir, v4File)} is not valid JSON (${(error as Error).message}).`);
  }
  if (!isObject(v4) || typeof v4.swagger !== 'string' || !isObject(v4.paths) || !isObject(v4.definitions)) {
    throw new SpecLoadError(`${path.join(dir, v4File)} is not a Swagger 2.0 document with paths and definitions.`);
  }
  return deepFreeze({ dir, v5: v5 as V5Document, v4: v4 as V4Document });
}

let loaded: SpecDocuments | undefined;

/** Both documents from specDir(), read on first use and then shared (frozen: copy before editing). */
export function specDocuments(): SpecDocuments {
  loaded ??= readSpecDocuments();
  return loaded;
}
