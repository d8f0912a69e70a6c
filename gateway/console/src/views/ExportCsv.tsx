import { Button } from '@mantine/core';
import { useState } from 'react';
import { usagesToCsv } from '../csv';
import { ConsoleExportJobDocument, ConsoleExportUsagesDocument, type ConsoleExportJobQuery } from '../generated';
import { authorization, GraphError, request } from '../graph';
import type { ViewProps } from './common';

const nextMonth = (month: string) => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 1)).toISOString();
};

/**
 * The usages behind a KPI's month as CSV, through an export job: created with the KPI's
 * specification and the month as its filter, waited for, then downloaded through the gateway.
 */
export function ExportCsv({ specificationId, month, onUnauthenticated }: { specificationId: string | null; month: string } & ViewProps) {
  const [state, setState] = useState<'idle' | 'running' | 'failed'>('idle');
  const run = async () => {
    setState('running');
    try {
      const { createExportJob } = await request(ConsoleExportUsagesDocument, {
        filter: { usageSpecificationId: [specificationId!], usageDate: { gte: `${month}-01T00:00:00Z`, lt: nextMonth(month) } },
      });
      // Typed, not inferred from `null`: an evolving `let` makes ESLint and tsc disagree on whether it can be null below.
      let job: ConsoleExportJobQuery['exportJob'] = null;
      for (let i = 0; i < 600 && job?.status !== 'Succeeded'; i++) {
        job = (await request(ConsoleExportJobDocument, { id: createExportJob.id })).exportJob;
        if (!job || job.status === 'Failed') throw new GraphError(job?.errorLog ?? 'The export job disappeared.', undefined);
        if (job.status !== 'Succeeded') await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const response = await fetch(job!.downloadPath!, { headers: authorization() });
      if (!response.ok) throw new GraphError(`The download answered HTTP ${response.status}.`, undefined);
      const link = document.createElement('a');
      link.href = URL.createObjectURL(new Blob([usagesToCsv(await response.text())], { type: 'text/csv' }));
      link.download = `usage-${month}.csv`;
      link.click();
      URL.revokeObjectURL(link.href);
      setState('idle');
    } catch (error) {
      if (error instanceof GraphError && error.code === 'UNAUTHENTICATED') onUnauthenticated();
      setState('failed');
    }
  };
  // run never rejects: every failure of the export ends in its catch, shown as the 'failed' state.
  return (
    <Button
      variant="light"
      onClick={() => void run()}
      loading={state === 'running'}
      disabled={!specificationId}
      color={state === 'failed' ? 'red' : undefined}
      data-testid="export-csv"
    >
      {state === 'failed' ? 'Export failed: try again' : 'Usages as CSV'}
    </Button>
  );
}
