/** The CloudWatch Logs module as the real SDK client and the AWS CLI see it over HTTP. */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  ListTagsForResourceCommand,
  ListTagsLogGroupCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  TagLogGroupCommand,
  TagResourceCommand,
  UntagLogGroupCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { localstack, names, region } from '#spec';
import { filterPatternMatcher } from '../../offline/services/logs/filter';
import { lambdaLogStreamName, MAX_EVENTS_PER_STREAM } from '../../offline/services/logs/model';
import { LogsService } from '../../offline/services/logs/service';
import { awsCli, hasAwsCli, sdkConfig } from '../support/clients';
import { serveServices, type ServiceServer } from '../support/service-server';
import { refusal } from '../support/sdk-calls';

const group = `/aws/lambda/${names.productFunction}`;
const groupArn = `arn:aws:logs:${region}:${localstack.accountId}:log-group:${group}`;

let server: ServiceServer;
let logs: LogsService;
let client: CloudWatchLogsClient;

beforeEach(async () => {
  logs = new LogsService();
  server = await serveServices([logs]);
  client = new CloudWatchLogsClient(sdkConfig(server.url));
});

afterEach(async () => {
  client.destroy();
  await server.close();
});

const createGroup = () => client.send(new CreateLogGroupCommand({ logGroupName: group, tags: { app: 'products' } }));

it('creates a log group and describes it with the fields the Terraform provider reads', async () => {
  const before = Date.now();
  await createGroup();
  await client.send(new CreateLogGroupCommand({ logGroupName: '/aws/lambda/Other' }));

  const { logGroups, nextToken } = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: group }));
  expect(nextToken).toBeUndefined();
  expect(logGroups).toEqual([
    {
      logGroupName: group,
      arn: `${groupArn}:*`,
      logGroupArn: groupArn,
      creationTime: expect.any(Number),
      metricFilterCount: 0,
      storedBytes: 0,
      logGroupClass: 'STANDARD',
    },
  ]);
  expect(logGroups![0]!.creationTime).toBeGreaterThanOrEqual(before);

  expect(await refusal(createGroup())).toEqual({ name: 'ResourceAlreadyExistsException', status: 400, message: 'The specified log group already exists' });
  expect((await refusal(client.send(new CreateLogGroupCommand({ logGroupName: 'bad name' })))).name).toBe('InvalidParameterException');
});

it('pages DescribeLogGroups in name order', async () => {
  for (const name of ['c', 'a', 'b']) await client.send(new CreateLogGroupCommand({ logGroupName: `/g/${name}` }));
  const first = await client.send(new DescribeLogGroupsCommand({ limit: 2 }));
  expect(first.logGroups!.map((g) => g.logGroupName)).toEqual(['/g/a', '/g/b']);
  const second = await client.send(new DescribeLogGroupsCommand({ limit: 2, nextToken: first.nextToken! }));
  expect(second.logGroups!.map((g) => g.logGroupName)).toEqual(['/g/c']);
  expect(second.nextToken).toBeUndefined();
  const matching = await client.send(new DescribeLogGroupsCommand({ logGroupNamePattern: 'B' }));
  expect(matching.logGroups!.map((g) => g.logGroupName)).toEqual(['/g/b']);
});

it('sets and deletes the retention, refusing a value AWS does not offer', async () => {
  await createGroup();
  await client.send(new PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: 14 }));
  const describe = async () => (await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: group }))).logGroups![0]!;
  expect((await describe()).retentionInDays).toBe(14);

  const invalid = await refusal(client.send(new PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: 2 })));
  expect(invalid).toMatchObject({ name: 'InvalidParameterException', status: 400 });
  expect(invalid.message).toContain("Value '2' at 'retentionInDays' failed to satisfy constraint");
  expect((await describe()).retentionInDays).toBe(14);

  await client.send(new DeleteRetentionPolicyCommand({ logGroupName: group }));
  expect((await describe()).retentionInDays).toBeUndefined();
});

