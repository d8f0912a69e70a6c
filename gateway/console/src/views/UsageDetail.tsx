import { Badge, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { ConsoleUsageDocument } from '../generated';
import { useGraph } from '../use-graph';
import { Status, formatDate, type ViewProps } from './common';

const money = (m: { value?: number | null; unit?: string | null } | null | undefined) => (m?.value != null ? `${m.value} ${m.unit ?? ''}`.trim() : '—');

/** One usage: its attributes, characteristics, prices and related parties. */
export function UsageDetail({ id, onUnauthenticated }: { id: string } & ViewProps) {
  const { data, error, loading } = useGraph(ConsoleUsageDocument, { id });
  const usage = data?.productUsage;
  if (!usage) return <Status loading={loading} error={error} empty={!!data} onUnauthenticated={onUnauthenticated} />;
  return (
    <Stack data-testid="usage-detail">
      <Group gap="xs">
        <Badge>{usage.status}</Badge>
        {usage.usageType && <Badge variant="outline">{usage.usageType}</Badge>}
      </Group>
      <Text size="sm">
        <b>Id</b> <Code>{usage.id}</Code>
      </Text>
      <Text size="sm">
        <b>Happened</b> {formatDate(usage.usageDate)} · <b>created</b> {formatDate(usage.creationDate)} · <b>updated</b> {formatDate(usage.lastUpdate)}
      </Text>
      {usage.description && <Text size="sm">{usage.description}</Text>}
      <Text size="sm">
        <b>Specification</b> {usage.usageSpecification?.name ?? '(not known yet)'} <Code>{usage.usageSpecification?.id ?? '—'}</Code>
      </Text>
      {usage.product && (
        <Text size="sm">
          <b>Product</b> {usage.product.name ?? ''} <Code>{usage.product.id}</Code>
        </Text>
      )}

      <Title order={5}>Characteristics</Title>
      <Table data-testid="characteristics">
        <Table.Tbody>
          {usage.usageCharacteristic.map((c) => (
            <Table.Tr key={c.name}>
              <Table.Td>{c.name}</Table.Td>
              <Table.Td>{c.valueType ?? ''}</Table.Td>
              <Table.Td>
                <Code>{JSON.stringify(c.value)}</Code>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {usage.usageCharacteristic.length === 0 && (
        <Text c="dimmed" size="sm">
          None.
        </Text>
      )}

      <Title order={5}>Prices</Title>
      {usage.usageProductPrice.length === 0 ? (
        <Text c="dimmed" size="sm">
          Not rated.
        </Text>
      ) : (
        <Table>
          <Table.Tbody>
            {usage.usageProductPrice.map((p, i) => (
              <Table.Tr key={i}>
                <Table.Td>{p.name ?? p.priceType ?? 'price'}</Table.Td>
                <Table.Td>{money(p.price?.dutyFreeAmount)} duty free</Table.Td>
                <Table.Td>{money(p.price?.taxIncludedAmount)} with tax</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}

      <Title order={5}>Related parties</Title>
      <Table data-testid="parties">
        <Table.Tbody>
          {usage.relatedParty.map((rp, i) => (
            <Table.Tr key={i}>
              <Table.Td>{rp.role ?? '—'}</Table.Td>
              <Table.Td>{rp.party?.name ?? rp.partyRole?.name ?? '(not known yet)'}</Table.Td>
              <Table.Td>
                <Code>{rp.partyOrPartyRole.id}</Code>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
