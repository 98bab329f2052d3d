/**
 * The state file the probes share within an experiment: one JSON line per write the `write`
 * probe sent, appended as each answer arrives, read back by `writes-hold` (and by the runner,
 * which puts the lines in the journal for the chart).
 */
import { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import { ProbeError } from './errors';

export interface WriteRecord {
  /** The product id: `<prefix>-<i>`. */
  id: string;
  /** `<prefix>-<i> v<k>`: what the table holds once this write is applied. */
  name: string;
  /** k, from 1: the writes of one product are sent in this order, each after the previous one's answer. */
  version: number;
  /** The API's HTTP status; 0 when no answer came (refused connection, timeout). */
  status: number;
  /** Epoch ms, just before the request was sent. */
  sentAt: number;
  /** Epoch ms, when the answer (or the failure) came. */
  answeredAt: number;
  /** The answer's Retry-After header as sent, or null without one. */
  retryAfter: string | null;
  /** The experiment activity that sent it, `<phase>:<name>` (the runner's CHAOS_ACTIVITY), when a runner did. */
  activity?: string;
}

/** The environment variable the runner sets for a process activity: `<phase>:<name>`, recorded with each write. */
export const ACTIVITY_ENV = 'CHAOS_ACTIVITY';

/** Accepted by the API: stored (200) or queued (202). */
export const isAccepted = (record: Pick<WriteRecord, 'status'>) => record.status === 200 || record.status === 202;

/** Appends one record as a JSON line, creating the file and its folder if needed. */
export function appendRecord(file: string, record: WriteRecord): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  appendFileSync(file, `${JSON.stringify(record)}\n`);
}

function isRecord(value: unknown): value is WriteRecord {
  const r = value as Partial<WriteRecord> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.id === 'string' &&
    typeof r.name === 'string' &&
    typeof r.version === 'number' &&
    typeof r.status === 'number' &&
    typeof r.sentAt === 'number' &&
    typeof r.answeredAt === 'number' &&
    (r.retryAfter === null || typeof r.retryAfter === 'string') &&
    (r.activity === undefined || typeof r.activity === 'string')
  );
}

/** Every record of the file, in file order; a missing file or a line that is not a record is a ProbeError. */
export function readRecords(file: string): WriteRecord[] {
  if (!existsSync(file)) throw new ProbeError(`The state file ${file} does not exist: run the write probe with --state ${file} first.`);
  const records: WriteRecord[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      if (line.trim() === '') return;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new ProbeError(`Line ${index + 1} of ${file} is not JSON: ${line.slice(0, 80)}`);
      }
      if (!isRecord(value))
        throw new ProbeError(`Line ${index + 1} of ${file} is not a write record {id, name, version, status, sentAt, answeredAt, retryAfter}.`);
      records.push(value);
    });
  return records;
}

/**
 * The records appended to `file` since the last call, for a reader that follows the file while
 * probes write it: a line not yet complete waits for the next call; a line that is not a record
 * is skipped (the probes' own check reports it).
 */
export function recordTail(file: string): () => WriteRecord[] {
  let offset = 0;
  // Bytes after the last newline read: a line still being written (split anywhere, even inside a character).
  let partial = Buffer.alloc(0);
  return () => {
    if (!existsSync(file)) return [];
    const fd = openSync(file, 'r');
    let bytes: Buffer;
    try {
      bytes = Buffer.alloc(Math.max(0, fstatSync(fd).size - offset));
      offset += readSync(fd, bytes, 0, bytes.length, offset);
    } finally {
      closeSync(fd);
    }
    const all = Buffer.concat([partial, bytes]);
    const end = all.lastIndexOf(0x0a) + 1;
    partial = all.subarray(end);
    return all
      .subarray(0, end)
      .toString('utf8')
      .split('\n')
      .flatMap((line) => {
        try {
          const value: unknown = JSON.parse(line);
          return isRecord(value) ? [value] : [];
        } catch {
          return [];
        }
      });
  };
}
