import type { ListQuery } from '../tmf-query.js';

/**
 * Graph paths that hold any JSON scalar (a characteristic's value). A query parameter is always
 * text, so `usageCharacteristic.value=12` also matches the number 12, and `true`/`false` the booleans.
 */
const scalarPaths = new Set(['usageCharacteristic.value']);

function scalarForms(value: string | number | boolean): (string | number | boolean)[] {
  if (typeof value !== 'string') return [value];
  const forms: (string | number | boolean)[] = [value];
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value) && Number.isFinite(Number(value))) forms.push(Number(value));
  if (value === 'true' || value === 'false') forms.push(value === 'true');
  return forms;
}

/** A parsed TMF list query as the graph's generic filter, sort and page arguments. */
export function graphListArguments(query: ListQuery) {
  return {
    filter: query.conditions.length
      ? {
          where: query.conditions.map(({ path, op, values }) => ({
            path,
            op,
            values: scalarPaths.has(path) && op === 'eq' ? values.flatMap(scalarForms) : values,
          })),
        }
      : null,
    sort: query.sort.length ? query.sort.map(({ path, direction }) => ({ path, direction })) : null,
    offset: query.offset,
    limit: query.limit,
    ...(query.after !== undefined ? { after: query.after } : {}),
    ...(query.before !== undefined ? { before: query.before } : {}),
  };
}
