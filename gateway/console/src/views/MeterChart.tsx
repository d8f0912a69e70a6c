import { BarChart, LineChart } from '@mantine/charts';
import { Group, Pagination, ScrollArea, SegmentedControl, Table, Text } from '@mantine/core';
import { useState } from 'react';
import type { UsageMeterGroupBy, UsageMeterWindowSize } from '../generated';
import { dimensionColumn, groupText, localTime, meterChart, type MeterRow } from '../meter';

/** A meter's rows as a chart: one series per group (bars per window, or lines), x the window, y the value. */
export function MeterChart({ rows, windowSize, timeZone }: { rows: readonly MeterRow[]; windowSize: UsageMeterWindowSize | null; timeZone: string }) {
  const [kind, setKind] = useState<'bars' | 'lines'>('bars');
  const chart = meterChart(rows, windowSize, timeZone);
  const props = { h: 300, data: chart.data, dataKey: 'window', series: chart.series, withLegend: true, legendProps: { verticalAlign: 'bottom' as const } };
  return (
    <div data-testid="meter-chart" data-series={JSON.stringify(chart.series.map((s) => s.label))} data-values={JSON.stringify(chart.data)}>
      <Group justify="space-between" mb="xs">
        <Text size="sm" c="dimmed">
          {chart.hidden > 0 ? `The ${chart.series.length} largest of ${chart.series.length + chart.hidden} groups; the table lists them all.` : ' '}
        </Text>
        <SegmentedControl<'bars' | 'lines'>
          size="xs"
          value={kind}
          onChange={(value) => setKind(value)}
          data={[
            { value: 'bars', label: 'Bars' },
            { value: 'lines', label: 'Lines' },
          ]}
          data-testid="chart-kind"
        />
      </Group>
      {kind === 'bars' ? <BarChart {...props} /> : <LineChart {...props} connectNulls={false} />}
    </div>
  );
}

const pageSize = 50;

/** A meter's rows as a table, its windows on the local clock of the meter's time zone. */
export function MeterTable({ rows, groupBy, timeZone }: { rows: readonly MeterRow[]; groupBy: readonly UsageMeterGroupBy[]; timeZone: string }) {
  const [page, setPage] = useState(1);
  const shown = rows.slice((page - 1) * pageSize, page * pageSize);
  return (
    <>
      <ScrollArea>
        <Table striped miw={560} data-testid="meter-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Window start ({timeZone})</Table.Th>
              <Table.Th>Window end</Table.Th>
              {groupBy.map((g) => (
                <Table.Th key={dimensionColumn(g)}>{dimensionColumn(g)}</Table.Th>
              ))}
              <Table.Th ta="right">Value</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map((row) => (
              <Table.Tr
                key={`${row.windowStart}|${JSON.stringify(row.groups.map((g) => g.value ?? null))}`}
                data-testid="meter-row"
                data-window-start={row.windowStart}
              >
                <Table.Td title={row.windowStart}>{localTime(row.windowStart, timeZone)}</Table.Td>
                <Table.Td title={row.windowEnd}>{localTime(row.windowEnd, timeZone)}</Table.Td>
                {row.groups.map((g, i) => (
                  <Table.Td key={i} data-testid="meter-group">
                    {groupText(g.value)}
                  </Table.Td>
                ))}
                <Table.Td ta="right" data-testid="meter-value">
                  {row.value}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollArea>
      {rows.length > pageSize && <Pagination total={Math.ceil(rows.length / pageSize)} value={page} onChange={setPage} />}
    </>
  );
}
