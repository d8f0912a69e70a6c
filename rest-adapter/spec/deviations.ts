import type { JsonObject } from './load.js';

/**
 * Where the validators knowingly differ from the TMF635 files, each as narrow as it can be. The
 * files stay as published (and so does the OpenAPI the adapter serves); a deviation changes one
 * schema location, after the dialect translation, and start-up fails if that location no longer
 * looks as expected, so a corrected specification makes someone drop the entry.
 */
export interface Deviation {
  version: 'v5' | 'v4';
  /** Path inside the document's named schemas: schema name, then keywords and property names. */
  at: readonly string[];
  /** What the file has there (the keys compared), to notice when the file changes. */
  expected: JsonObject;
  replacement: JsonObject;
  why: string;
}

export const deviations: readonly Deviation[] = [
  {
    version: 'v4',
    at: ['CharacteristicSpecification', 'properties', 'configurable'],
    expected: { type: 'boolean' },
    replacement: { description: 'Boolean; the strings "true" and "false" are accepted too.', enum: [true, false, 'true', 'false'] },
    why:
      "The specification's own UsageSpecification sample (v4/samples/UsageSpecification.example.1.json, " +
      'from the v4 user guide) sends `"configurable": "true"` in every specCharacteristic, and clients copy it. ' +
      'Accepting the two strings costs nothing (the facade does not store `configurable`) and rejects ' +
      'nothing the schema accepts.',
  },
];

const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Applies the deviations of one version to its translated schemas, in place. */
export function applyDeviations(version: 'v5' | 'v4', schemas: Record<string, JsonObject>): void {
  for (const deviation of deviations.filter((d) => d.version === version)) {
    const parentPath = deviation.at.slice(0, -1);
    const key = deviation.at[deviation.at.length - 1]!;
    const parent = parentPath.reduce<unknown>((node, part) => (isObject(node) ? node[part] : undefined), schemas);
    const current = isObject(parent) ? parent[key] : undefined;
    const unchanged = isObject(current) && Object.entries(deviation.expected).every(([k, v]) => JSON.stringify(current[k]) === JSON.stringify(v));
    if (!isObject(parent) || !unchanged) {
      throw new Error(
        `TMF635 ${version} no longer has ${JSON.stringify(deviation.expected)} at ${deviation.at.join('.')}: ` +
          'review the deviation in rest-adapter/spec/deviations.ts.',
      );
    }
    parent[key] = deviation.replacement;
  }
}
