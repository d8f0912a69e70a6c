import { badRequest } from './errors.js';

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

/** The first number that JSON could write but JavaScript cannot hold (1e400 parses as Infinity). */
export function hasNonFinite(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length) {
    const item = stack.pop();
    if (typeof item === 'number' && !Number.isFinite(item)) return true;
    if (item !== null && typeof item === 'object') stack.push(...Object.values(item));
  }
  return false;
}

type Done = (error: Error | null, value?: unknown) => void;
type Parser = (request: unknown, body: string | Buffer, done: Done) => void;

/**
 * Wraps the framework's JSON parser (which refuses __proto__ and constructor keys): a body nested
 * deeper than MAX_BODY_DEPTH, or with a number outside the double range, is a 400 naming why,
 * never a crash or a number silently sent on as null.
 */
export function checkedJsonParser(parse: Parser): Parser {
  return (request, body, done) => {
    if (jsonDepthExceeds(String(body), MAX_BODY_DEPTH)) return done(badRequest(`The body is nested deeper than ${MAX_BODY_DEPTH} levels.`));
    parse(request, body, (error, value) => {
      if (error) return done(error);
      if (hasNonFinite(value)) return done(badRequest('The body holds a number too large to represent (JSON numbers must be finite doubles).'));
      done(null, value);
    });
  };
}