it('tags through both APIs: by group name and by ARN (with or without the :*)', async () => {
  await createGroup();
  await client.send(new TagLogGroupCommand({ logGroupName: group, tags: { team: 'a' } }));
  await client.send(new TagResourceCommand({ resourceArn: groupArn, tags: { env: 'dev', team: 'b' } }));
  expect((await client.send(new ListTagsLogGroupCommand({ logGroupName: group }))).tags).toEqual({ app: 'products', team: 'b', env: 'dev' });

  await client.send(new UntagResourceCommand({ resourceArn: `${groupArn}:*`, tagKeys: ['app'] }));
  await client.send(new UntagLogGroupCommand({ logGroupName: group, tags: ['team'] }));
  expect((await client.send(new ListTagsForResourceCommand({ resourceArn: groupArn }))).tags).toEqual({ env: 'dev' });

  const missing = await refusal(client.send(new ListTagsForResourceCommand({ resourceArn: `${groupArn}-gone` })));
  expect(missing).toMatchObject({ name: 'ResourceNotFoundException', status: 400 });
});

it('keeps the newest events of a stream, so a long run does not grow without bound', async () => {
  // One over the trim threshold: the last append trims the stream back to the cap.
  const lines = MAX_EVENTS_PER_STREAM + 1_001;
  for (let n = 1; n <= lines; n += 1) logs.append(group, 'long', [{ timestamp: n, message: `line ${n}` }]);
  const head = await client.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: 'long', startFromHead: true, limit: 1 }));
  const tail = await client.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: 'long', limit: 1 }));
  expect(Number(head.events![0]!.message!.split(' ')[1])).toBe(lines - MAX_EVENTS_PER_STREAM + 1);
  expect(tail.events![0]!.message).toBe(`line ${lines}`);
});

it('reads appended lines with GetLogEvents, forward and backward', async () => {
  const stream = lambdaLogStreamName(new Date(Date.UTC(2026, 10, 27)));
  expect(stream).toMatch(/^2026\/11\/27\/\[\$LATEST\][0-9a-f]{32}$/);
  // The runtime appends without a group made first, as Lambda with its basic execution role.
  logs.append(
    group,
    stream,
    [1, 2, 3, 4, 5].map((n) => ({ timestamp: 1000 * n, message: `line ${n}\n` })),
  );

  const read = (input: Partial<ConstructorParameters<typeof GetLogEventsCommand>[0]>) =>
    client.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, ...input }));
  const messages = (events: { message?: string }[] | undefined) => events!.map((event) => event.message!.trim());

  const head = await read({ startFromHead: true, limit: 2 });
  expect(messages(head.events)).toEqual(['line 1', 'line 2']);
  expect(head.events![0]).toEqual({ timestamp: 1000, message: 'line 1\n', ingestionTime: expect.any(Number) });
  const next = await read({ nextToken: head.nextForwardToken!, limit: 2 });
  expect(messages(next.events)).toEqual(['line 3', 'line 4']);
  const rest = await read({ nextToken: next.nextForwardToken! });
  expect(messages(rest.events)).toEqual(['line 5']);
  // At the end, the same token comes back, until new events arrive.
  const end = await read({ nextToken: rest.nextForwardToken! });
  expect(end.events).toEqual([]);
  expect(end.nextForwardToken).toBe(rest.nextForwardToken);
  logs.append(group, stream, [{ timestamp: 6000, message: 'line 6\n' }]);
  expect(messages((await read({ nextToken: end.nextForwardToken! })).events)).toEqual(['line 6']);

  // Without a token, the last events of the window; the backward token reads before them.
  const tail = await read({ limit: 2, startTime: 2000, endTime: 5000 });
  expect(messages(tail.events)).toEqual(['line 3', 'line 4']);
  expect(messages((await read({ nextToken: tail.nextBackwardToken!, startTime: 2000, endTime: 5000 })).events)).toEqual(['line 2']);

  const { logStreams } = await client.send(new DescribeLogStreamsCommand({ logGroupName: group, orderBy: 'LastEventTime', descending: true }));
  expect(logStreams).toEqual([expect.objectContaining({ logStreamName: stream, firstEventTimestamp: 1000, lastEventTimestamp: 6000 })]);
});

