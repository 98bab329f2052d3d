/**
 * What the Logs service keeps: the log groups of each account and region, their streams and
 * events; the positions its read tokens name; the names and ARNs; and AWS's errors for them.
 */
import { randomBytes } from 'node:crypto';
import type { JsonInput } from '../../protocol/json';
import { AwsError, type Scope } from '../../protocol/service';

export const INVALID_PARAMETER = 'InvalidParameterException';

/** The events a stream keeps (the oldest go first): about 5 MB of function log lines. */
export const MAX_EVENTS_PER_STREAM = 10_000;

// AWS's own messages, which SDK users and the provider's tests match on.
const groupNotFound = () => new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
export const streamNotFound = () => new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');
export const badToken = () => new AwsError(INVALID_PARAMETER, 'The specified nextToken is invalid.');

export interface InputLogEvent {
  timestamp: number;
  message: string;
}

export interface LogEvent extends InputLogEvent {
  ingestionTime: number;
  /** Ingestion order, even numbers: breaks timestamp ties, and `seq - 1` is the gap just before the event (see Position). */
  seq: number;
}

export interface LogStream {
  name: string;
  creationTime: number;
  /** Sorted by timestamp, then ingestion order, as the reads return them. */
  events: LogEvent[];
  lastIngestionTime?: number;
  /** Events ingested so far: the sequence token. */
  ingested: number;
}

export interface LogGroup {
  name: string;
  creationTime: number;
  retentionInDays?: number;
  kmsKeyId?: string;
  logGroupClass: string;
  tags: Map<string, string>;
  streams: Map<string, LogStream>;
}

/**
 * A place between events, for the read tokens: after the event (timestamp, seq) when `at` is
 * its seq, before it when `at` is seq - 1. Tokens stay valid while events are added, even
 * events older than the ones already read.
 */
interface Position {
  timestamp: number;
  at: number;
}

export const START: Position = { timestamp: 0, at: 0 };
export const isAfter = (event: LogEvent, position: Position) =>
  event.timestamp > position.timestamp || (event.timestamp === position.timestamp && event.seq > position.at);
export const after = (event: LogEvent): Position => ({ timestamp: event.timestamp, at: event.seq });
export const before = (event: LogEvent): Position => ({ timestamp: event.timestamp, at: event.seq - 1 });
export const encode = (position: Position) => `${position.timestamp}/${position.at}`;

export function decode(token: string): Position {
  const match = /^(\d+)\/(\d+)$/.exec(token);
  if (!match) throw badToken();
  return { timestamp: Number(match[1]), at: Number(match[2]) };
}

/** A Lambda function's stream name for an execution environment started on `date`: `2026/11/27/[$LATEST]<32 hex>`. */
export function lambdaLogStreamName(date = new Date(), version = '$LATEST'): string {
  const day = date.toISOString().slice(0, 10).replaceAll('-', '/');
  return `${day}/[${version}]${randomBytes(16).toString('hex')}`;
}

const arnPrefix = ({ region, accountId }: Scope) => `arn:aws:logs:${region}:${accountId}:log-group:`;

/** A log group's ARN, as tagging takes it and `logGroupArn` shows it (`arn` adds `:*`). */
export const logGroupArn = (scope: Scope, name: string) => `${arnPrefix(scope)}${name}`;

/** The page of `items` a nextToken (an offset) asks for, and the token of the next page. */
export function pageByToken<T>(items: T[], limit: number, nextToken: string | undefined): { page: T[]; nextToken?: string } {
  const start = nextToken === undefined ? 0 : Number(nextToken);
  if (!Number.isInteger(start) || start < 0 || start > items.length) throw badToken();
  const end = start + limit;
  return { page: items.slice(start, end), ...(end < items.length ? { nextToken: String(end) } : {}) };
}

export function limitOf(input: JsonInput, max: number): number {
  const limit = input.optionalNumber('limit');
  if (limit === undefined) return max;
  if (!Number.isInteger(limit) || limit < 1) throw input.invalid('limit', limit, 'Member must have value greater than or equal to 1');
  if (limit > max) throw input.invalid('limit', limit, `Member must have value less than or equal to ${max}`);
  return limit;
}

/** The log groups of each account and region, and the ingestion order of every event. */
export class LogsStore {
  private readonly scopes = new Map<string, Map<string, LogGroup>>();
  private seq = 0;

  groups({ region, accountId }: Scope): Map<string, LogGroup> {
    const key = `${accountId}/${region}`;
    let groups = this.scopes.get(key);
    if (!groups) this.scopes.set(key, (groups = new Map()));
    return groups;
  }

  /** The next event's `seq`: even, so the odd number before it names the gap before the event. */
  nextSeq(): number {
    return (this.seq += 2);
  }

  addGroup(groups: Map<string, LogGroup>, name: string, options: Partial<Pick<LogGroup, 'kmsKeyId' | 'logGroupClass' | 'tags'>>): LogGroup {
    const group: LogGroup = { name, creationTime: Date.now(), logGroupClass: 'STANDARD', tags: new Map(), streams: new Map(), ...options };
    groups.set(name, group);
    return group;
  }

  /** The group a call names, by logGroupName or logGroupIdentifier (a name or an ARN). */
  groupNamed(input: JsonInput, scope: Scope): LogGroup {
    const name = input.optionalString('logGroupName');
    const identifier = input.optionalString('logGroupIdentifier');
    if (name !== undefined && identifier !== undefined)
      throw new AwsError(INVALID_PARAMETER, 'LogGroup name and LogGroup ARN are mutually exclusive parameters.');
    if (identifier !== undefined) return identifier.startsWith('arn:') ? this.groupByArn(identifier, scope) : this.group(scope, identifier);
    return this.group(scope, input.string('logGroupName'));
  }

  private group(scope: Scope, name: string): LogGroup {
    const group = this.groups(scope).get(name);
    if (!group) throw groupNotFound();
    return group;
  }

  /** A group by its ARN, with or without the `:*` that DescribeLogGroups' `arn` carries. */
  groupByArn(arn: string, scope: Scope): LogGroup {
    const match = /^arn:aws[a-z-]*:logs:([a-z0-9-]+):(\d{12}):log-group:([^:]+)(?::\*)?$/.exec(arn);
    if (!match?.[1] || !match[2] || !match[3]) throw new AwsError(INVALID_PARAMETER, `Invalid ARN: ${arn}`);
    return this.group({ ...scope, region: match[1], accountId: match[2] }, match[3]);
  }
}
