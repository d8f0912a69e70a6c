import type { TmfExportJobFragment, TmfProductUsageFragment } from '../operations/generated.js';
import { compact, type Json } from './common.js';
import { productUsageToV5 } from './product-usage-v5.js';

const tmfStatus = { NotStarted: 'Not Started', Running: 'Running', Succeeded: 'Succeeded', Failed: 'Failed' } as const;

/** TMF635 v5 ExportJob from the graph's. `url` is where the facade serves the file once it exists. */
export function exportJobToV5(job: TmfExportJobFragment, href: string): Json {
  return compact({
    id: job.id,
    href,
    '@type': 'ExportJob',
    creationDate: job.creationDate,
    completionDate: job.completionDate,
    contentType: job.contentType,
    path: job.path,
    query: job.query,
    status: tmfStatus[job.status],
    url: job.status === 'Succeeded' ? `${href}/file` : undefined,
    errorLog: job.errorLog,
  });
}

const csvColumns = [
  'id',
  'href',
  '@type',
  'status',
  'usageType',
  'description',
  'creationDate',
  'lastUpdate',
  'usageSpecification.id',
  'usageSpecification.name',
  'product.id',
  'relatedParty',
  'usageCharacteristic',
  'usageProductPrice',
  'externalIdentifier',
] as const;

export const csvHeader = `${csvColumns.join(',')}\r\n`;

/**
 * One CSV record (RFC 4180) of a v5 usage: scalar attributes in their own columns, lists as JSON.
 * A text cell that a spreadsheet would run as a formula (=, +, -, @) is prefixed with ' .
 */
export function csvRow(usage: Json): string {
  const cell = (value: unknown): string => {
    if (value === undefined || value === null) return '';
    let text = typeof value === 'string' ? value : JSON.stringify(value);
    if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const at = (path: string) => path.split('.').reduce<unknown>((node, key) => (node as Json | undefined)?.[key], usage);
  return `${csvColumns.map((column) => cell(at(column))).join(',')}\r\n`;
}

/** An exported record (a GraphQL-shaped usage) in the v5 representation. */
export const exportedUsageToV5 = (usage: TmfProductUsageFragment, href: string) => productUsageToV5(usage, href);
