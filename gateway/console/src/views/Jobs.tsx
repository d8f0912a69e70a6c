import { Badge, Code, Drawer, Group, Pagination, ScrollArea, Stack, Table, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { ConsoleIngestJobErrorsDocument, ConsoleIngestJobsDocument } from '../generated';
import { useGraph } from '../use-graph';
import { Status, formatDate, type ViewProps } from './common';

const pageSize = 20;
const statusColour: Record<string, string> = { ACCEPTED: 'gray', INPROGRESS: 'blue', ERRORS: 'red', COMPLETED: 'green' };

/** Ingestion jobs with their per-status counts; a job's errors open beside the list. */
export function Jobs({ onUnauthenticated }: ViewProps) {
  const [date, setDate] = useState('');
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<string | null>(null);
  const { data, error, loading } = useGraph(ConsoleIngestJobsDocument, {
    filter: date ? { date } : null,
    offset: (page - 1) * pageSize,
    limit: pageSize,
  });
  const jobs = data?.usageIngestJobs;
  return (
    <Stack>
      <Group align="end">
        <TextInput
          label="Day"
          type="date"
          value={date}
          onChange={(e) => {
            setDate(e.currentTarget.value);
            setPage(1);
          }}
        />
        <Text size="sm" c="dimmed">
          {jobs ? `${jobs.totalCount} job${jobs.totalCount === 1 ? '' : 's'}` : ''}
        </Text>
      </Group>
      <ScrollArea>
        <Table miw={700} highlightOnHover data-testid="jobs">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Received</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Usages</Table.Th>
              <Table.Th>Per application, unit and status</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {jobs?.items.map((job) => (
              <Table.Tr key={job.id} onClick={() => setOpen(job.id)} style={{ cursor: 'pointer' }} data-testid="job-row">
                <Table.Td>{formatDate(job.time)}</Table.Td>
                <Table.Td>
                  <Badge color={statusColour[job.status]}>{job.status}</Badge>
                </Table.Td>
                <Table.Td>{job.usagesCount}</Table.Td>
                <Table.Td>
                  {job.usagesSummary.map((s) => (
                    <Text key={`${s.application}/${s.unit}/${s.processStatus}`} size="xs">
                      {s.application} · {s.unit} · {s.processStatus}: {s.usagesCount}
                    </Text>
                  ))}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea>
      <Status loading={loading && !jobs} error={error} empty={jobs?.items.length === 0} onUnauthenticated={onUnauthenticated} />
      {jobs && jobs.totalCount > pageSize && <Pagination total={Math.ceil(jobs.totalCount / pageSize)} value={page} onChange={setPage} />}
      <Drawer opened={open !== null} onClose={() => setOpen(null)} position="right" size="lg" title="Job errors">
        {open && <JobErrors id={open} onUnauthenticated={onUnauthenticated} />}
      </Drawer>
    </Stack>
  );
}

function JobErrors({ id, onUnauthenticated }: { id: string } & ViewProps) {
  const [page, setPage] = useState(1);
  const { data, error, loading } = useGraph(ConsoleIngestJobErrorsDocument, { id, offset: (page - 1) * pageSize, limit: pageSize });
  const errors = data?.usageIngestJob?.errors;
  return (
    <Stack data-testid="job-errors">
      <Status loading={loading && !errors} error={error} empty={errors?.items.length === 0} onUnauthenticated={onUnauthenticated} />
      {errors?.items.map((e) => (
        <Stack key={e.index} gap={2}>
          <Group gap="xs">
            <Badge color="red" variant="light">
              {e.rule}
            </Badge>
            <Text size="sm">
              usage #{e.index}: {e.message}
            </Text>
          </Group>
          <Code block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-all' }}>
            {JSON.stringify(e.usage)}
          </Code>
        </Stack>
      ))}
      {errors && errors.totalCount > pageSize && <Pagination total={Math.ceil(errors.totalCount / pageSize)} value={page} onChange={setPage} />}
    </Stack>
  );
}
