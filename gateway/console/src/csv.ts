/**
 * CSV for the console's downloads. A text cell that starts with =, +, - or @ gets a leading ' so a
 * spreadsheet does not run it as a formula; other values than text are written as JSON.
 */
interface ExportedUsage {
  id: string;
  usageDate?: string | null;
  creationDate?: string | null;
  status?: string;
  usageType?: string | null;
  usageSpecificationRef?: { id: string } | null;
  relatedParty?: { role?: string | null; partyOrPartyRole: { id: string } }[];
  usageCharacteristic?: { name: string; value?: unknown }[];
}

const cell = (value: unknown): string => {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (typeof value === 'string' && /^[=+\-@]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

/** Rows of cells, the header first, as CSV with CRLF line ends (RFC 4180). */
export const toCsv = (rows: readonly (readonly unknown[])[]): string => rows.map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';

/**
 * Export records (one GraphQL-shaped usage per NDJSON line, as the gateway's /exports/<id> streams
 * them): fixed columns, then one column per characteristic name.
 */
export function usagesToCsv(ndjson: string): string {
  const usages = ndjson
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ExportedUsage);
  const names = [...new Set(usages.flatMap((u) => (u.usageCharacteristic ?? []).map((c) => c.name)))].sort();
  const header = ['id', 'usageDate', 'creationDate', 'status', 'usageType', 'usageSpecification.id', 'relatedParty', ...names];
  const rows = usages.map((u) => {
    const characteristics = new Map((u.usageCharacteristic ?? []).map((c) => [c.name, c.value]));
    return [
      u.id,
      u.usageDate,
      u.creationDate,
      u.status,
      u.usageType,
      u.usageSpecificationRef?.id,
      (u.relatedParty ?? []).map((p) => `${p.role ?? ''}:${p.partyOrPartyRole.id}`).join(' '),
      ...names.map((n) => characteristics.get(n)),
    ];
  });
  return toCsv([header, ...rows]);
}
