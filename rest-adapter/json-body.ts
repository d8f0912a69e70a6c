import { ErrorCode } from '../platform/errors.js';
import { badRequest, fromCode } from './errors.js';

/** Deeper than any TMF resource (a few levels) with room for characteristic values (the graph allows 32). */
export const MAX_BODY_DEPTH = 64;

/**
 * Nesting depth of a JSON text, counted without parsing or recursion: an attacker's 100,000 nested
 * arrays must not reach the recursive code behind the parser (schema validation, patching,
 * cloning), where they would overflow the stack.
 */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return false;
}

/**
 * Why a parsed body is refused before anything else looks at it, or null. Iterative, like the depth
 * check. Lists are bounded because schema validation reports every failing item: a 50,000-item
 * array of wrong items kept the process busy for 25 s (found by tests/integration/hostile.test.ts).
 */
export function bodyProblem(
  value: unknown,
  maxListItems: number,
): { code: typeof ErrorCode.BAD_USER_INPUT | typeof ErrorCode.PAYLOAD_TOO_LARGE; message: string } | null {
  const stack: unknown[] = [value];
  while (stack.length) {
    const item = stack.pop();
    if (typeof item === 'number' && !Number.isFinite(item)) {
      return { code: ErrorCode.BAD_USER_INPUT, message: 'The body holds a number too large to represent (JSON numbers must be finite doubles).' };
    }
    if (Array.isArray(item) && item.length > maxListItems) {
      return { code: ErrorCode.PAYLOAD_TOO_LARGE, message: `The body holds a list of ${item.length} items; at most ${maxListItems} are accepted.` };
    }
    if (item !== null && typeof item === 'object') {
      for (const [key, inner] of Object.entries(item)) {
        // No TMF or UTS attribute starts with "$"; such a key is an operator injection attempt, even
        // where it would do nothing (a merge patch's "$where": null removes an attribute that is not there).
        if (key.startsWith('$'))
          return {
            code: ErrorCode.BAD_USER_INPUT,
            message: `Attribute name ${JSON.stringify(key.slice(0, 40))} is not allowed: names may not start with "$".`,
          };
        stack.push(inner);
      }
    }
  }
  return null;
}

type Done = (error: Error | null, value?: unknown) => void;
type Parser = (request: unknown, body: string | Buffer, done: Done) => void;

/**
 * Wraps the framework's JSON parser (which refuses __proto__ and constructor keys): a body nested
 * deeper than MAX_BODY_DEPTH or with a number outside the double range is a 400, with a list longer
 * than `maxListItems` a 413, each naming why: never a crash, a stall, or a number silently sent on as null.
 */
export function checkedJsonParser(parse: Parser, maxListItems: number): Parser {
  return (request, body, done) => {
    if (jsonDepthExceeds(String(body), MAX_BODY_DEPTH)) return done(badRequest(`The body is nested deeper than ${MAX_BODY_DEPTH} levels.`));
    parse(request, body, (error, value) => {
      if (error) return done(error);
      const problem = bodyProblem(value, maxListItems);
      if (problem) return done(fromCode(problem.code, problem.message));
      done(null, value);
    });
  };
}
