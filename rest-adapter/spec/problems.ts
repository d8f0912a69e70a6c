import type { ErrorObject } from 'ajv';

/** One reason a body does not match its schema, worded for a TMF error body's `message`. */
export interface SchemaProblem {
  /** JSON pointer to the offending value, or to the missing property (`/usageSpecification/id`). */
  field: string;
  /** Names the field: `usageSpecification: must have required property 'id'`. */
  message: string;
}

const unescape = (segment: string) => segment.replace(/~1/g, '/').replace(/~0/g, '~');
const escape = (name: string) => name.replace(/~/g, '~0').replace(/\//g, '~1');

/** `/relatedParty/0/partyOrPartyRole` as a reader writes it: `relatedParty[0].partyOrPartyRole`. */
function label(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map(unescape)
    .reduce((out, part) => (/^\d+$/.test(part) ? `${out}[${part}]` : out ? `${out}.${part}` : part), '');
}

function detail(error: ErrorObject): { field: string; text: string } {
  const params = error.params as Record<string, unknown>;
  const text = error.message ?? `fails "${error.keyword}"`;
  switch (error.keyword) {
    case 'required':
      return { field: `${error.instancePath}/${escape(String(params.missingProperty))}`, text };
    case 'additionalProperties':
      return { field: `${error.instancePath}/${escape(String(params.additionalProperty))}`, text: `${text}: '${String(params.additionalProperty)}'` };
    case 'enum':
      return { field: error.instancePath, text: `${text}: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'const':
      return { field: error.instancePath, text: `${text}: ${JSON.stringify(params.allowedValue)}` };
    default:
      return { field: error.instancePath, text };
  }
}

/**
 * ajv's errors as problems, in ajv's order, each once. allOf chains (Entity, Extensible, ...) and
 * discriminator dispatch reach some checks twice, which would otherwise repeat a message. The
 * dispatch's own "must match "then" schema" is left out: the errors inside it say what is wrong.
 */
export function toProblems(errors: readonly ErrorObject[] | null | undefined): SchemaProblem[] {
  const seen = new Set<string>();
  const problems: SchemaProblem[] = [];
  for (const error of errors ?? []) {
    if (error.keyword === 'if') continue;
    const { field, text } = detail(error);
    const where = label(error.instancePath);
    const message = where ? `${where}: ${text}` : text;
    const key = `${field}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ field, message });
  }
  return problems;
}
