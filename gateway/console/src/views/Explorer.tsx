import { Button, Drawer, Group, MultiSelect, Pagination, ScrollArea, Stack, Table, Text, TextInput, UnstyledButton } from '@mantine/core';
import { useState } from 'react';
import {
  ConsoleUsagesDocument,
  type ConsoleUsageRowFragment,
  type ProductUsageFilter,
  type ProductUsageSortField,
  type ProductUsageStatus,
} from '../generated';
import { useGraph } from '../use-graph';
import { Status, formatDate, statuses, type ViewProps } from './common';
import { UsageDetail } from './UsageDetail';

const pageSize = 20;
const columns: { label: string; sort?: ProductUsageSortField }[] = [
  { label: 'Usage date', sort: 'usageDate' },
  { label: 'Type', sort: 'usageType' },
  { label: 'Status', sort: 'status' },
  { label: 'Specification' },
  { label: 'Parties' },
  { label: 'Created', sort: 'creationDate' },
];

interface Filters {
  party: string;
  specification: string;
  status: string[];
  from: string;
  to: string;
}
const noFilters: Filters = { party: '', specification: '', status: [], from: '', to: '' };

/** The typed filter the graph takes; empty fields are left out, dates are whole UTC days. */
function toFilter(f: Filters): ProductUsageFilter {
  const usageDate = {
    ...(f.from ? { gte: `${f.from}T00:00:00Z` } : {}),
    ...(f.to ? { lt: new Date(Date.parse(`${f.to}T00:00:00Z`) + 86_400_000).toISOString() } : {}),
  };
  return {
    ...(f.party.trim() ? { relatedPartyId: [f.party.trim()] } : {}),
    ...(f.specification.trim() ? { usageSpecificationId: [f.specification.trim()] } : {}),
    ...(f.status.length ? { status: f.status as ProductUsageStatus[] } : {}),
    ...(Object.keys(usageDate).length ? { usageDate } : {}),
  };
}

export const partiesOf = (usage: ConsoleUsageRowFragment) =>
  usage.relatedParty.map((rp) => `${rp.role ?? 'party'}: ${rp.party?.name ?? rp.partyOrPartyRole.id}`).join(', ');

export function Explorer({ onUnauthenticated }: ViewProps) {
  const [draft, setDraft] = useState<Filters>(noFilters);
  const [filters, setFilters] = useState<Filters>(noFilters);
  const [sort, setSort] = useState<{ field: ProductUsageSortField; direction: 'ASC' | 'DESC' }>({ field: 'creationDate', direction: 'DESC' });
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<string | null>(null);
  const { data, error, loading } = useGraph(ConsoleUsagesDocument, {
    filter: toFilter(filters),
    sort: [{ field: sort.field, direction: sort.direction }],
    offset: (page - 1) * pageSize,
    limit: pageSize,
  });
  const usages = data?.productUsages;
  const apply = () => {
    setFilters(draft);
    setPage(1);
  };
  const sortBy = (field: ProductUsageSortField) => setSort((s) => ({ field, direction: s.field === field && s.direction === 'DESC' ? 'ASC' : 'DESC' }));

  return (
    <Stack>
      <Group align="end" wrap="wrap">
        <TextInput label="Party id" value={draft.party} onChange={(e) => setDraft({ ...draft, party: e.currentTarget.value })} data-testid="filter-party" />
        <TextInput label="Specification id" value={draft.specification} onChange={(e) => setDraft({ ...draft, specification: e.currentTarget.value })} />
        <MultiSelect label="Status" data={[...statuses]} value={draft.status} onChange={(status) => setDraft({ ...draft, status })} clearable miw={180} />
        <TextInput label="From" type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.currentTarget.value })} />
        <TextInput label="To" type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.currentTarget.value })} />
        <Button onClick={apply} data-testid="apply">
          Apply
        </Button>
        <Button
          variant="subtle"
          onClick={() => {
            setDraft(noFilters);
            setFilters(noFilters);
            setPage(1);
          }}
        >
          Clear
        </Button>
      </Group>
      <Text size="sm" c="dimmed" data-testid="total">
        {usages ? `${usages.totalCount} usage${usages.totalCount === 1 ? '' : 's'}` : ' '}
      </Text>
      <ScrollArea>
        <Table striped highlightOnHover miw={760} data-testid="usages">
          <Table.Thead>
            <Table.Tr>
              {columns.map((c) => (
                <Table.Th key={c.label}>
                  {c.sort ? (
                    <UnstyledButton onClick={() => sortBy(c.sort!)} fw={600} fz="sm">
                      {c.label} {sort.field === c.sort ? (sort.direction === 'DESC' ? '▼' : '▲') : ''}
                    </UnstyledButton>
                  ) : (
                    c.label
                  )}
                </Table.Th>
              ))}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {usages?.items.map((u) => (
              <Table.Tr key={u.id} onClick={() => setOpen(u.id)} style={{ cursor: 'pointer' }} data-testid="usage-row" data-id={u.id}>
                <Table.Td>{formatDate(u.usageDate)}</Table.Td>
                <Table.Td>{u.usageType ?? '—'}</Table.Td>
                <Table.Td>{u.status}</Table.Td>
                <Table.Td>{u.usageSpecification?.name ?? u.usageSpecification?.id ?? '—'}</Table.Td>
                <Table.Td>{partiesOf(u) || '—'}</Table.Td>
                <Table.Td>{formatDate(u.creationDate)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea>
      <Status loading={loading && !usages} error={error} empty={usages?.items.length === 0} onUnauthenticated={onUnauthenticated} />
      {usages && usages.totalCount > pageSize && <Pagination total={Math.ceil(usages.totalCount / pageSize)} value={page} onChange={setPage} />}
      <Drawer opened={open !== null} onClose={() => setOpen(null)} position="right" size="lg" title="Usage">
        {open && <UsageDetail id={open} onUnauthenticated={onUnauthenticated} />}
      </Drawer>
    </Stack>
  );
}
