import { Badge, Button, Group, ScrollArea, Stack, Table, Text } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { ConsoleUsageEventsDocument, type ConsoleUsageEventsSubscription } from '../generated';
import { subscribe, type GraphError } from '../graph';
import { Status, formatDate, type ViewProps } from './common';
import { partiesOf } from './Explorer';

type Event = ConsoleUsageEventsSubscription['productUsageEvents'];
const kept = 200;
const shortType = (t: string) => t.replace(/^ProductUsage|Event$/g, '');

/** Usage events as they arrive over the websocket subscription; paused, they wait and are counted. */
export function LiveFeed({ onUnauthenticated }: ViewProps) {
  const [events, setEvents] = useState<Event[]>([]);
  const [paused, setPaused] = useState(false);
  const [waiting, setWaiting] = useState<Event[]>([]);
  const [error, setError] = useState<GraphError>();
  const pausedRef = useRef(paused);
  pausedRef.current = paused;

  useEffect(
    () =>
      subscribe(
        ConsoleUsageEventsDocument,
        {},
        {
          next: ({ productUsageEvents: event }) => {
            if (pausedRef.current) setWaiting((w) => [event, ...w].slice(0, kept));
            else setEvents((e) => [event, ...e].slice(0, kept));
          },
          error: setError,
        },
      ),
    [],
  );
  const resume = () => {
    setEvents((e) => [...waiting, ...e].slice(0, kept));
    setWaiting([]);
    setPaused(false);
  };

  return (
    <Stack>
      <Group>
        {paused ? (
          <Button onClick={resume} data-testid="resume">
            Resume ({waiting.length} waiting)
          </Button>
        ) : (
          <Button variant="light" onClick={() => setPaused(true)} data-testid="pause">
            Pause
          </Button>
        )}
        <Text size="sm" c="dimmed">
          The newest {kept} events, newest first.
        </Text>
      </Group>
      <Status loading={false} error={error} empty={!error && events.length === 0} onUnauthenticated={onUnauthenticated} />
      {events.length > 0 && (
        <ScrollArea>
          <Table miw={700} data-testid="live">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Time</Table.Th>
                <Table.Th>Event</Table.Th>
                <Table.Th>Usage</Table.Th>
                <Table.Th>Type</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Parties</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {events.map((e) => (
                <Table.Tr key={e.eventId} data-testid="live-row" data-id={e.productUsage.id}>
                  <Table.Td>{formatDate(e.eventTime)}</Table.Td>
                  <Table.Td>
                    <Badge variant="light">{shortType(e.eventType)}</Badge>
                  </Table.Td>
                  <Table.Td>{e.productUsage.id.slice(0, 8)}</Table.Td>
                  <Table.Td>{e.productUsage.usageType ?? '—'}</Table.Td>
                  <Table.Td>{e.productUsage.status}</Table.Td>
                  <Table.Td>{partiesOf(e.productUsage) || '—'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea>
      )}
    </Stack>
  );
}
