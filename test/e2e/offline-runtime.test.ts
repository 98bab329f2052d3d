/**
 * The offline runtime end to end: real HTTP into its edge, the Lambdas from their bundles, real
 * SDK calls into the emulators, and real faults through the Chaos API.
 */
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { awsLimits, localstack, names, region, tutorialFault } from '#spec';
import { QUEUED_MESSAGE, STORED_MESSAGE } from '../../spec/api-messages';
import { arn, awsCli, edgeApiPath, hasAwsCli, queueUrlAt } from '../support/clients';
import { sampleProduct } from '../support/events';
import { dynamoOutage } from '../support/faults';
import { eventually, type OfflineRuntime, pause, runtimeForSuite } from '../support/offline';

let runtime: OfflineRuntime;
runtimeForSuite((started) => (runtime = started), { reset: 'chaos-and-breakers' });

const product = (id: string, extra: Record<string, unknown> = {}) => sampleProduct({ id, ...extra });
const drained = () => runtime.drained();
const blockReceives = (...others: unknown[]) => runtime.blockReceives(...others);
/** The queue URL forms LocalStack accepts besides its own: the legacy path and the path strategy. */
const legacyQueueUrl = (name: string) => `http://localhost:${runtime.port}/${localstack.accountId}/${name}`;
const pathQueueUrl = (name: string) => `http://localhost:${runtime.port}/queue/${region}/${localstack.accountId}/${name}`;

