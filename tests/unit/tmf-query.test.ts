import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseListQuery, TmfQueryError, type FieldCatalogue, type ListQuery } from '../../rest-adapter/tmf-query.js';

const v5Statuses = ['initialized', 'rejected', 'validated', 'rated', 'corrected', 'superseded', 'notRated', 'failed'];

// A v5 productUsage catalogue as the facade would declare it; the graph names @type as `type` and
// keeps v4 statuses too, so a v5 status may stand for several stored ones.
const catalogue: FieldCatalogue = {
  id: { path: 'id', type: 'string' },
  href: { path: 'href', type: 'string', filterable: false, sortable: false },
  '@type': { path: 'type', type: 'string' },
  status: {
    path: 'status',
    type: 'string',
    enumValues: v5Statuses,
    translate: (v) => ({ initialized: ['initialized', 'received'], rated: ['rated', 'rerated', 'billed'] })[v] ?? [v],
  },
  creationDate: { path: 'creationDate', type: 'dateTime' },
  lastUpdate: { path: 'lastUpdate', type: 'dateTime' },
  usageType: { path: 'usageType', type: 'string' },
  description: { path: 'description', type: 'string', filterable: false },
  'relatedParty.id': { path: 'relatedParty.partyOrPartyRole.id', type: 'string', sortable: false },
  'relatedParty.role': { path: 'relatedParty.role', type: 'string', sortable: false },
  'usageSpecification.id': { path: 'usageSpecification.id', type: 'string' },
  'usageSpecification.name': { path: 'usageSpecification.name', type: 'string' },
  'product.id': { path: 'product.id', type: 'string' },
  'usageProductPrice.price.dutyFreeAmount.value': { path: 'usageProductPrice.price.dutyFreeAmount.value', type: 'number', sortable: false },
  // Not a v5 attribute, but the store holds v4 ratings too; it gives the catalogue a boolean.
  'ratedProductUsage.isBilled': { path: 'ratedProductUsage.isBilled', type: 'boolean', sortable: false },
};
const paging = { defaultSize: 20, maxSize: 1000 };

const parse = (query: string | [string, string][]) => parseListQuery(new URLSearchParams(query), catalogue, paging);
const base: ListQuery = { fields: null, offset: 0, limit: 20, sort: [], conditions: [] };

/** The TmfQueryError a query raises, as { parameter, message }; fails the test on any other outcome. */
function errorOf(query: string | [string, string][]): { parameter: string; message: string } {
  try {
    parse(query);
  } catch (error) {
    expect(error).toBeInstanceOf(TmfQueryError);
    const { parameter, message } = error as TmfQueryError;
    return { parameter, message };
  }
  throw new Error(`expected ${JSON.stringify(query)} to be refused`);
}

describe('parseListQuery: paging and defaults', () => {
  it('answers the defaults for an empty query', () => {
    expect(parse('')).toEqual(base);
  });

  it('reads offset and limit', () => {
    expect(parse('offset=0&limit=1')).toEqual({ ...base, offset: 0, limit: 1 });
    expect(parse('offset=40&limit=1000')).toEqual({ ...base, offset: 40, limit: 1000 });
  });

  it('names the parameter and the expectation in every paging error', () => {
    expect(errorOf('limit=abc')).toEqual({ parameter: 'limit', message: 'Parameter "limit" must be an integer from 1 to 1000; got "abc".' });
    for (const limit of ['0', '1001', '-1', '1.5', ' 5', '1e2']) expect(errorOf(`limit=${encodeURIComponent(limit)}`).parameter).toBe('limit');
    expect(errorOf('offset=-1')).toEqual({ parameter: 'offset', message: 'Parameter "offset" must be an integer of 0 or more; got "-1".' });
    for (const offset of ['abc', '2.5', '99999999999999999999']) expect(errorOf(`offset=${offset}`).parameter).toBe('offset');
  });

  it.each(['offset', 'limit', 'fields', 'sort'])('refuses %s when empty', (name) => {
    expect(errorOf(`${name}=`)).toEqual({ parameter: name, message: `Parameter "${name}" needs a value.` });
  });

  it.each(['offset', 'limit', 'sort'])('refuses %s when repeated', (name) => {
    const once = { offset: '1', limit: '1', sort: 'id' }[name];
    expect(errorOf(`${name}=${once}&${name}=${once}`)).toEqual({ parameter: name, message: `Parameter "${name}" may be given only once.` });
  });

  it('reads repeated fields as the union of their lists', () => {
    expect(parse('fields=status,id&fields=id,creationDate').fields).toEqual(['status', 'id', 'creationDate']);
    expect(errorOf('fields=status&fields=').parameter).toBe('fields');
  });
});

