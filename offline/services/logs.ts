/**
 * CloudWatch Logs, in memory: the log groups, retention and tags the Terraform provider manages,
 * and the streams where the runtime appends each function's log lines, read back as AWS users
 * read them (GetLogEvents, and FilterLogEvents, which `aws logs tail` polls). Groups live per
 * account and region, as on AWS. A stream keeps its newest MAX_EVENTS_PER_STREAM events, so a
 * long run (a soak) does not grow the runtime's memory without bound. Not emulated: retention
 * expiring events, metric and subscription filters, queries, KMS, StartLiveTail (an HTTP/2 event stream).
 */
import { randomBytes } from 'node:crypto';
import { localstack, region as defaultRegion } from '#spec';
import { jsonErrorResponse, jsonHandler, type JsonInput, targetOperation } from '../protocol/json';
import { AwsError, type AwsRequest, type AwsService, type CallShape } from '../protocol/service';

const INVALID = 'InvalidParameterException';

/** The events a stream keeps (the oldest go first): about 5 MB of function log lines. */
export const MAX_EVENTS_PER_STREAM = 10_000;

/** The values PutRetentionPolicy accepts. */
export const RETENTION_DAYS: readonly number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const LOG_GROUP_CLASSES = ['STANDARD', 'INFREQUENT_ACCESS', 'DELIVERY'];

// AWS's own messages, which SDK users and the provider's tests match on.
const groupNotFound = () => new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
const streamNotFound = () => new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');
const badToken = () => new AwsError(INVALID, 'The specified nextToken is invalid.');

export interface LogLine {
  timestamp: number;
  message: string;
}

interface LogEvent extends LogLine {
  ingestionTime: number;
  /** Ingestion order, even numbers: breaks timestamp ties, and `seq - 1` is the gap just before the event (see Position). */
  seq: number;
}

interface LogStream {
  name: string;
  creationTime: number;
  /** Sorted by timestamp, then ingestion order, as the reads return them. */
  events: LogEvent[];
  lastIngestionTime?: number;
  /** Events ingested so far: the sequence token. */
  ingested: number;
}

interface LogGroup {
  name: string;
  creationTime: number;
  retentionInDays?: number;
  kmsKeyId?: string;
  logGroupClass: string;
  tags: Map<string, string>;
  streams: Map<string, LogStream>;
}

