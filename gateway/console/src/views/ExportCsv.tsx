import { Button } from '@mantine/core';
import type { ViewProps } from './common';

/** Placeholder until the KPI names its usage specification. */
export function ExportCsv(_props: { application: string; unit: string; month: string } & ViewProps) {
  return <Button variant="light" disabled>Usages as CSV</Button>;
}