describe('parseListQuery: fields and sort', () => {
  it('accepts catalogue keys, their dotted prefixes and the markers; drops repeats', () => {
    expect(parse('fields=status,relatedParty,usageProductPrice.price,relatedParty.id,href,@baseType,status').fields).toEqual([
      'status',
      'relatedParty',
      'usageProductPrice.price',
      'relatedParty.id',
      'href',
      '@baseType',
    ]);
  });

  it('refuses unknown and empty field names', () => {
    expect(errorOf('fields=status,nope')).toEqual({ parameter: 'fields', message: 'Parameter "fields" names an unknown attribute "nope".' });
    expect(errorOf('fields=relatedPar').parameter).toBe('fields'); // a prefix is whole segments only
    expect(errorOf('fields=relatedParty.').parameter).toBe('fields');
    expect(errorOf('fields=__proto__').parameter).toBe('fields');
    expect(errorOf('fields=status,,id').message).toMatch(/no empty entries; got "status,,id"/);
  });

  it('reads directions: "-" descending, "+" (or its form-decoded space) and nothing ascending', () => {
    expect(parse('sort=-creationDate,%2Bid,usageType, lastUpdate').sort).toEqual([
      { path: 'creationDate', direction: 'DESC' },
      { path: 'id', direction: 'ASC' },
      { path: 'usageType', direction: 'ASC' },
      { path: 'lastUpdate', direction: 'ASC' },
    ]);
    expect(parse('sort=+@type').sort).toEqual([{ path: 'type', direction: 'ASC' }]);
  });

  it.each([
    ['sort=nope', 'Parameter "sort" names an unknown attribute "nope".'],
    ['sort=constructor', 'Parameter "sort" names an unknown attribute "constructor".'],
    ['sort=relatedParty.id', 'Parameter "sort" cannot order by "relatedParty.id".'],
    ['sort=creationDate,-creationDate', 'Parameter "sort" names "creationDate" more than once.'],
    ['sort=id,id', 'Parameter "sort" names "id" more than once.'],
    ['sort=-', 'Parameter "sort" must be a comma-separated list of attribute names, each optionally prefixed by "-" (descending); got "-".'],
    ['sort=id,,status', 'Parameter "sort" must be a comma-separated list of attribute names, each optionally prefixed by "-" (descending); got "id,,status".'],
    ['sort=--id', 'Parameter "sort" names an unknown attribute "-id".'],
  ])('refuses %s', (query, message) => {
    expect(errorOf(query)).toEqual({ parameter: 'sort', message });
  });
});

