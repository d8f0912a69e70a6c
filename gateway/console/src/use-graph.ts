import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { useCallback, useEffect, useState } from 'react';
import { GraphError, request } from './graph';

export interface GraphState<T> {
  data: T | undefined;
  error: GraphError | undefined;
  loading: boolean;
  reload(): void;
}

/** Runs a query whenever its variables change (compared as JSON); the last answer wins. */
export function useGraph<TData, TVariables>(document: TypedDocumentNode<TData, TVariables>, variables: TVariables, skip = false): GraphState<TData> {
  const key = JSON.stringify(variables);
  const [state, setState] = useState<{ data?: TData; error?: GraphError; loading: boolean }>({ loading: !skip });
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (skip) return;
    let current = true;
    setState((s) => ({ ...s, loading: true }));
    request(document, JSON.parse(key) as TVariables).then(
      (data) => current && setState({ data, loading: false }),
      (error: unknown) => current && setState({ error: error instanceof GraphError ? error : new GraphError(String(error), undefined), loading: false }),
    );
    return () => {
      current = false;
    };
  }, [document, key, round, skip]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}
