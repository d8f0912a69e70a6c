import { Alert, Badge, Card, Group, Loader, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { authorization } from '../graph';

interface Health {
  services: { name: string; ready: boolean; detail?: string }[];
  webhooks?: { backlog: number; oldestSeconds: number; suspendedHubs: number };
  ingestion?: { lagSeconds: number; accepted: number; inProgress: number };
}

const seconds = (value: number) => (value < 90 ? `${Math.round(value)} s` : value < 5400 ? `${Math.round(value / 60)} min` : `${(value / 3600).toFixed(1)} h`);

/**
 * Each service's readiness, the webhook backlog and the ingestion lag, from the gateway's /health
 * (the same series as /metrics), every five seconds. Operator data: it needs the metrics scope.
 */
export function Health({ onUnauthenticated }: { onUnauthenticated: () => void }) {
  const [health, setHealth] = useState<Health | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  // The latest callback, without restarting the polling when the parent renders again.
  const unauthenticated = useRef(onUnauthenticated);
  unauthenticated.current = onUnauthenticated;
  useEffect(() => {
    let stopped = false;
    const load = async () => {
      const answer = await fetch('/health', { headers: authorization() }).catch(() => null);
      if (stopped) return;
      if (!answer) return setProblem('The gateway does not answer.');
      if (answer.status === 401) return unauthenticated.current();
      if (answer.status === 403) return setProblem('The health page needs a token with the metrics scope.');
      if (!answer.ok) return setProblem(`The gateway answered HTTP ${answer.status}.`);
      setProblem(null);
      setHealth((await answer.json()) as Health);
    };
    void load();
    const timer = setInterval(() => void load(), 5_000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);

  if (problem) return <Alert color="red">{problem}</Alert>;
  if (!health) return <Loader />;
  return (
    <Stack>
      <Title order={3}>Health</Title>
      <Table data-testid="health-services" striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>service</Table.Th>
            <Table.Th>readiness</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {health.services.map((service) => (
            <Table.Tr key={service.name} data-testid={`health-${service.name}`}>
              <Table.Td>{service.name}</Table.Td>
              <Table.Td>
                <Group gap="xs">
                  <Badge color={service.ready ? 'green' : 'red'}>{service.ready ? 'ready' : 'not ready'}</Badge>
                  {service.detail && <Text size="sm">{service.detail}</Text>}
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <Card withBorder data-testid="health-webhooks">
          <Text fw={600}>Webhook backlog</Text>
          {health.webhooks ? (
            <Text>
              {health.webhooks.backlog} deliveries waiting, the oldest for {seconds(health.webhooks.oldestSeconds)}; {health.webhooks.suspendedHubs} hubs
              suspended
            </Text>
          ) : (
            <Text c="dimmed">The usage service's metrics did not answer.</Text>
          )}
        </Card>
        <Card withBorder data-testid="health-ingestion">
          <Text fw={600}>Ingestion lag</Text>
          {health.ingestion ? (
            <Text>
              {seconds(health.ingestion.lagSeconds)} (oldest unfinished job); {health.ingestion.accepted} jobs waiting, {health.ingestion.inProgress} running
            </Text>
          ) : (
            <Text c="dimmed">The usage service's metrics did not answer.</Text>
          )}
        </Card>
      </SimpleGrid>
    </Stack>
  );
}