describe('parseListQuery: attribute filters', () => {
  it('translates a realistic query, conditions in parameter order', () => {
    const query =
      'status=rated,failed&creationDate.gte=2026-01-01T00:00:00Z&relatedParty.id=p1&creationDate.lt=2026-02-01' +
      '&fields=status,relatedParty&offset=10&limit=50&sort=-creationDate&usageSpecification.id.eq=s1';
    expect(parse(query)).toEqual({
      fields: ['status', 'relatedParty'],
      offset: 10,
      limit: 50,
      sort: [{ path: 'creationDate', direction: 'DESC' }],
      conditions: [
        { path: 'status', op: 'eq', values: ['rated', 'rerated', 'billed', 'failed'] },
        { path: 'creationDate', op: 'gte', values: ['2026-01-01T00:00:00.000Z'] },
        { path: 'relatedParty.partyOrPartyRole.id', op: 'eq', values: ['p1'] },
        { path: 'creationDate', op: 'lt', values: ['2026-02-01T00:00:00.000Z'] },
        { path: 'usageSpecification.id', op: 'eq', values: ['s1'] },
      ],
    });
  });

  it('keeps repeated equality filters as separate conditions (AND of ORs) and drops repeated values', () => {
    expect(parse('usageType=voice,data&usageType=data,voice,data&@type=ProductUsage').conditions).toEqual([
      { path: 'usageType', op: 'eq', values: ['voice', 'data'] },
      { path: 'usageType', op: 'eq', values: ['data', 'voice'] },
      { path: 'type', op: 'eq', values: ['ProductUsage'] },
    ]);
  });

  it('reads every range operator on dates, numbers and strings', () => {
    expect(parse('lastUpdate.gt=2026-01-01T10:00:00Z&usageProductPrice.price.dutyFreeAmount.value.lte=-1.5e2&id.lt=m').conditions).toEqual([
      { path: 'lastUpdate', op: 'gt', values: ['2026-01-01T10:00:00.000Z'] },
      { path: 'usageProductPrice.price.dutyFreeAmount.value', op: 'lte', values: [-150] },
      { path: 'id', op: 'lt', values: ['m'] },
    ]);
  });

  it.each([
    [
      'creationDate.gte=2026-01-01,2026-02-01',
      'creationDate.gte',
      'takes exactly one value; a comma list (OR) is only for creationDate=a,b; got "2026-01-01,2026-02-01"',
    ],
    ['status.gt=rated', 'status.gt', 'cannot be compared with gt; "status" takes only status=value'],
    [
      'ratedProductUsage.isBilled.lt=true',
      'ratedProductUsage.isBilled.lt',
      'cannot be compared with lt; "ratedProductUsage.isBilled" takes only ratedProductUsage.isBilled=value',
    ],
    ['status.ne=rated', 'status.ne', 'uses an unknown operator "ne"; use eq, gt, gte, lt, lte'],
    ['status=paid', 'status', 'must be one of initialized, rejected, validated, rated, corrected, superseded, notRated, failed; got "paid"'],
    ['status=rated,,failed', 'status', 'needs a non-empty value (a comma list may not have empty entries)'],
    ['usageType=', 'usageType', 'needs a non-empty value (a comma list may not have empty entries)'],
    ['description=x', 'description', 'cannot be used as a filter: "description" is not filterable'],
    ['href=x', 'href', 'cannot be used as a filter: "href" is not filterable'],
    ['nope=1', 'nope', 'is not a known attribute or query parameter of this resource'],
    ['Status=rated', 'Status', 'is not a known attribute or query parameter of this resource'],
    ['constructor=x', 'constructor', 'is not a known attribute or query parameter of this resource'],
    ['__proto__=x', '__proto__', 'is not a known attribute or query parameter of this resource'],
    ['toString.gt=x', 'toString.gt', 'is not a known attribute or query parameter of this resource'],
    ['filter=attachment', 'filter', 'is not supported (JSONPath); filter with attribute parameters such as status=rated'],
    ['after=abc', 'after', 'is not supported here (cursor paging); page with offset and limit'],
  ])('refuses %s', (query, parameter, expectation) => {
    expect(errorOf(query)).toEqual({ parameter, message: `Parameter "${parameter}" ${expectation}.` });
  });

  describe('with cursors (v5 productUsage)', () => {
    const withCursors = (query: string) => parseListQuery(new URLSearchParams(query), catalogue, paging, { cursors: true });
    const refusal = (query: string) => {
      try {
        withCursors(query);
      } catch (error) {
        if (error instanceof TmfQueryError) return { parameter: error.parameter, message: error.message };
        throw error;
      }
      throw new Error(`accepted ${query}`);
    };

    it('takes after or before as opaque text beside the other parameters', () => {
      expect(withCursors('after=eyJzIjoiIn0&limit=5&status=rated')).toMatchObject({ after: 'eyJzIjoiIn0', limit: 5, offset: 0 });
      expect(withCursors('before=abc_-9')).toMatchObject({ before: 'abc_-9' });
    });

    it.each([
      ['after=a&before=b', 'before', 'cannot be combined with after'],
      ['after=a&offset=10', 'offset', 'cannot be combined with after or before: a cursor says where the page starts'],
      ['after=a&after=b', 'after', 'may be given only once'],
      ['after=', 'after', 'needs a value'],
      ['before=not%20a%20cursor', 'before', 'must be a cursor from a Link header of this list; got "not a cursor"'],
    ])('refuses %s', (query, parameter, expectation) => {
      expect(refusal(query)).toEqual({ parameter, message: `Parameter "${parameter}" ${expectation}.` });
    });
  });

  it('applies translate after the enum check and ORs what it answers', () => {
    expect(parse('status=initialized').conditions).toEqual([{ path: 'status', op: 'eq', values: ['initialized', 'received'] }]);
    expect(errorOf('status=received').message).toMatch(/must be one of .*got "received"/);
  });
});

