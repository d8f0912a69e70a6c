import { Autocomplete, Button, Group, NativeSelect, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import {
  ConsoleUsageMeterDocument,
  type UsageMeterAggregation,
  type UsageMeterDimension,
  type UsageMeterGroupBy,
  type UsageMeterInput,
  type UsageMeterWindowSize,
} from '../generated';
import { isTimeZone, lastSevenDays, localToInstant, meterCsv } from '../meter';
import { useGraph } from '../use-graph';
import { Status, type ViewProps } from './common';
import { MeterChart, MeterTable } from './MeterChart';

const aggregations: UsageMeterAggregation[] = ['SUM', 'COUNT', 'MIN', 'MAX', 'AVG', 'UNIQUE_COUNT', 'LATEST'];
const windowSizes = [
  { value: 'MINUTE', label: 'Minute' },
  { value: 'HOUR', label: 'Hour' },
  { value: 'DAY', label: 'Day' },
  { value: 'MONTH', label: 'Month' },
  { value: '', label: 'None (one row)' },
];
const dimensions = [
  { value: '', label: '—' },
  { value: 'USAGE_TYPE', label: 'Usage type' },
  { value: 'USAGE_SPECIFICATION', label: 'Usage specification' },
  { value: 'STATUS', label: 'Status' },
  { value: 'PRODUCT', label: 'Product' },
  { value: 'RELATED_PARTY', label: 'Related party (role)' },
  { value: 'CHARACTERISTIC', label: 'Characteristic (name)' },
];
const commonZones = [
  'UTC',
  'Europe/London',
  'Europe/Paris',
  'Europe/Berlin',
  'America/New_York',
  'America/Chicago',
  'America/Los_Angeles',
  'America/Sao_Paulo',
  'Asia/Kolkata',
  'Asia/Singapore',
  'Asia/Tokyo',
  'Australia/Sydney',
];
const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

interface Slot {
  dimension: UsageMeterDimension | '';
  /** The role of RELATED_PARTY, the name of CHARACTERISTIC. */
  detail: string;
}
interface Draft {
  aggregation: UsageMeterAggregation;
  value: string;
  from: string;
  to: string;
  windowSize: UsageMeterWindowSize | '';
  timeZone: string;
  groupBy: [Slot, Slot];
  usageType: string;
  specification: string;
}

const initialDraft = (): Draft => {
  const timeZone = browserZone();
  return {
    aggregation: 'COUNT',
    value: '',
    ...lastSevenDays(timeZone),
    windowSize: 'DAY',
    timeZone,
    groupBy: [
      { dimension: '', detail: '' },
      { dimension: '', detail: '' },
    ],
    usageType: '',
    specification: '',
  };
};

const list = (text: string) =>
  text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** The meter's input, or undefined while the draft cannot be one (a date or the time zone unreadable here). */
function toInput(d: Draft): UsageMeterInput | undefined {
  const from = localToInstant(d.from, d.timeZone);
  const to = localToInstant(d.to, d.timeZone);
  if (!from || !to) return undefined;
  // The first slot empty leaves the second out too: a second dimension needs a first.
  const slots = d.groupBy[0].dimension ? d.groupBy.filter((s) => s.dimension) : [];
  const groupBy: UsageMeterGroupBy[] = slots.map((s) => ({
    dimension: s.dimension as UsageMeterDimension,
    ...(s.dimension === 'RELATED_PARTY' ? { role: s.detail.trim() || null } : {}),
    ...(s.dimension === 'CHARACTERISTIC' ? { name: s.detail.trim() || null } : {}),
  }));
  const usageType = list(d.usageType);
  const specification = list(d.specification);
  return {
    aggregation: d.aggregation,
    ...(d.aggregation !== 'COUNT' || d.value.trim() ? { value: d.value.trim() || null } : {}),
    from,
    to,
    windowSize: d.windowSize || null,
    timeZone: d.timeZone.trim(),
    groupBy,
    ...(usageType.length || specification.length
      ? { filter: { ...(usageType.length ? { usageType } : {}), ...(specification.length ? { usageSpecificationId: specification } : {}) } }
      : {}),
  };
}

function download(csv: string, name: string) {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
  link.download = name;
  link.click();
  URL.revokeObjectURL(link.href);
}

/** A usage meter (docs/meters.md): its controls, a chart of its rows, the rows as a table and as CSV. */
export function Meters({ onUnauthenticated }: ViewProps) {
  const [draft, setDraft] = useState(initialDraft);
  // The meter runs when asked (and once on opening, with the defaults): a meter reads usages, not rollups.
  const [input, setInput] = useState(() => toInput(draft));
  const { data, error, loading, reload } = useGraph(ConsoleUsageMeterDocument, { input: input! }, !input);
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const setSlot = (i: 0 | 1, patch: Partial<Slot>) =>
    setDraft((d) => {
      const groupBy: [Slot, Slot] = [...d.groupBy];
      groupBy[i] = { ...groupBy[i], ...patch };
      return { ...d, groupBy };
    });
  const next = toInput(draft);
  const run = () => {
    if (JSON.stringify(next) === JSON.stringify(input)) reload();
    else setInput(next);
  };
  const rows = data?.usageMeter.rows ?? [];
  const zoneError = isTimeZone(draft.timeZone) ? undefined : 'Not a time zone this browser knows';

  return (
    <Stack>
      <Paper withBorder p="md">
        <Group align="end" wrap="wrap">
          <NativeSelect
            label="Aggregation"
            data={aggregations}
            value={draft.aggregation}
            onChange={(e) => set({ aggregation: e.currentTarget.value as UsageMeterAggregation })}
            data-testid="meter-aggregation"
          />
          <TextInput
            label="Value (characteristic)"
            placeholder={draft.aggregation === 'COUNT' ? 'usages' : 'e.g. volume'}
            value={draft.aggregation === 'COUNT' ? '' : draft.value}
            disabled={draft.aggregation === 'COUNT'}
            onChange={(e) => set({ value: e.currentTarget.value })}
            data-testid="meter-value-name"
          />
          <TextInput
            label="From"
            type="datetime-local"
            value={draft.from}
            onChange={(e) => set({ from: e.currentTarget.value })}
            error={!draft.from}
            data-testid="meter-from"
          />
          <TextInput
            label="To"
            type="datetime-local"
            value={draft.to}
            onChange={(e) => set({ to: e.currentTarget.value })}
            error={!draft.to}
            data-testid="meter-to"
          />
          <NativeSelect
            label="Window"
            data={windowSizes}
            value={draft.windowSize}
            onChange={(e) => set({ windowSize: e.currentTarget.value as UsageMeterWindowSize | '' })}
            data-testid="meter-window"
          />
          <Autocomplete
            label="Time zone"
            data={commonZones}
            value={draft.timeZone}
            onChange={(timeZone) => set({ timeZone })}
            error={zoneError}
            miw={200}
            data-testid="meter-time-zone"
          />
        </Group>
        <Group align="end" wrap="wrap" mt="sm">
          {([0, 1] as const).map((i) => {
            const slot = draft.groupBy[i];
            const needs = slot.dimension === 'RELATED_PARTY' ? 'Role' : slot.dimension === 'CHARACTERISTIC' ? 'Name' : undefined;
            return (
              <Group key={i} align="end" gap="xs" wrap="nowrap">
                <NativeSelect
                  label={i === 0 ? 'Group by' : 'Then by'}
                  data={dimensions}
                  value={slot.dimension}
                  disabled={i === 1 && !draft.groupBy[0].dimension}
                  onChange={(e) => setSlot(i, { dimension: e.currentTarget.value as UsageMeterDimension | '' })}
                  data-testid={`meter-group-${i}`}
                />
                {needs && (
                  <TextInput
                    label={needs}
                    value={slot.detail}
                    onChange={(e) => setSlot(i, { detail: e.currentTarget.value })}
                    w={140}
                    data-testid={`meter-group-${i}-detail`}
                  />
                )}
              </Group>
            );
          })}
          <TextInput
            label="Usage type"
            placeholder="any (a, b, …)"
            value={draft.usageType}
            onChange={(e) => set({ usageType: e.currentTarget.value })}
            data-testid="meter-usage-type"
          />
          <TextInput
            label="Specification id"
            placeholder="any (a, b, …)"
            value={draft.specification}
            onChange={(e) => set({ specification: e.currentTarget.value })}
            data-testid="meter-specification"
          />
        </Group>
        <Group justify="flex-end" mt="md">
          <Button onClick={run} disabled={!next} loading={loading && !!input} data-testid="meter-run">
            Run
          </Button>
          <Button
            variant="light"
            disabled={!input || loading || rows.length === 0 || !!error}
            onClick={() =>
              download(
                meterCsv(rows, input!.groupBy ?? []),
                `meter-${input!.aggregation.toLowerCase()}-${input!.from.slice(0, 10)}-${input!.to.slice(0, 10)}.csv`,
              )
            }
            data-testid="meter-csv"
          >
            Download CSV
          </Button>
        </Group>
      </Paper>
      {/* While a meter runs, the rows of the last one do not belong to the input on screen. */}
      <Status loading={loading} error={loading ? undefined : error} empty={!!data && rows.length === 0} onUnauthenticated={onUnauthenticated} />
      {input && data && !loading && !error && rows.length > 0 && (
        <>
          <Paper withBorder p="md">
            <Title order={5}>
              {input.aggregation.toLowerCase()}
              {input.value ? ` of ${input.value}` : ' of usages'} per {input.windowSize?.toLowerCase() ?? 'range'}
            </Title>
            <Text size="xs" c="dimmed" mb="sm" data-testid="meter-total">
              {rows.length} row{rows.length === 1 ? '' : 's'}, windows in {input.timeZone}
            </Text>
            <MeterChart rows={rows} windowSize={input.windowSize ?? null} timeZone={input.timeZone ?? 'UTC'} />
          </Paper>
          <MeterTable key={JSON.stringify(input)} rows={rows} groupBy={input.groupBy ?? []} timeZone={input.timeZone ?? 'UTC'} />
        </>
      )}
    </Stack>
  );
}
