import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { describe, expect, it } from 'vitest';
import { badUserInput, createErrorFormatter } from '../../platform/errors.js';
import { DateTime } from '../../subgraphs/shared/scalars.js';
import { jitExecution, oncePerRequest } from '../../subgraphs/shared/jit-execution.js';

/**
 * jitExecution through Apollo's real request pipeline (executeOperation runs the plugins): the
 * compiled answer equals graphql-js's, only the named root fields are compiled, and an answer with
 * errors is Apollo's, formatted by the project's formatter, with the root resolver run once.
 */
const typeDefs = /* GraphQL */ `
  scalar DateTime
  scalar JSON
  type Group {
    dimension: String!
    value: JSON
  }
  type Row {
    windowStart: DateTime!
    groups: [Group!]!
    value: Float!
  }
  type Meter {
    rows: [Row!]!
  }
  type Query {
    meter(size: Int!, fail: Boolean): Meter!
    other: String
  }
`;

/** Apollo copies the context object it is given (once per operation), so the count is held by reference. */
interface Context {
  counter: { calls: number };
}

const rowsOf = (size: number) =>
  Array.from({ length: size }, (_, i) => ({
    windowStart: new Date(Date.UTC(2026, 10, 1, i % 24)),
    groups: [
      { dimension: 'STATUS', value: i % 3 ? 'rated' : null },
      { dimension: 'CHARACTERISTIC', value: { nested: [i, true] } },
    ],
    value: i / 7,
  }));

function server(compiled: boolean) {
  const schema = makeExecutableSchema<Context>({
    typeDefs,
    resolvers: {
      DateTime,
      Query: {
        meter: oncePerRequest(async (_root: unknown, args: { size: number; fail?: boolean }, context: Context) => {
          context.counter.calls += 1;
          if (args.fail) throw badUserInput('Too many windows.', 'input.windowSize');
          return { rows: rowsOf(args.size) };
        }),
        other: () => 'other',
      },
    },
  });
  const executed: string[] = [];
  const seen: ApolloServerPlugin<Context> = {
    async requestDidStart() {
      return {
        async executionDidStart({ operationName }) {
          executed.push(operationName ?? '');
        },
      };
    },
  };
  const apollo = new ApolloServer<Context>({
    schema,
    plugins: [seen, ...(compiled ? [jitExecution<Context>(schema, new Set(['meter']))] : [])],
    formatError: createErrorFormatter(() => {}),
  });
  return { apollo, executed };
}

async function run(compiled: boolean, query: string, operationName: string) {
  const { apollo, executed } = server(compiled);
  await apollo.start();
  try {
    const context: Context = { counter: { calls: 0 } };
    const response = await apollo.executeOperation({ query, operationName }, { contextValue: context });
    if (response.body.kind !== 'single') throw new Error('not a single result');
    return { result: JSON.parse(JSON.stringify(response.body.singleResult)) as unknown, executed, calls: context.counter.calls };
  } finally {
    await apollo.stop();
  }
}

describe('jitExecution', () => {
  const meter = 'query Meter { meter(size: 500) { rows { windowStart value groups { dimension value } } } }';

  it('answers a compiled root field as graphql-js does, without Apollo executing it', async () => {
    const jit = await run(true, meter, 'Meter');
    const plain = await run(false, meter, 'Meter');
    expect(jit.result).toEqual(plain.result);
    expect((jit.result as { data: { meter: { rows: unknown[] } } }).data.meter.rows).toHaveLength(500);
    expect(jit.executed).toEqual([]);
    expect(plain.executed).toEqual(['Meter']);
    expect(jit.calls).toBe(1);
  });

  it('leaves other operations to Apollo', async () => {
    const mixed = await run(true, 'query Mixed { other meter(size: 2) { rows { value } } }', 'Mixed');
    expect(mixed.executed).toEqual(['Mixed']);
    expect((mixed.result as { data: { other: string } }).data.other).toBe('other');
  });

  it('gives an error as Apollo formats it, from one call of the root resolver', async () => {
    const query = 'query Failing { meter(size: 2, fail: true) { rows { value } } }';
    const jit = await run(true, query, 'Failing');
    const plain = await run(false, query, 'Failing');
    expect(jit.result).toEqual(plain.result);
    expect(jit.result).toMatchObject({ errors: [{ message: 'Too many windows.', extensions: { code: 'BAD_USER_INPUT' } }] });
    expect(jit.executed).toEqual(['Failing']);
    expect(jit.calls).toBe(1);
  });
});