describe('parseListQuery: value types', () => {
  const dateOf = (value: string) => parse([['creationDate', value]]).conditions[0]?.values;
  it.each([
    ['2026-01-31T10:00:00Z', '2026-01-31T10:00:00.000Z'],
    ['2026-01-31t10:00:00.5z', '2026-01-31T10:00:00.500Z'],
    ['2026-01-31T10:00:00.123456789Z', '2026-01-31T10:00:00.123Z'],
    ['2026-01-31T10:00:00+02:00', '2026-01-31T08:00:00.000Z'],
    ['2026-01-31T10:00:00 02:00', '2026-01-31T08:00:00.000Z'], // "+02:00" sent unencoded
    ['2026-12-31T23:30:00-01:00', '2027-01-01T00:30:00.000Z'],
    ['2026-01-31', '2026-01-31T00:00:00.000Z'],
    ['2028-02-29', '2028-02-29T00:00:00.000Z'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
    ['0099-01-01', '0099-01-01T00:00:00.000Z'],
  ])('normalises the date-time %s to %s', (value, expected) => {
    expect(dateOf(value)).toEqual([expected]);
  });

  it.each([
    '2026-02-30',
    '2025-02-29',
    '1900-02-29',
    '2026-04-31',
    '2026-13-01',
    '2026-00-10',
    '2026-01-00',
    '2026-01-31T24:00:00Z',
    '2026-01-31T10:60:00Z',
    '2026-01-31T10:00:60Z',
    '2026-01-31T10:00:00',
    '2026-01-31T10:00Z',
    '2026-01-31 10:00:00Z',
    '2026-01-31T10:00:00+24:00',
    '2026-1-31',
    '26-01-31',
    'yesterday',
    '1767225600',
    '9999-12-31T23:00:00-02:00',
    '２０２６-01-31',
  ])('refuses the date-time %s', (value) => {
    expect(errorOf([['creationDate', value]])).toEqual({
      parameter: 'creationDate',
      message: `Parameter "creationDate" must be an ISO 8601 date-time with a time zone (2026-01-31T10:00:00Z) or a date (2026-01-31, midnight UTC) that exists; got ${JSON.stringify(value)}.`,
    });
  });

  const amount = 'usageProductPrice.price.dutyFreeAmount.value';
  it('reads finite decimal numbers and refuses everything else', () => {
    expect(parse([[amount, '12,-0.5,.25,1e3']]).conditions[0]?.values).toEqual([12, -0.5, 0.25, 1000]);
    for (const bad of ['abc', '1e999', '0x10', 'NaN', 'Infinity', '1.', '+1', ' 1', '1_000', '１']) {
      expect(errorOf([[amount, bad]]).message).toBe(`Parameter "${amount}" must be a finite decimal number such as 12 or -0.5; got ${JSON.stringify(bad)}.`);
    }
  });

  it('reads booleans spelt true or false', () => {
    expect(parse('ratedProductUsage.isBilled=true,false').conditions[0]?.values).toEqual([true, false]);
    for (const bad of ['TRUE', 'yes', '1']) expect(errorOf(`ratedProductUsage.isBilled=${bad}`).message).toMatch(/must be true or false/);
  });

  it('accepts strings up to 1024 characters (code points) without control characters', () => {
    const emoji = '😀'.repeat(1024); // 2048 UTF-16 units, 1024 characters
    expect(parse([['usageType', emoji]]).conditions[0]?.values).toEqual([emoji]);
    expect(parse([['usageType', 'Ünïcødé {not json ]']]).conditions[0]?.values).toEqual(['Ünïcødé {not json ]']);
    for (const bad of ['x'.repeat(1025), 'a\u0000b', 'tab\there', 'new\nline', 'c1\u0085']) {
      expect(errorOf([['usageType', bad]]).message).toMatch(
        /^Parameter "usageType" must be a text of at most 1024 characters without control characters; got ".*"\.$/s,
      );
    }
  });
});

describe('parseListQuery: a query parameter is data, never a database operator', () => {
  it.each([
    ['status[$ne]=x', 'status[$ne]'],
    ['status[ne]=x', 'status[ne]'],
    ['status]=x', 'status]'],
    ['$where=1', '$where'],
    ['status.$gt=x', 'status.$gt'],
  ])('refuses the name in %s', (query, parameter) => {
    expect(errorOf(query)).toEqual({
      parameter,
      message: `Parameter ${JSON.stringify(parameter)} is not allowed: parameter names may not contain "[", "]" or "$" (a query parameter is data, never a database operator).`,
    });
  });

  it.each([
    ['usageType', '$ne'],
    ['usageType', 'voice,$where'],
    ['usageType', '{"$gt":""}'],
    ['status', '{"$ne":"rated"}'],
    ['id', '["a","b"]'],
    ['usageType', '[]'],
    ['fields', '$status'],
    ['sort', '{"id":1}'],
  ])('refuses %s=%s', (name, value) => {
    expect(errorOf([[name, value]]).message).toBe(
      `Parameter "${name}" must be plain data, not a database operator or JSON document (no leading "$", "{" or "["); got ${JSON.stringify(value)}.`,
    );
  });

  it('keeps "$" inside a value and brackets that are not JSON as plain text', () => {
    expect(parse([['usageType', 'a$b,{x},[y']]).conditions[0]?.values).toEqual(['a$b', '{x}', '[y']);
  });
});

describe('parseListQuery properties', () => {
  const keys = Object.keys(catalogue);
  const paths = new Set(Object.values(catalogue).map((spec) => spec.path));
  const text = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 12 }),
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.string({ unit: fc.constantFrom('$', '[', ']', '{', '}', '"', ',', '.', '-', '+', ' ', 'a', '1', ':', 'T', 'Z'), maxLength: 12 }),
  );
  const name = fc.oneof(
    fc.constantFrom(...keys, 'fields', 'offset', 'limit', 'sort', 'filter', '$where', 'status[$ne]', '__proto__', 'constructor'),
    fc.tuple(fc.constantFrom(...keys), fc.constantFrom('eq', 'gt', 'gte', 'lt', 'lte', 'ne', '$gt', '')).map(([k, op]) => `${k}.${op}`),
    text,
  );
  const value = fc.oneof(
    text,
    fc.json({ maxDepth: 2 }),
    fc.constantFrom(...v5Statuses, ...keys, 'true', 'false', '12', '-0.5', '2026-02-30', '2026-01-31T10:00:00Z', '-creationDate,id'),
    fc.array(fc.constantFrom(...v5Statuses, ...keys, '2026-01-31', '1e3', '', '$ne'), { minLength: 1, maxLength: 3 }).map((parts) => parts.join(',')),
    fc.integer({ min: -5, max: 2000 }).map(String),
  );
  const typeOf = (path: string) => Object.values(catalogue).find((spec) => spec.path === path)?.type;
  const isTyped = (path: string, v: unknown) => {
    switch (typeOf(path)) {
      case 'dateTime':
        return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v) && new Date(v).toISOString() === v;
      case 'number':
        return typeof v === 'number' && Number.isFinite(v);
      case 'boolean':
        return typeof v === 'boolean';
      case 'string':
        return typeof v === 'string' && v.length > 0 && [...v].length <= 1024 && !/\p{Cc}/u.test(v);
      default:
        return false;
    }
  };

  it('throws nothing but TmfQueryError, and a success names only catalogue paths with typed values', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(name, value), { maxLength: 4 }), (entries) => {
        let query: ListQuery;
        try {
          query = parseListQuery(new URLSearchParams(entries), catalogue, paging);
        } catch (error) {
          expect(error).toBeInstanceOf(TmfQueryError);
          expect(entries.map(([n]) => n)).toContain((error as TmfQueryError).parameter);
          return;
        }
        expect(query.offset).toBeGreaterThanOrEqual(0);
        expect(query.limit >= 1 && query.limit <= paging.maxSize).toBe(true);
        for (const condition of query.conditions) {
          expect(paths.has(condition.path)).toBe(true);
          expect(condition.values.length).toBeGreaterThan(0);
          for (const v of condition.values) expect(isTyped(condition.path, v)).toBe(true);
        }
        for (const { path } of query.sort) expect(paths.has(path)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  // Valid queries, so the success branch above is not left to luck.
  const dateTime = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());
  const filter = fc.oneof(
    fc.tuple(fc.constantFrom('creationDate', 'lastUpdate'), fc.constantFrom('', '.gt', '.gte', '.lt', '.lte'), dateTime),
    fc.tuple(
      fc.constant('usageProductPrice.price.dutyFreeAmount.value'),
      fc.constantFrom('', '.gt', '.lte'),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    ),
    fc.tuple(
      fc.constantFrom('usageType', 'relatedParty.id', 'id'),
      fc.constantFrom('', '.eq'),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter((s) => !/[,\p{Cc}]/u.test(s) && !/^[$[{]/.test(s)),
    ),
    fc.tuple(fc.constant('status'), fc.constant(''), fc.constantFrom(...v5Statuses)),
  );

  it('parses every well-formed filter into one condition with its value typed', () => {
    fc.assert(
      fc.property(fc.array(filter, { minLength: 1, maxLength: 5 }), (filters) => {
        const query = parseListQuery(new URLSearchParams(filters.map(([k, op, v]) => [`${k}${op}`, v])), catalogue, paging);
        expect(query.conditions.map((c) => [c.path, c.op])).toEqual(
          filters.map(([k, op]) => [catalogue[k]?.path, op === '' || op === '.eq' ? 'eq' : op.slice(1)]),
        );
        query.conditions.forEach((condition, i) => {
          const [k, , v] = filters[i]!;
          const expected = catalogue[k]?.type === 'number' ? Number(v) : k === 'status' ? catalogue.status!.translate!(v) : v;
          expect(condition.values).toEqual(Array.isArray(expected) ? expected : [expected]);
        });
      }),
      { numRuns: 1000 },
    );
  });
});
