import { readFileSync } from 'node:fs';
import { parse, type DocumentNode } from 'graphql';
import { Kind } from 'graphql';
import { describe, expect, it } from 'vitest';
import { missingScope, rootFieldScopes } from '../../gateway/scopes.js';
import { Scope } from '../../platform/caller.js';
import { subgraphNames } from '../../platform/subgraphs.js';

const rootFieldsOf = (name: string) => {
  const document = parse(readFileSync(`schema/${name}.graphql`, 'utf8'));
  const fields: string[] = [];
  for (const definition of document.definitions) {
    if (
      (definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.OBJECT_TYPE_EXTENSION) &&
      ['Query', 'Mutation', 'Subscription'].includes(definition.name.value)
    ) {
      for (const field of definition.fields ?? []) fields.push(`${definition.name.value}.${field.name.value}`);
    }
  }
  return fields;
};

const caller = (...scopes: Scope[]) => ({ tenant: 't', subject: 's', scopes });
const doc = (text: string): DocumentNode => parse(text);

describe('the scope map', () => {
  it('decides every root field of every subgraph (a new field without a decision needs admin; list it here to decide)', () => {
    const undecided = subgraphNames.flatMap(rootFieldsOf).filter((field) => {
      const [type, name] = field.split('.') as ['Query' | 'Mutation' | 'Subscription', string];
      return !(name in rootFieldScopes[type]);
    });
    expect(undecided).toEqual([]);
  });

  it('finds root fields through fragments and inline fragments, and lets introspection through', () => {
    const reader = caller(Scope.USAGE_READ);
    expect(missingScope(doc('{ __typename __schema { types { name } } }'), undefined, caller())).toBeNull();
    expect(missingScope(doc('{ productUsages { totalCount } }'), undefined, reader)).toBeNull();
    expect(missingScope(doc('mutation { ... on Mutation { createParty(input: {}) { id } } }'), undefined, reader)).toBe(Scope.PARTY_MANAGE);
    expect(missingScope(doc('mutation { ...F } fragment F on Mutation { deleteProductUsage(id: "1") { id } }'), undefined, reader)).toBe(Scope.USAGE_WRITE);
    expect(missingScope(doc('query A { productUsages { totalCount } } mutation B { createKpi(input: {}) { id } }'), 'A', reader)).toBeNull();
    expect(missingScope(doc('query A { productUsages { totalCount } } mutation B { createKpi(input: {}) { id } }'), 'B', reader)).toBe(
      Scope.SPECIFICATION_MANAGE,
    );
    expect(missingScope(doc('{ somethingNew }'), undefined, reader)).toBe(Scope.ADMIN);
    expect(missingScope(doc('{ somethingNew }'), undefined, caller(Scope.ADMIN))).toBeNull();
    // A fragment that spreads itself does not loop.
    expect(missingScope(doc('{ ...F } fragment F on Query { ...F productUsages { totalCount } }'), undefined, caller())).toBe(Scope.USAGE_READ);
  });
});
