import { Alert, Center, Loader, Text } from '@mantine/core';
import { useEffect } from 'react';
import type { GraphError } from '../graph';

/** What every view gets from the shell. */
export interface ViewProps {
  onUnauthenticated(): void;
}

export const statuses = [
  'initialized',
  'validated',
  'rated',
  'corrected',
  'superseded',
  'notRated',
  'rejected',
  'failed',
  'received',
  'guided',
  'rerated',
  'recycled',
  'billed',
] as const;

export const formatDate = (value: string | null | undefined) => (value ? new Date(value).toISOString().replace('T', ' ').slice(0, 19) : '—');

/** Loading, error and empty states, the same in every view. */
export function Status({ loading, error, empty, onUnauthenticated }: { loading: boolean; error?: GraphError; empty?: boolean; onUnauthenticated(): void }) {
  useEffect(() => {
    if (error?.code === 'UNAUTHENTICATED') onUnauthenticated();
  }, [error, onUnauthenticated]);
  if (error) {
    return (
      <Alert color="red" title={error.code ?? 'Error'} data-testid="error">
        {error.message}
      </Alert>
    );
  }
  if (loading) {
    return (
      <Center p="lg">
        <Loader size="sm" data-testid="loading" />
      </Center>
    );
  }
  if (empty) {
    return (
      <Text c="dimmed" p="lg" ta="center" data-testid="empty">
        Nothing here yet.
      </Text>
    );
  }
  return null;
}
