/** A group's streams and their events: written in timestamp order, read back in pages with tokens that stay valid. */
import type { JsonInput } from '../../protocol/json';
import { AwsError, type Scope } from '../../protocol/service';
import { filterPatternMatcher, timeWindow } from './filter';
import {
  after,
  badToken,
  before,
  decode,
  encode,
  INVALID_PARAMETER,
  isAfter,
  limitOf,
  type LogEvent,
  type LogGroup,
  type InputLogEvent,
  logGroupArn,
  type LogsStore,
  type LogStream,
  MAX_EVENTS_PER_STREAM,
  pageByToken,
  START,
  streamNotFound,
} from './model';

/** AWS's 56-digit sequence tokens, which it no longer checks; this one counts what the stream ingested. */
const sequenceToken = (stream: LogStream) => String(stream.ingested).padStart(56, '0');

export function createLogStream(group: LogGroup, name: string): LogStream {
  if (!/^[^:*]{1,512}$/.test(name))
    throw new AwsError(
      INVALID_PARAMETER,
      `1 validation error detected: Value '${name}' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*`,
    );
  if (group.streams.has(name)) throw new AwsError('ResourceAlreadyExistsException', 'The specified log stream already exists');
  const stream: LogStream = { name, creationTime: Date.now(), events: [], ingested: 0 };
  group.streams.set(name, stream);
  return stream;
}

export function deleteLogStream(group: LogGroup, name: string): void {
  if (!group.streams.delete(name)) throw streamNotFound();
}

function streamOf(group: LogGroup, name: string): LogStream {
  const stream = group.streams.get(name);
  if (!stream) throw streamNotFound();
  return stream;
}

export function describeLogStreams(store: LogsStore, input: JsonInput, scope: Scope) {
  const group = store.groupNamed(input, scope);
  const prefix = input.optionalString('logStreamNamePrefix');
  const orderBy = input.optionalString('orderBy') ?? 'LogStreamName';
  if (orderBy !== 'LogStreamName' && orderBy !== 'LastEventTime')
    throw input.invalid('orderBy', orderBy, 'Member must satisfy enum value set: [LogStreamName, LastEventTime]');
  if (orderBy === 'LastEventTime' && prefix !== undefined) throw new AwsError(INVALID_PARAMETER, 'Cannot order by LastEventTime with a logStreamNamePrefix.');
  const key = (stream: LogStream) => (orderBy === 'LogStreamName' ? stream.name : (stream.events.at(-1)?.timestamp ?? 0));
  const streams = [...group.streams.values()]
    .filter((stream) => prefix === undefined || stream.name.startsWith(prefix))
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  if (input.optionalBoolean('descending')) streams.reverse();
  const { page, nextToken } = pageByToken(streams, limitOf(input, 50), input.optionalString('nextToken'));
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

export function putLogEvents(store: LogsStore, input: JsonInput, scope: Scope) {
  const stream = streamOf(store.groupNamed(input, scope), input.string('logStreamName'));
  const events = input.optionalStructures('logEvents') ?? [];
  if (events.length === 0) throw input.invalid('logEvents', [], 'Member must have length greater than or equal to 1');
  const lines = events.map((event) => {
    const timestamp = event.optionalNumber('timestamp');
    if (timestamp === undefined || !Number.isInteger(timestamp) || timestamp < 0)
      throw event.invalid('logEvents.member.timestamp', timestamp, 'Member must have value greater than or equal to 0');
    return { timestamp, message: event.string('message') };
  });
  if (lines.some((line, i) => i > 0 && line.timestamp < (lines[i - 1]?.timestamp ?? 0)))
    throw new AwsError(INVALID_PARAMETER, 'Log events in a single PutLogEvents request must be in chronological order.');
  storeLines(store, stream, lines);
  return { nextSequenceToken: sequenceToken(stream) };
}

/** Inserts lines in timestamp order: a later call may carry older events, and the reads return them sorted. */
export function storeLines(store: LogsStore, stream: LogStream, lines: readonly InputLogEvent[]): void {
  const ingestionTime = Date.now();
  for (const { timestamp, message } of lines) {
    const event: LogEvent = { timestamp, message, ingestionTime, seq: store.nextSeq() };
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
export function getLogEvents(store: LogsStore, input: JsonInput, scope: Scope) {
  const stream = streamOf(store.groupNamed(input, scope), input.string('logStreamName'));
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
export function filterLogEvents(store: LogsStore, input: JsonInput, scope: Scope) {
  const group = store.groupNamed(input, scope);
  const names = input.optionalStrings('logStreamNames');
  const prefix = input.optionalString('logStreamNamePrefix');
  if (names !== undefined && prefix !== undefined)
    throw new AwsError(INVALID_PARAMETER, 'logStreamNames and logStreamNamePrefix are mutually exclusive parameters.');
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