it('takes PutLogEvents in a created stream, keeping events in timestamp order', async () => {
  await createGroup();
  await client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 's' }));
  const put = (events: [number, string][]) =>
    client.send(
      new PutLogEventsCommand({ logGroupName: group, logStreamName: 's', logEvents: events.map(([timestamp, message]) => ({ timestamp, message })) }),
    );
  const { nextSequenceToken } = await put([
    [20, 'b'],
    [30, 'c'],
  ]);
  expect(nextSequenceToken).toMatch(/^\d{56}$/);
  await put([[10, 'a']]);
  const { events } = await client.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: 's', startFromHead: true }));
  expect(events!.map((event) => event.message)).toEqual(['a', 'b', 'c']);

  const unordered = await refusal(
    put([
      [5, 'x'],
      [4, 'y'],
    ]),
  );
  expect(unordered).toMatchObject({ name: 'InvalidParameterException', status: 400 });
  expect(
    (await refusal(client.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: 'none', logEvents: [{ timestamp: 1, message: 'm' }] })))).message,
  ).toBe('The specified log stream does not exist.');
  expect((await refusal(client.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 's' })))).name).toBe('ResourceAlreadyExistsException');
});

it('filters events across streams by time window, pattern and stream, with paging', async () => {
  logs.append(group, 'one', [
    { timestamp: 100, message: 'START RequestId: 1' },
    { timestamp: 300, message: 'the DynamoDB error has been handled' },
    { timestamp: 500, message: 'END RequestId: 1' },
  ]);
  logs.append(group, 'two', [
    { timestamp: 200, message: 'START RequestId: 2' },
    { timestamp: 400, message: 'ERROR Task timed out' },
  ]);
  const filter = async (input: Partial<ConstructorParameters<typeof FilterLogEventsCommand>[0]>) =>
    (await client.send(new FilterLogEventsCommand({ logGroupName: group, ...input }))).events!.map((event) => `${event.logStreamName}@${event.timestamp}`);

  expect(await filter({})).toEqual(['one@100', 'two@200', 'one@300', 'two@400', 'one@500']);
  expect(await filter({ startTime: 200, endTime: 400 })).toEqual(['two@200', 'one@300', 'two@400']);
  expect(await filter({ filterPattern: 'START' })).toEqual(['one@100', 'two@200']);
  expect(await filter({ filterPattern: '"has been handled"' })).toEqual(['one@300']);
  expect(await filter({ filterPattern: 'RequestId -START' })).toEqual(['one@500']);
  expect(await filter({ filterPattern: '?ERROR ?handled' })).toEqual(['one@300', 'two@400']);
  expect(await filter({ filterPattern: 'task' })).toEqual([]);
  expect(await filter({ logStreamNames: ['two'] })).toEqual(['two@200', 'two@400']);
  expect(await client.send(new FilterLogEventsCommand({ logGroupIdentifier: groupArn, limit: 1 }))).toMatchObject({
    events: [{ logStreamName: 'one', timestamp: 100, message: 'START RequestId: 1', eventId: expect.any(String) }],
  });

  const seen: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new FilterLogEventsCommand({ logGroupName: group, limit: 2, nextToken }));
    expect(page.events!.length).toBeLessThanOrEqual(2);
    seen.push(...page.events!.map((event) => event.message!));
    nextToken = page.nextToken;
  } while (nextToken);
  expect(seen).toHaveLength(5);

  expect((await refusal(client.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: '{ $.level = "ERROR" }' })))).name).toBe(
    'InvalidParameterException',
  );
});

it('deletes a group; the SDK then sees ResourceNotFoundException, status 400', async () => {
  await createGroup();
  await client.send(new DeleteLogGroupCommand({ logGroupName: group }));
  expect((await client.send(new DescribeLogGroupsCommand({}))).logGroups).toEqual([]);
  for (const call of [
    client.send(new DeleteLogGroupCommand({ logGroupName: group })),
    client.send(new PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: 7 })),
    client.send(new FilterLogEventsCommand({ logGroupName: group })),
  ]) {
    expect(await refusal(call)).toEqual({ name: 'ResourceNotFoundException', status: 400, message: 'The specified log group does not exist.' });
  }
});