describe('the tutorial', () => {
  it('stores, queues during an outage, and recovers: both products end up in the table', async () => {
    const preflight = await runtime.post({ id: 'prod-2004', name: 'Ultimate Gadget', price: '49.99', description: 'The Ultimate Gadget.' });
    expect(preflight).toMatchObject({ status: 200, body: STORED_MESSAGE });

    expect((await runtime.chaos('PATCH', 'faults', [{ ...dynamoOutage, probability: 1 }])).status).toBe(200);
    const queued = await runtime.post(product('prod-1003'));
    expect(queued).toMatchObject({ status: 202, body: QUEUED_MESSAGE });
    expect(await runtime.item('prod-1003').catch(() => 'unreachable')).toBe('unreachable'); // DynamoDB is down for everyone

    await runtime.chaos('POST', 'faults', []);
    const recovered = await eventually('prod-1003 in the table', () => runtime.item('prod-1003'));
    expect(recovered).toMatchObject({ name: { S: 'Super Widget' }, price: { N: '29.99' } });
    expect(await runtime.item('prod-2004')).toMatchObject({ price: { N: '49.99' } });
    await eventually('the queue to drain', drained);

    // Each function's first invocation in an environment is a cold start, as Powertools reports it.
    const coldStarts = (fn: string) =>
      runtime.logs.filter((line) => line.startsWith(`[${fn}] {`)).map((line) => (JSON.parse(line.slice(fn.length + 3)) as { cold_start?: boolean }).cold_start);
    expect(coldStarts(names.productFunction)[0]).toBe(true);
    expect(coldStarts(names.productFunction)).toContain(false);
    expect(coldStarts(names.retryFunction)[0]).toBe(true);
  });

  it('answers 200 or 202 to the tutorial’s 80% outage, never an error', async () => {
    await runtime.chaos('PATCH', 'faults', [tutorialFault]);
    for (let i = 0; i < 5; i += 1) {
      const answer = await runtime.post(product(`prod-80-${i}`));
      expect([STORED_MESSAGE, QUEUED_MESSAGE]).toContain(answer.body);
    }
    await runtime.chaos('POST', 'faults', []);
    for (let i = 0; i < 5; i += 1) await eventually(`prod-80-${i}`, () => runtime.item(`prod-80-${i}`));
  });

  it('serves the three URL forms, reads back, and answers unknown routes as API Gateway does', async () => {
    const pathStyle = await fetch(`${runtime.url}${edgeApiPath}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(product('prod-path')),
    });
    expect(pathStyle.status).toBe(200);
    const legacy = await fetch(`${runtime.url}/restapis/${names.restApiId}/${names.stage}/_user_request_/${names.resource}?id=prod-path`);
    expect(await legacy.json()).toMatchObject({ id: 'prod-path', price: 29.99 });
    expect((await runtime.get(`${edgeApiPath}?id=nope`)).status).toBe(404);
    expect(await runtime.get(`/_aws/execute-api/${names.restApiId}/${names.stage}/other`)).toEqual({
      status: 403,
      body: '{"message":"Missing Authentication Token"}',
    });
    expect((await runtime.post('{"id": ')).status).toBe(400);
  });

  it('lets the real AWS CLI scan the table, when it is installed', async () => {
    if (!(await hasAwsCli())) {
      console.log('Skipping the AWS CLI check: no `aws` on PATH (apt-get install awscli)');
      return;
    }
    await runtime.post(product('prod-cli', { price: 12.5 }));
    const stdout = await awsCli(runtime.url, 'dynamodb', 'scan', '--table-name', names.table, '--output', 'json');
    const scanned = JSON.parse(stdout) as { Items: Array<Record<string, { S?: string; N?: string }>> };
    expect(scanned.Items.find((item) => item.id?.S === 'prod-cli')?.price).toEqual({ N: '12.5' });
  });
});

describe('connections', () => {
  it('keeps an idle connection open past Node’s 5 s default, so a client reusing it meets no closing socket', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const health = () =>
      new Promise<{ status?: number; reused: boolean }>((resolve, reject) => {
        const request = http.get(`${runtime.url}/_localstack/health`, { agent }, (response) => {
          response.resume();
          response.on('end', () => resolve({ status: response.statusCode, reused: request.reusedSocket }));
        });
        request.on('error', reject);
      });
    try {
      expect(await health()).toEqual({ status: 200, reused: false });
      // The idle window is the point of the test: a server that closed the connection makes the agent open a new one.
      await pause(6_000);
      expect(await health()).toEqual({ status: 200, reused: true });
    } finally {
      agent.destroy();
    }
  });
});

describe('the Chaos API', () => {
  const rule = { service: 'sns', operation: 'Publish', probability: 0.5 };

  it('GETs, POSTs (replace), PATCHes (append) and DELETEs (remove equal) fault rules', async () => {
    expect(await runtime.chaos('GET', 'faults')).toEqual({ status: 200, json: [] });
    expect((await runtime.chaos('POST', 'faults', [dynamoOutage])).json).toEqual([dynamoOutage]);
    expect((await runtime.chaos('PATCH', 'faults', [rule])).json).toEqual([dynamoOutage, rule]);
    expect((await runtime.chaos('POST', 'faults', [rule])).json).toEqual([rule]);
    expect((await runtime.chaos('PATCH', 'faults', [dynamoOutage])).json).toEqual([rule, dynamoOutage]);
    expect((await runtime.chaos('DELETE', 'faults', [dynamoOutage])).json).toEqual([rule]);
    expect(await runtime.chaos('GET', 'faults')).toEqual({ status: 200, json: [rule] });
  });

  it.each([
    ['an unknown key', [{ service: 'dynamodb', latency: 5 }], /unknown key\(s\) latency/],
    ['a probability above 1', [{ probability: 1.5 }], /probability/],
    ['a status code below 400', [{ error: { statusCode: 200 } }], /statusCode/],
    ['an object instead of a list', { service: 'dynamodb' }, /expected array/],
    ['malformed JSON', '[{"service": ', /Invalid JSON body/],
  ])('rejects %s with 400 and a message, keeping the rules', async (_label, body, message) => {
    await runtime.chaos('POST', 'faults', [rule]);
    const answer = await runtime.chaos('POST', 'faults', body);
    expect(answer.status).toBe(400);
    expect((answer.json as { message: string }).message).toMatch(message);
    expect((await runtime.chaos('GET', 'faults')).json).toEqual([rule]);
  });

  it('reads and replaces the latency effect, and validates it', async () => {
    expect(await runtime.chaos('GET', 'effects')).toEqual({ status: 200, json: { latency: 0 } });
    expect(await runtime.chaos('POST', 'effects', { latency: 250 })).toEqual({ status: 200, json: { latency: 250 } });
    expect((await runtime.chaos('POST', 'effects', { latency: -1 })).status).toBe(400);
    expect((await runtime.chaos('POST', 'effects', { delay: 5 })).status).toBe(400);
  });

  it('faults only the named operation: PutItem down, GetItem up', async () => {
    await runtime.post(product('prod-op'));
    await runtime.chaos('POST', 'faults', [{ service: 'dynamodb', operation: 'PutItem' }]);
    expect((await runtime.post(product('prod-op', { name: 'Queued' }))).status).toBe(202);
    // Reads still work. The environment that just failed a PutItem may have opened its breaker
    // (then it answers 503 with Retry-After until its cooldown): read as a client that honours it.
    await eventually('GetItem to answer while PutItem is down', async () => (await runtime.get(`${edgeApiPath}?id=prod-op`)).status === 200, 5_000);
    await runtime.chaos('POST', 'faults', []);
    await eventually('the queued rename', async () => (await runtime.item('prod-op'))?.name?.S === 'Queued');
  });

  it('answers a faulted call in the service’s own format, which the SDK parses', async () => {
    await runtime.chaos('POST', 'faults', [dynamoOutage]);
    await expect(runtime.scan()).rejects.toMatchObject({
      name: dynamoOutage.error.code,
      message: 'Operation failed due to a simulated fault',
      $metadata: { httpStatusCode: 500 },
    });
    await runtime.chaos('POST', 'faults', [{ service: 'sqs' }]);
    await expect(runtime.depth(names.queue)).rejects.toMatchObject({ name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
  });

  it('fails about the given share of calls for a partial probability', async () => {
    await runtime.chaos('POST', 'faults', [{ service: 'dynamodb', operation: 'Scan', probability: 0.5 }]);
    let failed = 0;
    for (let i = 0; i < 200; i += 1) await runtime.scan().catch(() => (failed += 1));
    // Binomial(200, 0.5): outside 60..140 about once in 10^8 runs.
    expect(failed).toBeGreaterThan(60);
    expect(failed).toBeLessThan(140);
    await runtime.chaos('POST', 'faults', [{ service: 'dynamodb', operation: 'Scan', probability: 0 }]);
    for (let i = 0; i < 20; i += 1) await runtime.scan();
  });
});

describe('faults on SNS and SQS', () => {
  it('answers 503 with Retry-After when DynamoDB and SNS are both down, and stores nothing', async () => {
    await runtime.chaos('POST', 'faults', [dynamoOutage, { service: 'sns', operation: 'Publish' }]);
    const answer = await runtime.post(product('prod-lost'));
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toMatch(/^\d+$/);
    await runtime.chaos('POST', 'faults', []);
    await runtime.settled();
    expect(await runtime.item('prod-lost')).toBeUndefined();
    expect(await drained()).toBe(true);
  });

  it('holds SNS→SQS delivery back while sqs:SendMessage is faulted, and delivers it afterwards', async () => {
    await runtime.chaos('POST', 'faults', [dynamoOutage, { service: 'sqs', operation: 'SendMessage' }]);
    expect((await runtime.post(product('prod-held'))).status).toBe(202);
    expect(JSON.parse((await runtime.get('/_localstack/health')).body).pendingDeliveries).toBe(1);
    await runtime.chaos('POST', 'faults', []);
    await eventually('prod-held in the table', () => runtime.item('prod-held'));
  });

  it('keeps a queued write while the poller cannot receive, then applies it', async () => {
    await blockReceives(dynamoOutage);
    expect((await runtime.post(product('prod-unreceived'))).status).toBe(202);
    await runtime.chaos('DELETE', 'faults', [dynamoOutage]);
    await pause(1_500);
    expect(await runtime.item('prod-unreceived')).toBeUndefined();
    await runtime.chaos('POST', 'faults', []);
    await eventually('prod-unreceived in the table', () => runtime.item('prod-unreceived'));
  });
});

describe('ordering and poison', () => {
  it('never lets a stale queued write overwrite a newer direct one', async () => {
    // Hold the queued write back (no receives) until the newer write is in the table.
    await blockReceives(dynamoOutage);
    expect((await runtime.post(product('prod-order', { name: 'Older' }))).status).toBe(202);
    await runtime.chaos('DELETE', 'faults', [dynamoOutage]);
    await pause((runtime.timings.breakerCooldownMs ?? 0) + 100); // past the breaker cooldown
    expect((await runtime.post(product('prod-order', { name: 'Newer' }))).status).toBe(200);
    await runtime.chaos('POST', 'faults', []);
    await eventually('the queue to drain', drained);
    expect((await runtime.item('prod-order'))?.name).toEqual({ S: 'Newer' });
    await eventually('the retry Lambda to log the stale write', async () =>
      runtime.logs.some((line) => line.includes('Queued write is stale') && line.includes('prod-order')),
    );
  });

  it('moves a poison message to the DLQ with its reason', async () => {
    await runtime.sqs.send(new SendMessageCommand({ QueueUrl: await runtime.queueUrl(names.queue), MessageBody: '{"id": "prod-poison"' }));
    const dlq = await runtime.queueUrl(names.deadLetterQueue);
    const [message] = await eventually('a message in the DLQ', async () => {
      const { Messages } = await runtime.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, MessageAttributeNames: ['All'], WaitTimeSeconds: 1 }));
      return Messages?.length ? Messages : undefined;
    });
    expect(message!.Body).toBe('{"id": "prod-poison"');
    expect(message!.MessageAttributes?.reason?.StringValue).toMatch(/JSON/);
    await eventually('the queue to drain', drained);
  });

  it('accepts the other queue URL forms LocalStack accepts (legacy path, path strategy), from the SDK', async () => {
    // A queued write sent through the legacy path-style URL reaches the retry Lambda, which applies it.
    const write = { ...product('prod-pathurl'), price: 29.99, updatedAt: Date.now(), requestId: randomUUID() };
    await runtime.sqs.send(new SendMessageCommand({ QueueUrl: legacyQueueUrl(names.queue), MessageBody: JSON.stringify(write) }));
    expect(await eventually('prod-pathurl in the table', () => runtime.item('prod-pathurl'))).toMatchObject({ price: { N: '29.99' } });

    // Send and receive through the path-strategy URL (the DLQ has no poller to take the message first).
    const dlq = pathQueueUrl(names.deadLetterQueue);
    await runtime.sqs.send(new SendMessageCommand({ QueueUrl: dlq, MessageBody: 'through the path strategy' }));
    const { Messages = [] } = await runtime.sqs.send(new ReceiveMessageCommand({ QueueUrl: legacyQueueUrl(names.deadLetterQueue), WaitTimeSeconds: 1 }));
    expect(Messages.map((message) => message.Body)).toEqual(['through the path strategy']);
    await runtime.sqs.send(new DeleteMessageCommand({ QueueUrl: dlq, ReceiptHandle: Messages[0]!.ReceiptHandle }));
    await expect(runtime.sqs.send(new GetQueueAttributesCommand({ QueueUrl: legacyQueueUrl('NoSuchQueue') }))).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
    });
  });

  it('accepts them from the real AWS CLI, when it is installed', async () => {
    if (!(await hasAwsCli())) {
      console.log('Skipping the AWS CLI check: no `aws` on PATH');
      return;
    }
    for (const queueUrl of [legacyQueueUrl(names.queue), pathQueueUrl(names.queue), queueUrlAt(runtime.url, names.queue)]) {
      const stdout = await awsCli(runtime.url, 'sqs', 'get-queue-attributes', '--queue-url', queueUrl, '--attribute-names', 'All', '--output', 'json');
      expect((JSON.parse(stdout) as { Attributes: Record<string, string> }).Attributes).toMatchObject({ QueueArn: arn('sqs', names.queue) });
    }
  }, 60_000);

  it("answers SQS's older query protocol with a 400 that says so, and drops nothing silently", async () => {
    // What SDKs older than 2023 send: a form-encoded Action posted to the queue's URL.
    const before = await runtime.target.queueDepth(names.deadLetterQueue);
    const response = await fetch(`${runtime.url}/${localstack.accountId}/${names.deadLetterQueue}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Authorization: `AWS4-HMAC-SHA256 Credential=${localstack.accessKey}/20260101/${region}/sqs/aws4_request, SignedHeaders=host, Signature=00`,
      },
      body: 'Action=SendMessage&MessageBody=query-protocol',
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/<Code>InvalidAction<\/Code>.*JSON protocol only/s);
    expect(await runtime.target.queueDepth(names.deadLetterQueue)).toBe(before);
  });

  it('uses the queue URL form LocalStack uses', async () => {
    const { Attributes = {} } = await runtime.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: await runtime.queueUrl(names.queue), AttributeNames: ['RedrivePolicy'] }),
    );
    expect(await runtime.queueUrl(names.queue)).toMatch(
      new RegExp(`^http://sqs\\.${region}\\.localhost\\.localstack\\.cloud:\\d+/${localstack.accountId}/${names.queue}$`),
    );
    expect(JSON.parse(Attributes.RedrivePolicy!).deadLetterTargetArn).toBe(arn('sqs', names.deadLetterQueue));
  });
});

describe('latency', () => {
  it('still answers 200, and 202 during an outage, inside API Gateway’s 29 s with 5 s on every AWS call', async () => {
    await runtime.chaos('POST', 'effects', { latency: 5000 });
    let started = Date.now();
    expect((await runtime.post(product('prod-slow'))).status).toBe(200);
    const stored = Date.now() - started;

    await runtime.chaos('POST', 'faults', [dynamoOutage]);
    started = Date.now();
    expect((await runtime.post(product('prod-slow-queued'))).status).toBe(202);
    const queued = Date.now() - started;
    console.log(`With 5 s latency: stored in ${stored} ms, queued in ${queued} ms`);
    expect(stored).toBeGreaterThanOrEqual(5_000); // the latency was really applied
    expect(queued).toBeLessThan(awsLimits.apiGatewayIntegrationTimeoutMs);
  }, 60_000);
});