interface Scope {
  region: string;
  accountId: string;
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

const START: Position = { timestamp: 0, at: 0 };
const isAfter = (event: LogEvent, position: Position) =>
  event.timestamp > position.timestamp || (event.timestamp === position.timestamp && event.seq > position.at);
const after = (event: LogEvent): Position => ({ timestamp: event.timestamp, at: event.seq });
const before = (event: LogEvent): Position => ({ timestamp: event.timestamp, at: event.seq - 1 });
const encode = (position: Position) => `${position.timestamp}/${position.at}`;

function decode(token: string): Position {
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

/**
 * FilterLogEvents' filterPattern, in the subset of AWS's term syntax the runtime supports: terms
 * separated by spaces must all occur in the message; a term in double quotes may hold spaces
 * and punctuation ("Task failed"); `?term`s match when any of them occurs; `-term` excludes.
 * Matching is case-sensitive, as on AWS. JSON (`{ $.level = ... }`), space-delimited
 * (`[ip, user, ...]`) and regular-expression (`%...%`) patterns are refused.
 */
export function filterPatternMatcher(pattern: string | undefined): (message: string) => boolean {
  if (pattern === undefined || pattern.trim() === '') return () => true;
  if (/^\s*[{[%]/.test(pattern))
    throw new AwsError(INVALID, 'Invalid filter pattern: the offline runtime supports term patterns only (terms, "quoted terms", ?any, -excluded).');
  const all: string[] = [];
  const any: string[] = [];
  const none: string[] = [];
  for (const [, sign, quoted, bare] of pattern.matchAll(/([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)) {
    const term = quoted === undefined ? (bare ?? '') : quoted.replace(/\\(.)/g, '$1');
    (sign === '?' ? any : sign === '-' ? none : all).push(term);
  }
  return (message) =>
    all.every((term) => message.includes(term)) &&
    (any.length === 0 || any.some((term) => message.includes(term))) &&
    !none.some((term) => message.includes(term));
}

/** The page of `items` a nextToken (an offset) asks for, and the token of the next page. */
function paginate<T>(items: T[], limit: number, nextToken: string | undefined): { page: T[]; nextToken?: string } {
  const start = nextToken === undefined ? 0 : Number(nextToken);
  if (!Number.isInteger(start) || start < 0 || start > items.length) throw badToken();
  const end = start + limit;
  return { page: items.slice(start, end), ...(end < items.length ? { nextToken: String(end) } : {}) };
}

function limitOf(input: JsonInput, max: number): number {
  const limit = input.optionalNumber('limit');
  if (limit === undefined) return max;
  if (!Number.isInteger(limit) || limit < 1) throw input.invalid('limit', limit, 'Member must have value greater than or equal to 1');
  if (limit > max) throw input.invalid('limit', limit, `Member must have value less than or equal to ${max}`);
  return limit;
}

const bytes = (group: LogGroup) =>
  [...group.streams.values()].reduce((sum, stream) => sum + stream.events.reduce((n, event) => n + Buffer.byteLength(event.message), 0), 0);

const TARGET_PREFIX = 'Logs_20140328';

export class LogsService implements AwsService {
  readonly names = ['logs'] as const;
  private readonly scopes = new Map<string, Map<string, LogGroup>>();
  private seq = 0;

  /** `home` is where `append` writes: the runtime's region and account. */
  constructor(private readonly home: Scope = { region: defaultRegion, accountId: localstack.accountId }) {}

  readonly operationOf = (call: CallShape) => targetOperation(call.headers['x-amz-target'], TARGET_PREFIX);
  readonly errorResponse = (error: AwsError, requestId: string) => jsonErrorResponse(error, '1.1', requestId);

  readonly handle = jsonHandler({
    targetPrefix: TARGET_PREFIX,
    version: '1.1',
    validationError: INVALID,
    operations: {
      CreateLogGroup: (input, request) => this.createLogGroup(input, scopeOf(request)),
      DeleteLogGroup: (input, request) => void this.groups(scopeOf(request)).delete(this.groupNamed(input, scopeOf(request)).name),
      DescribeLogGroups: (input, request) => this.describeLogGroups(input, scopeOf(request)),
      PutRetentionPolicy: (input, request) => this.putRetentionPolicy(input, scopeOf(request)),
      DeleteRetentionPolicy: (input, request) => void delete this.groupNamed(input, scopeOf(request)).retentionInDays,
      ListTagsLogGroup: (input, request) => ({ tags: Object.fromEntries(this.groupNamed(input, scopeOf(request)).tags) }),
      TagLogGroup: (input, request) => tag(this.groupNamed(input, scopeOf(request)), requiredTags(input)),
      UntagLogGroup: (input, request) => untag(this.groupNamed(input, scopeOf(request)), input.optionalStrings('tags') ?? []),
      ListTagsForResource: (input, request) => ({ tags: Object.fromEntries(this.groupByArn(input.string('resourceArn'), scopeOf(request)).tags) }),
      TagResource: (input, request) => tag(this.groupByArn(input.string('resourceArn'), scopeOf(request)), requiredTags(input)),
      UntagResource: (input, request) => untag(this.groupByArn(input.string('resourceArn'), scopeOf(request)), input.optionalStrings('tagKeys') ?? []),
      CreateLogStream: (input, request) => void this.createLogStream(this.groupNamed(input, scopeOf(request)), input.string('logStreamName')),
      DeleteLogStream: (input, request) => this.deleteLogStream(this.groupNamed(input, scopeOf(request)), input.string('logStreamName')),
      DescribeLogStreams: (input, request) => this.describeLogStreams(input, scopeOf(request)),
      PutLogEvents: (input, request) => this.putLogEvents(input, scopeOf(request)),
      GetLogEvents: (input, request) => this.getLogEvents(input, scopeOf(request)),
      FilterLogEvents: (input, request) => this.filterLogEvents(input, scopeOf(request)),
    },
  });

  /**
   * Appends a function's log lines to its group, creating the stream, and the group, if needed:
   * Lambda does both when the role allows it (AWSLambdaBasicExecutionRole does).
   */
  append(groupName: string, streamName: string, lines: readonly LogLine[]): void {
    const groups = this.groups(this.home);
    const group = groups.get(groupName) ?? this.addGroup(groups, groupName, {});
    const stream = group.streams.get(streamName) ?? this.createLogStream(group, streamName);
    this.store(stream, lines);
  }

  /** Whether the group exists in the runtime's region and account. */
  hasGroup(groupName: string): boolean {
    return this.groups(this.home).has(groupName);
  }

  private groups({ region, accountId }: Scope): Map<string, LogGroup> {
    const key = `${accountId}/${region}`;
    let groups = this.scopes.get(key);
    if (!groups) this.scopes.set(key, (groups = new Map()));
    return groups;
  }

  private addGroup(groups: Map<string, LogGroup>, name: string, options: Partial<Pick<LogGroup, 'kmsKeyId' | 'logGroupClass' | 'tags'>>): LogGroup {
    const group: LogGroup = { name, creationTime: Date.now(), logGroupClass: 'STANDARD', tags: new Map(), streams: new Map(), ...options };
    groups.set(name, group);
    return group;
  }

  /** The group a call names, by logGroupName or logGroupIdentifier (a name or an ARN). */
  private groupNamed(input: JsonInput, scope: Scope): LogGroup {
    const name = input.optionalString('logGroupName');
    const identifier = input.optionalString('logGroupIdentifier');
    if (name !== undefined && identifier !== undefined) throw new AwsError(INVALID, 'LogGroup name and LogGroup ARN are mutually exclusive parameters.');
    if (identifier !== undefined) return identifier.startsWith('arn:') ? this.groupByArn(identifier, scope) : this.group(scope, identifier);
    return this.group(scope, input.string('logGroupName'));
  }

  private group(scope: Scope, name: string): LogGroup {
    const group = this.groups(scope).get(name);
    if (!group) throw groupNotFound();
    return group;
  }

  /** A group by its ARN, with or without the `:*` that DescribeLogGroups' `arn` carries. */
  private groupByArn(arn: string, scope: Scope): LogGroup {
    const match = /^arn:aws[a-z-]*:logs:([a-z0-9-]+):(\d{12}):log-group:([^:]+)(?::\*)?$/.exec(arn);
    if (!match?.[1] || !match[2] || !match[3]) throw new AwsError(INVALID, `Invalid ARN: ${arn}`);
    return this.group({ ...scope, region: match[1], accountId: match[2] }, match[3]);
  }

  private createLogGroup(input: JsonInput, scope: Scope): void {
    const name = input.string('logGroupName');
    if (!/^[.\-_/#A-Za-z0-9]{1,512}$/.test(name))
      throw input.invalid('logGroupName', name, 'Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+');
    const logGroupClass = input.optionalString('logGroupClass') ?? 'STANDARD';
    if (!LOG_GROUP_CLASSES.includes(logGroupClass))
      throw input.invalid('logGroupClass', logGroupClass, `Member must satisfy enum value set: [${LOG_GROUP_CLASSES.join(', ')}]`);
    const groups = this.groups(scope);
    if (groups.has(name)) throw new AwsError('ResourceAlreadyExistsException', 'The specified log group already exists');
    const kmsKeyId = input.optionalString('kmsKeyId');
    this.addGroup(groups, name, {
      logGroupClass,
      tags: new Map(Object.entries(input.optionalStringMap('tags') ?? {})),
      ...(kmsKeyId === undefined ? {} : { kmsKeyId }),
    });
  }

  private describeLogGroups(input: JsonInput, scope: Scope) {
    const prefix = input.optionalString('logGroupNamePrefix');
    const pattern = input.optionalString('logGroupNamePattern')?.toLowerCase();
    if (prefix !== undefined && pattern !== undefined)
      throw new AwsError(INVALID, 'LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.');
    const identifiers = input
      .optionalStrings('logGroupIdentifiers')
      ?.map((id) => (id.startsWith('arn:') ? id.replace(/^.*:log-group:([^:]+)(:\*)?$/, '$1') : id));
    const logGroupClass = input.optionalString('logGroupClass');
    const groups = [...this.groups(scope).values()]
      .filter(
        (group) =>
          (prefix === undefined || group.name.startsWith(prefix)) &&
          (pattern === undefined || group.name.toLowerCase().includes(pattern)) &&
          (identifiers === undefined || identifiers.includes(group.name)) &&
          (logGroupClass === undefined || group.logGroupClass === logGroupClass),
      )
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const { page, nextToken } = paginate(groups, limitOf(input, 50), input.optionalString('nextToken'));
    return {
      logGroups: page.map((group) => ({
        logGroupName: group.name,
        creationTime: group.creationTime,
        ...(group.retentionInDays === undefined ? {} : { retentionInDays: group.retentionInDays }),
        metricFilterCount: 0,
        arn: `${logGroupArn(scope, group.name)}:*`,
        storedBytes: bytes(group),
        ...(group.kmsKeyId === undefined ? {} : { kmsKeyId: group.kmsKeyId }),
        logGroupClass: group.logGroupClass,
        logGroupArn: logGroupArn(scope, group.name),
      })),
      ...(nextToken === undefined ? {} : { nextToken }),
    };
  }

  private putRetentionPolicy(input: JsonInput, scope: Scope): void {
    const group = this.groupNamed(input, scope);
    const days = input.optionalNumber('retentionInDays');
    if (days === undefined) throw input.invalid('retentionInDays', undefined, 'Member must not be null');
    if (!RETENTION_DAYS.includes(days)) throw input.invalid('retentionInDays', days, `Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`);
    group.retentionInDays = days;
  }

  private createLogStream(group: LogGroup, name: string): LogStream {
    if (!/^[^:*]{1,512}$/.test(name))
      throw new AwsError(
        INVALID,
        `1 validation error detected: Value '${name}' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*`,
      );
    if (group.streams.has(name)) throw new AwsError('ResourceAlreadyExistsException', 'The specified log stream already exists');
    const stream: LogStream = { name, creationTime: Date.now(), events: [], ingested: 0 };
    group.streams.set(name, stream);
    return stream;
  }

  private deleteLogStream(group: LogGroup, name: string): void {
    if (!group.streams.delete(name)) throw streamNotFound();
  }

  private stream(group: LogGroup, name: string): LogStream {
    const stream = group.streams.get(name);
    if (!stream) throw streamNotFound();
    return stream;
  }

  private describeLogStreams(input: JsonInput, scope: Scope) {
    const group = this.groupNamed(input, scope);
    const prefix = input.optionalString('logStreamNamePrefix');
    const orderBy = input.optionalString('orderBy') ?? 'LogStreamName';
    if (orderBy !== 'LogStreamName' && orderBy !== 'LastEventTime')
      throw input.invalid('orderBy', orderBy, 'Member must satisfy enum value set: [LogStreamName, LastEventTime]');
    if (orderBy === 'LastEventTime' && prefix !== undefined) throw new AwsError(INVALID, 'Cannot order by LastEventTime with a logStreamNamePrefix.');
    const key = (stream: LogStream) => (orderBy === 'LogStreamName' ? stream.name : (stream.events.at(-1)?.timestamp ?? 0));
    const streams = [...group.streams.values()]
      .filter((stream) => prefix === undefined || stream.name.startsWith(prefix))
      .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    if (input.optionalBoolean('descending')) streams.reverse();
    const { page, nextToken } = paginate(streams, limitOf(input, 50), input.optionalString('nextToken'));
    return {
      logStreams: page.map((stream) => ({
        logStreamName: stream.name,
        creationTime: stream.creationTime,
        ...(stream.events.length === 0
          ? {}
          : {
              firstEventTimestamp: stream.events[0]?.timestamp,
              lastEventTimestamp: stream.events.at(-1)?.timestamp,
              lastIngestionTime: stream.lastIngestionTime,
            }),
        uploadSequenceToken: sequenceToken(stream),
        arn: `${logGroupArn(scope, group.name)}:log-stream:${stream.name}`,
        // Deprecated by AWS, which always answers 0.
        storedBytes: 0,
      })),
      ...(nextToken === undefined ? {} : { nextToken }),
    };
  }

  private putLogEvents(input: JsonInput, scope: Scope) {
    const stream = this.stream(this.groupNamed(input, scope), input.string('logStreamName'));
    const events = input.optionalStructures('logEvents') ?? [];
    if (events.length === 0) throw input.invalid('logEvents', [], 'Member must have length greater than or equal to 1');
    const lines = events.map((event) => {
      const timestamp = event.optionalNumber('timestamp');
      if (timestamp === undefined || !Number.isInteger(timestamp) || timestamp < 0)
        throw event.invalid('logEvents.member.timestamp', timestamp, 'Member must have value greater than or equal to 0');
      return { timestamp, message: event.string('message') };
    });
    if (lines.some((line, i) => i > 0 && line.timestamp < (lines[i - 1]?.timestamp ?? 0)))
      throw new AwsError(INVALID, 'Log events in a single PutLogEvents request must be in chronological order.');
    this.store(stream, lines);
    return { nextSequenceToken: sequenceToken(stream) };
  }

  /** Inserts lines in timestamp order: a later call may carry older events, and the reads return them sorted. */
  private store(stream: LogStream, lines: readonly LogLine[]): void {
    const ingestionTime = Date.now();
    for (const { timestamp, message } of lines) {
      const event: LogEvent = { timestamp, message, ingestionTime, seq: (this.seq += 2) };
      let low = 0;
      let high = stream.events.length;
      while (low < high) {
        const mid = (low + high) >> 1;
        if ((stream.events[mid]?.timestamp ?? 0) <= timestamp) low = mid + 1;
        else high = mid;
      }
      stream.events.splice(low, 0, event);
    }
    // Trimmed in chunks, so the copy this costs happens once per thousand events, not on each.
    if (stream.events.length > MAX_EVENTS_PER_STREAM + 1_000) stream.events.splice(0, stream.events.length - MAX_EVENTS_PER_STREAM);
    stream.lastIngestionTime = ingestionTime;
    stream.ingested += lines.length;
  }

  /**
   * GetLogEvents as AWS pages it: without a token, the first `limit` events of the time window
   * when startFromHead, else the last; nextForwardToken (`f/…`) reads on after the page,
   * nextBackwardToken (`b/…`) back before it, and at the end of the stream the same token comes back.
   */
  private getLogEvents(input: JsonInput, scope: Scope) {
    const stream = this.stream(this.groupNamed(input, scope), input.string('logStreamName'));
    const limit = limitOf(input, 10_000);
    const inWindow = timeWindow(input, false);
    const window = stream.events.filter((event) => inWindow(event.timestamp));
    const token = input.optionalString('nextToken');
    let page: LogEvent[];
    let position = START;
    if (token === undefined) {
      page = input.optionalBoolean('startFromHead') ? window.slice(0, limit) : window.slice(-limit);
    } else {
      const direction = token.slice(0, 2);
      if (direction !== 'f/' && direction !== 'b/') throw badToken();
      position = decode(token.slice(2));
      page =
        direction === 'f/'
          ? window.filter((event) => isAfter(event, position)).slice(0, limit)
          : window.filter((event) => !isAfter(event, position)).slice(-limit);
    }
    const first = page[0];
    const last = page.at(-1);
    return {
      events: page.map(({ timestamp, message, ingestionTime }) => ({ timestamp, message, ingestionTime })),
      nextForwardToken: `f/${encode(last ? after(last) : position)}`,
      nextBackwardToken: `b/${encode(first ? before(first) : position)}`,
    };
  }

  /** FilterLogEvents: the matching events of the chosen streams, interleaved by timestamp; nextToken while more match. */
  private filterLogEvents(input: JsonInput, scope: Scope) {
    const group = this.groupNamed(input, scope);
    const names = input.optionalStrings('logStreamNames');
    const prefix = input.optionalString('logStreamNamePrefix');
    if (names !== undefined && prefix !== undefined) throw new AwsError(INVALID, 'logStreamNames and logStreamNamePrefix are mutually exclusive parameters.');
    const streams = [...group.streams.values()].filter(
      (stream) => (names === undefined || names.includes(stream.name)) && (prefix === undefined || stream.name.startsWith(prefix)),
    );
    const limit = limitOf(input, 10_000);
    const inWindow = timeWindow(input, true);
    const matches = filterPatternMatcher(input.optionalString('filterPattern'));
    const token = input.optionalString('nextToken');
    const from = token === undefined ? START : decode(token);
    const found = streams
      .flatMap((stream) =>
        stream.events
          .filter((event) => isAfter(event, from) && inWindow(event.timestamp) && matches(event.message))
          .map((event) => ({ stream: stream.name, event })),
      )
      .sort((a, b) => a.event.timestamp - b.event.timestamp || a.event.seq - b.event.seq);
    const page = found.slice(0, limit);
    const last = page.at(-1);
    return {
      events: page.map(({ stream, event }) => ({
        logStreamName: stream,
        timestamp: event.timestamp,
        message: event.message,
        ingestionTime: event.ingestionTime,
        eventId: String(event.seq).padStart(20, '0'),
      })),
      searchedLogStreams: streams.map((stream) => ({ logStreamName: stream.name, searchedCompletely: true })),
      ...(found.length > limit && last ? { nextToken: encode(after(last.event)) } : {}),
    };
  }
}

const scopeOf = (request: AwsRequest): Scope => ({ region: request.region, accountId: request.accountId });

function requiredTags(input: JsonInput): Record<string, string> {
  const tags = input.optionalStringMap('tags');
  if (tags === undefined) throw input.invalid('tags', undefined, 'Member must not be null');
  return tags;
}

function tag(group: LogGroup, tags: Record<string, string>): void {
  for (const [key, value] of Object.entries(tags)) group.tags.set(key, value);
}

function untag(group: LogGroup, keys: readonly string[]): void {
  for (const key of keys) group.tags.delete(key);
}

/** startTime is inclusive; endTime is exclusive for GetLogEvents and inclusive for FilterLogEvents, as AWS documents them. */
function timeWindow(input: JsonInput, endInclusive: boolean): (timestamp: number) => boolean {
  const start = input.optionalNumber('startTime');
  const end = input.optionalNumber('endTime');
  return (timestamp) => (start === undefined || timestamp >= start) && (end === undefined || timestamp < end || (endInclusive && timestamp === end));
}

/** AWS's 56-digit sequence tokens, which it no longer checks; this one counts what the stream ingested. */
const sequenceToken = (stream: LogStream) => String(stream.ingested).padStart(56, '0');