it('keeps groups apart per region', async () => {
  await createGroup();
  const other = new CloudWatchLogsClient({ ...sdkConfig(server.url), region: 'eu-west-1' });
  try {
    expect((await other.send(new DescribeLogGroupsCommand({}))).logGroups).toEqual([]);
  } finally {
    other.destroy();
  }
});

it('speaks awsJson 1.1 on the wire: target, content type, errors as __type with x-amzn-ErrorType', async () => {
  const call = (target: string, body: string) =>
    fetch(server.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.1',
        'X-Amz-Target': target,
        // Only the credential scope matters here: it names the service and the region.
        Authorization: `AWS4-HMAC-SHA256 Credential=test/20261127/${region}/logs/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body,
    });
  const created = await call('Logs_20140328.CreateLogGroup', JSON.stringify({ logGroupName: group }));
  expect(created.status).toBe(200);
  expect(created.headers.get('content-type')).toBe('application/x-amz-json-1.1');
  expect(await created.json()).toEqual({});

  const missing = await call('Logs_20140328.DeleteLogGroup', JSON.stringify({ logGroupName: '/nope' }));
  expect(missing.status).toBe(400);
  expect(missing.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
  expect(await missing.json()).toEqual({ __type: 'ResourceNotFoundException', message: 'The specified log group does not exist.' });

  expect(await (await call('Logs_20140328.PutRetentionPolicy', '{')).json()).toMatchObject({ __type: 'SerializationException' });
  expect(await (await call('Logs_20140328.PutRetentionPolicy', JSON.stringify({ logGroupName: group }))).json()).toEqual({
    __type: 'InvalidParameterException',
    message: "1 validation error detected: Value null at 'retentionInDays' failed to satisfy constraint: Member must not be null",
  });
  expect(await (await call('Logs_20140328.StartQuery', '{}')).json()).toMatchObject({ __type: 'UnknownOperationException' });
});

it.each([
  ['plain term', 'handled', true],
  ['terms all present', 'DynamoDB handled', true],
  ['a term missing', 'DynamoDB timeout', false],
  ['quoted phrase', '"error has been"', true],
  ['quoted phrase out of order', '"been has"', false],
  ['exclusion', 'DynamoDB -handled', false],
  ['any of', '?timeout ?error', true],
  ['case-sensitive', 'dynamodb', false],
])('filter pattern: %s', (_, pattern, matches) => {
  expect(filterPatternMatcher(pattern)('the DynamoDB error has been handled')).toBe(matches);
});

it('answers the AWS CLI (botocore) in a form it parses', async () => {
  if (!(await hasAwsCli())) return;
  await createGroup();
  await client.send(new PutRetentionPolicyCommand({ logGroupName: group, retentionInDays: 7 }));
  logs.append(group, 'one', [
    { timestamp: 1000, message: 'the DynamoDB error has been handled' },
    { timestamp: 2000, message: 'other' },
  ]);

  const described = JSON.parse(await awsCli(server.url, 'logs', 'describe-log-groups', '--log-group-name-prefix', '/aws/lambda/')) as {
    logGroups: { logGroupName: string; retentionInDays: number; arn: string }[];
  };
  expect(described.logGroups).toEqual([expect.objectContaining({ logGroupName: group, retentionInDays: 7, arn: `${groupArn}:*` })]);

  type Filtered = { events: { message: string; logStreamName: string }[] };
  const filtered = JSON.parse(
    await awsCli(server.url, 'logs', 'filter-log-events', '--log-group-name', group, '--filter-pattern', '"has been handled"'),
  ) as Filtered;
  expect(filtered.events).toEqual([expect.objectContaining({ logStreamName: 'one', message: 'the DynamoDB error has been handled' })]);
  // One event a call: the CLI follows nextToken by itself.
  const paged = JSON.parse(await awsCli(server.url, 'logs', 'filter-log-events', '--log-group-name', group, '--page-size', '1')) as Filtered;
  expect(paged.events.map((event) => event.message)).toEqual(['the DynamoDB error has been handled', 'other']);

  await expect(awsCli(server.url, 'logs', 'describe-log-streams', '--log-group-name', '/nope')).rejects.toThrow(
    /ResourceNotFoundException.*The specified log group does not exist\./,
  );
});
