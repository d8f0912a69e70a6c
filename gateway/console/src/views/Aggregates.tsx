import { BarChart } from '@mantine/charts';
import { Group, Paper, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMemo, useState } from 'react';
import { ConsoleDailyAggregatesDocument, ConsoleKpisDocument, ConsoleMonthlyAggregatesDocument } from '../generated';
import { useGraph } from '../use-graph';
import { Status, type ViewProps } from './common';
import { ExportCsv } from './ExportCsv';

const thisMonth = () => new Date().toISOString().slice(0, 7);
const lastDay = (month: string) => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
};

/** Monthly values of a KPI per consumer, and one consumer's days, as charts; the usages behind them as CSV. */
export function Aggregates({ onUnauthenticated }: ViewProps) {
  const kpis = useGraph(ConsoleKpisDocument, {});
  const [kpiId, setKpiId] = useState<string | null>(null);
  const [month, setMonth] = useState(thisMonth);
  const [consumer, setConsumer] = useState<string | null>(null);
  const kpi = kpis.data?.kpis.items.find((k) => k.id === kpiId) ?? kpis.data?.kpis.items[0];
  const validMonth = /^\d{4}-\d{2}$/.test(month);

  const monthly = useGraph(ConsoleMonthlyAggregatesDocument, { application: kpi?.application ?? '', kpiName: kpi?.name ?? '', month }, !kpi || !validMonth);
  const consumers = useMemo(() => [...new Set(monthly.data?.monthlyUsageAggregates.items.map((a) => a.consumer))], [monthly.data]);
  const selected = consumer && consumers.includes(consumer) ? consumer : consumers[0];
  const daily = useGraph(
    ConsoleDailyAggregatesDocument,
    { application: kpi?.application ?? '', kpiName: kpi?.name ?? '', from: `${month}-01`, to: validMonth ? lastDay(month) : '', consumer: selected ?? null },
    !kpi || !validMonth || !selected,
  );

  if (!kpis.data || kpis.data.kpis.items.length === 0) {
    return (
      <Stack>
        <Status loading={kpis.loading} error={kpis.error} onUnauthenticated={onUnauthenticated} />
        {kpis.data && (
          <Text c="dimmed" data-testid="empty">
            No KPI is defined yet: create one (GraphQL createKpi or the usage-transparency KPI endpoint) to see aggregates.
          </Text>
        )}
      </Stack>
    );
  }
  // One bar per consumer, or per consumer and provider when several providers serve the KPI: values
  // of max, min or last cannot be added up across providers.
  const items = monthly.data?.monthlyUsageAggregates.items ?? [];
  const providers = new Set(items.map((a) => a.provider));
  const monthlyRows = items.map((a) => ({ consumer: providers.size > 1 ? `${a.consumer} · ${a.provider}` : a.consumer, value: a.value }));
  const dailyRows = (daily.data?.dailyUsageAggregates.items ?? []).map((a) => ({
    day: providers.size > 1 ? `${a.period.slice(8)} · ${a.provider}` : a.period.slice(8),
    value: a.value,
  }));

  return (
    <Stack>
      <Group align="end" wrap="wrap">
        <Select
          label="KPI"
          data={kpis.data.kpis.items.map((k) => ({ value: k.id, label: `${k.applicationDisplayName ?? k.application} · ${k.displayName ?? k.name}` }))}
          value={kpi?.id ?? null}
          onChange={setKpiId}
          allowDeselect={false}
          miw={260}
          data-testid="kpi"
        />
        <TextInput label="Month" type="month" value={month} onChange={(e) => setMonth(e.currentTarget.value)} data-testid="month" />
        {kpi && validMonth && <ExportCsv specificationId={kpi.usageSpecification?.id ?? null} month={month} onUnauthenticated={onUnauthenticated} />}
      </Group>
      <Paper withBorder p="md">
        <Title order={5}>
          {kpi?.displayName ?? kpi?.name} per consumer in {month} ({kpi?.monthlyFunction.toLowerCase()})
        </Title>
        <Status loading={monthly.loading} error={monthly.error} empty={monthlyRows.length === 0} onUnauthenticated={onUnauthenticated} />
        {monthlyRows.length > 0 && (
          <div data-testid="monthly-chart" data-values={JSON.stringify(monthlyRows)}>
            <BarChart h={260} data={monthlyRows} dataKey="consumer" series={[{ name: 'value', color: 'blue.6', label: kpi?.unit }]} />
          </div>
        )}
      </Paper>
      <Paper withBorder p="md">
        <Group justify="space-between" align="end">
          <Title order={5}>
            Days of {selected ?? '—'} ({kpi?.dailyFunction.toLowerCase()})
          </Title>
          <Select label="Consumer" data={consumers} value={selected ?? null} onChange={setConsumer} allowDeselect={false} disabled={consumers.length === 0} />
        </Group>
        <Status loading={daily.loading && !!selected} error={daily.error} empty={!!selected && dailyRows.length === 0} onUnauthenticated={onUnauthenticated} />
        {dailyRows.length > 0 && (
          <div data-testid="daily-chart" data-values={JSON.stringify(dailyRows)}>
            <BarChart h={220} data={dailyRows} dataKey="day" series={[{ name: 'value', color: 'teal.6', label: kpi?.unit }]} />
          </div>
        )}
      </Paper>
    </Stack>
  );
}
