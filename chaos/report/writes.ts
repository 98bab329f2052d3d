/**
 * What the run's writes did, for the reports and the runner's summary on stdout: a row per
 * activity that wrote (sent, 200 stored, 202 queued, failed by status, p50/p95/max answer time,
 * and how many of its products held their newest value at the end), and where every accepted
 * product ended (holding its newest value, not yet applied, dead-lettered, lost).
 */
import type { Journal } from '../runner/journal';
import { extrasOf, type WriteRecord } from './model';
import { percentiles, type Percentiles } from './stats';
import { recoveryOf } from './windows';

export interface WriteGroup {
  /** The activity that sent the writes, as the reports name it ("method: write-…"). */
  activity: string;
  sent: number;
  stored: number;
  queued: number;
  /** Any other answer, or none: by status ("no answer" for none). */
  failed: number;
  failedByStatus: Record<string, number>;
  latencyMs: Percentiles;
  /** Products with an accepted write in this group, and how many of them held their newest value at the end (null: unknown). */
  products: number;
  holdingAtEnd: number | null;
}

const PHASES: Record<string, string> = { before: 'hypothesis before', method: 'method', after: 'hypothesis after', rollback: 'rollback' };

/** `<phase>:<name>` (WriteRecord.activity) as the reports name it. */
export function activityLabel(activity: string | undefined): string {
  if (!activity) return '(activity not recorded)';
  const colon = activity.indexOf(':');
  const phase = activity.slice(0, colon);
  return `${PHASES[phase] ?? phase}: ${activity.slice(colon + 1)}`;
}

/** One group per activity, in the order each first sent a write. */
export function writeGroups(journal: Journal): WriteGroup[] {
  const extras = extrasOf(journal);
  const behind = extras.products?.behind;
  const byActivity = new Map<string, WriteRecord[]>();
  for (const write of [...(extras.writes ?? [])].sort((a, b) => a.sentAt - b.sentAt)) {
    const key = write.activity ?? '';
    byActivity.set(key, [...(byActivity.get(key) ?? []), write]);
  }
  return [...byActivity].map(([activity, writes]) => {
    const failedByStatus: Record<string, number> = {};
    for (const write of writes.filter((w) => w.status !== 200 && w.status !== 202)) {
      const key = write.status === 0 ? 'no answer' : String(write.status);
      failedByStatus[key] = (failedByStatus[key] ?? 0) + 1;
    }
    const stored = writes.filter((w) => w.status === 200).length;
    const queued = writes.filter((w) => w.status === 202).length;
    const products = [...new Set(writes.filter((w) => w.status === 200 || w.status === 202).map((w) => w.id))];
    return {
      activity: activityLabel(activity),
      sent: writes.length,
      stored,
      queued,
      failed: writes.length - stored - queued,
      failedByStatus,
      latencyMs: percentiles(writes.map((w) => w.answeredAt - w.sentAt)),
      products: products.length,
      holdingAtEnd: behind ? products.filter((id) => !behind.includes(id)).length : null,
    };
  });
}

/** The write groups as a table. */
export function writeTable(journal: Journal): { head: string[]; rows: string[][] } {
  return {
    head: ['writes of', 'sent', '200 stored', '202 queued', 'failed', 'p50/p95/max ms', 'products holding newest value'],
    rows: writeGroups(journal).map((group) => [
      group.activity,
      String(group.sent),
      String(group.stored),
      String(group.queued),
      group.failed === 0
        ? '0'
        : `${group.failed} (${Object.entries(group.failedByStatus)
            .map(([status, n]) => `${status}: ${n}`)
            .join(', ')})`,
      `${group.latencyMs.p50}/${group.latencyMs.p95}/${group.latencyMs.max}`,
      `${group.holdingAtEnd ?? '?'} of ${group.products}`,
    ]),
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Where the accepted products stood at the end, and the time to recover, as label/value rows; none when the run wrote nothing. */
export function endStateRows(journal: Journal): Array<[string, string]> {
  const { products, writes = [] } = extrasOf(journal);
  if (writes.length === 0) return [];
  const rows: Array<[string, string]> = [];
  if (!products) rows.push(['where the accepted products stand', 'not recorded']);
  else {
    rows.push(['products accepted (200 or 202)', String(products.accepted)]);
    if (products.holding === null || products.pending === null || products.deadLettered === null || products.lost === null)
      rows.push(['where they stand', 'unknown: the target could not be read at the end']);
    else
      rows.push(
        ['hold their newest value', String(products.holding)],
        ['not yet applied (still in a queue)', String(products.pending)],
        ['dead-lettered (in the DLQ, needs a redrive)', String(products.deadLettered)],
        ['lost (no message left to bring them)', String(products.lost)],
      );
    rows.push(['queue / DLQ at the end', `${products.queue ?? '?'} / ${products.dlq ?? '?'} messages (at ${seconds(products.at)})`]);
  }
  const recovered = recoveryOf(journal);
  if (recovered)
    rows.push([
      'time to recover',
      recovered.recoveredAt === null ? 'not before the run ended' : `${seconds(recovered.recoveredAt - recovered.faultsEnded)} after the last fault ended`,
    ]);
  return rows;
}

const pad = (text: string, width: number) => text.padEnd(width);

/** The write table and the end state as text lines, for stdout. */
export function summaryLines(journal: Journal): string[] {
  const { head, rows } = writeTable(journal);
  if (rows.length === 0) return [];
  const table = [head, ...rows];
  const widths = head.map((_, column) => Math.max(...table.map((row) => row[column]?.length ?? 0)));
  const line = (row: string[]) =>
    `  ${row.map((cell, column) => (column === 0 ? pad(cell, widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ')}`;
  return [...table.map(line), '', ...endStateRows(journal).map(([label, value]) => `  ${pad(label, 44)} ${value}`)];
}
