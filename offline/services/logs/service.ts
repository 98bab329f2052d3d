/**
 * CloudWatch Logs, in memory: the log groups, retention and tags the Terraform provider manages,
 * and the streams where the runtime appends each function's log lines, read back as AWS users
 * read them (GetLogEvents, and FilterLogEvents, which `aws logs tail` polls). Groups live per
 * account and region, as on AWS. A stream keeps its newest MAX_EVENTS_PER_STREAM events, so a
 * long run (a soak) does not grow the runtime's memory without bound. Not emulated: retention
 * expiring events, metric and subscription filters, queries, KMS, StartLiveTail (an HTTP/2 event stream).
 *
 * What it keeps is in model.ts; the operations on groups in groups.ts, on streams and events in events.ts.
 */
import { localstack, region as defaultRegion } from '#spec';
import { jsonErrorResponse, jsonHandler, type JsonInput, targetOperation } from '../../protocol/json';
import { type AwsError, type AwsRequest, type AwsService, type CallShape, type Scope, scopeOf } from '../../protocol/service';
import * as events from './events';
import * as groups from './groups';
import { INVALID_PARAMETER, type InputLogEvent, LogsStore } from './model';

const TARGET_PREFIX = 'Logs_20140328';

export class LogsService implements AwsService {
  readonly names = ['logs'] as const;
  private readonly store = new LogsStore();

  /** `home` is where `append` writes: the runtime's region and account. */
  constructor(private readonly home: Scope = { region: defaultRegion, accountId: localstack.accountId }) {}

  readonly operationOf = (call: CallShape) => targetOperation(call.headers['x-amz-target'], TARGET_PREFIX);
  readonly errorResponse = (error: AwsError, requestId: string) => jsonErrorResponse(error, '1.1', requestId);

  readonly handle = jsonHandler({
    targetPrefix: TARGET_PREFIX,
    version: '1.1',
    validationError: INVALID_PARAMETER,
    operations: {
      CreateLogGroup: this.on(groups.createLogGroup),
      DeleteLogGroup: this.on(groups.deleteLogGroup),
      DescribeLogGroups: this.on(groups.describeLogGroups),
      PutRetentionPolicy: this.on(groups.putRetentionPolicy),
      DeleteRetentionPolicy: this.on(groups.deleteRetentionPolicy),
      ListTagsLogGroup: this.on(groups.listTagsLogGroup),
      TagLogGroup: this.on(groups.tagLogGroup),
      UntagLogGroup: this.on(groups.untagLogGroup),
      ListTagsForResource: this.on(groups.listTagsForResource),
      TagResource: this.on(groups.tagResource),
      UntagResource: this.on(groups.untagResource),
      CreateLogStream: (input, request) => void events.createLogStream(this.store.groupNamed(input, scopeOf(request)), input.string('logStreamName')),
      DeleteLogStream: (input, request) => events.deleteLogStream(this.store.groupNamed(input, scopeOf(request)), input.string('logStreamName')),
      DescribeLogStreams: this.on(events.describeLogStreams),
      PutLogEvents: this.on(events.putLogEvents),
      GetLogEvents: this.on(events.getLogEvents),
      FilterLogEvents: this.on(events.filterLogEvents),
    },
  });

  /**
   * Appends a function's log lines to its group, creating the stream, and the group, if needed:
   * Lambda does both when the role allows it (AWSLambdaBasicExecutionRole does).
   */
  append(groupName: string, streamName: string, lines: readonly InputLogEvent[]): void {
    const all = this.store.groups(this.home);
    const group = all.get(groupName) ?? this.store.addGroup(all, groupName, {});
    const stream = group.streams.get(streamName) ?? events.createLogStream(group, streamName);
    events.storeLines(this.store, stream, lines);
  }

  /** Whether the group exists in the runtime's region and account. */
  hasGroup(groupName: string): boolean {
    return this.store.groups(this.home).has(groupName);
  }

  /** An operation of the store, given the call's input and its account and region. */
  private on<T>(operation: (store: LogsStore, input: JsonInput, scope: Scope) => T): (input: JsonInput, request: AwsRequest) => T {
    return (input, request) => operation(this.store, input, scopeOf(request));
  }
}
