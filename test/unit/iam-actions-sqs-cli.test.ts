/** The IAM action and resource of SQS calls as the AWS CLI v1 sends them (the query protocol of older botocore, the JSON of today's), and the queue a URL names. */
import { names, region } from '#spec';
import { authorizationOf, queueArnOf, type Authorization } from '../../offline/services/iam/actions';
import { accountId, deadLetterQueue, deadLetterQueueUrl, handCall, queue, queueUrl } from '../support/recorded-calls';

// botocore before its switch to JSON posted SQS calls as forms to the endpoint (`aws sqs ... --endpoint-url`).
const cliQuery = (action: string, params: Record<string, string>) => new URLSearchParams({ Action: action, Version: '2012-11-05', ...params }).toString();
// botocore 1.43 (AWS CLI 1.45) sends JSON: these bodies are recorded from it.
const cliJson = (params: Record<string, unknown>) => JSON.stringify(params).replace(/":/g, '": ').replace(/,"/g, ', "');

describe('SQS as the AWS CLI v1 sends it', () => {
  const sqsCall = (protocol: 'json' | 'query', operation: string, body: string, path = '/') => handCall('sqs', protocol, operation, body, path);

  it.each<[string, 'json' | 'query', string, string, Authorization[]]>([
    [
      'send-message (query)',
      'query',
      'SendMessage',
      cliQuery('SendMessage', { QueueUrl: queueUrl, MessageBody: '{}' }),
      [{ action: 'sqs:SendMessage', resource: queue }],
    ],
    [
      'receive-message (query)',
      'query',
      'ReceiveMessage',
      cliQuery('ReceiveMessage', { QueueUrl: queueUrl, MaxNumberOfMessages: '10', 'AttributeName.1': 'All' }),
      [{ action: 'sqs:ReceiveMessage', resource: queue }],
    ],
    [
      'get-queue-attributes (query)',
      'query',
      'GetQueueAttributes',
      cliQuery('GetQueueAttributes', { QueueUrl: deadLetterQueueUrl, 'AttributeName.1': 'ApproximateNumberOfMessages' }),
      [{ action: 'sqs:GetQueueAttributes', resource: deadLetterQueue }],
    ],
    [
      'delete-message (query)',
      'query',
      'DeleteMessage',
      cliQuery('DeleteMessage', { QueueUrl: queueUrl, ReceiptHandle: 'r1' }),
      [{ action: 'sqs:DeleteMessage', resource: queue }],
    ],
    [
      'change-message-visibility (query)',
      'query',
      'ChangeMessageVisibility',
      cliQuery('ChangeMessageVisibility', { QueueUrl: queueUrl, ReceiptHandle: 'r1', VisibilityTimeout: '5' }),
      [{ action: 'sqs:ChangeMessageVisibility', resource: queue }],
    ],
    [
      'send-message-batch (query)',
      'query',
      'SendMessageBatch',
      cliQuery('SendMessageBatch', {
        QueueUrl: queueUrl,
        'SendMessageBatchRequestEntry.1.Id': 'a',
        'SendMessageBatchRequestEntry.1.MessageBody': 'x',
      }),
      [{ action: 'sqs:SendMessage', resource: queue }],
    ],
    [
      'delete-message-batch (query)',
      'query',
      'DeleteMessageBatch',
      cliQuery('DeleteMessageBatch', { QueueUrl: queueUrl, 'DeleteMessageBatchRequestEntry.1.Id': 'a', 'DeleteMessageBatchRequestEntry.1.ReceiptHandle': 'r' }),
      [{ action: 'sqs:DeleteMessage', resource: queue }],
    ],
    [
      'change-message-visibility-batch (query)',
      'query',
      'ChangeMessageVisibilityBatch',
      cliQuery('ChangeMessageVisibilityBatch', { QueueUrl: queueUrl, 'ChangeMessageVisibilityBatchRequestEntry.1.Id': 'a' }),
      [{ action: 'sqs:ChangeMessageVisibility', resource: queue }],
    ],
    [
      'purge-queue (query)',
      'query',
      'PurgeQueue',
      cliQuery('PurgeQueue', { QueueUrl: deadLetterQueueUrl }),
      [{ action: 'sqs:PurgeQueue', resource: deadLetterQueue }],
    ],
    ['get-queue-url (query)', 'query', 'GetQueueUrl', cliQuery('GetQueueUrl', { QueueName: names.queue }), [{ action: 'sqs:GetQueueUrl', resource: queue }]],
    [
      'get-queue-url of another account (query)',
      'query',
      'GetQueueUrl',
      cliQuery('GetQueueUrl', { QueueName: names.queue, QueueOwnerAWSAccountId: '111122223333' }),
      [{ action: 'sqs:GetQueueUrl', resource: `arn:aws:sqs:${region}:111122223333:${names.queue}` }],
    ],
    [
      'list-queues (query)',
      'query',
      'ListQueues',
      cliQuery('ListQueues', {}),
      [{ action: 'sqs:ListQueues', resource: `arn:aws:sqs:${region}:${accountId}:*` }],
    ],
    [
      'send-message (JSON)',
      'json',
      'SendMessage',
      cliJson({ QueueUrl: queueUrl, MessageBody: '{"id":"p1"}' }),
      [{ action: 'sqs:SendMessage', resource: queue }],
    ],
    [
      'receive-message (JSON)',
      'json',
      'ReceiveMessage',
      cliJson({ QueueUrl: queueUrl, AttributeNames: ['All'], MaxNumberOfMessages: 10 }),
      [{ action: 'sqs:ReceiveMessage', resource: queue }],
    ],
    [
      'send-message-batch (JSON)',
      'json',
      'SendMessageBatch',
      cliJson({ QueueUrl: queueUrl, Entries: [{ Id: 'a', MessageBody: 'x' }] }),
      [{ action: 'sqs:SendMessage', resource: queue }],
    ],
    ['get-queue-url (JSON)', 'json', 'GetQueueUrl', cliJson({ QueueName: names.deadLetterQueue }), [{ action: 'sqs:GetQueueUrl', resource: deadLetterQueue }]],
  ])('%s', (_case, protocol, operation, body, expected) => {
    expect(authorizationOf(sqsCall(protocol, operation, body))).toEqual(expected);
  });

  it('reads the queue from the path when a query client posts to the queue URL itself', () => {
    const body = cliQuery('SendMessage', { MessageBody: 'x' });
    expect(authorizationOf(sqsCall('query', 'SendMessage', body, `/${accountId}/${names.queue}`))).toEqual([{ action: 'sqs:SendMessage', resource: queue }]);
    expect(authorizationOf(sqsCall('query', 'SendMessage', body, `/queue/eu-west-1/${accountId}/${names.queue}`))).toEqual([
      { action: 'sqs:SendMessage', resource: `arn:aws:sqs:eu-west-1:${accountId}:${names.queue}` },
    ]);
  });

  it('authorizes a call without a queue on every resource', () => {
    expect(authorizationOf(sqsCall('json', 'SendMessage', '{}'))).toEqual([{ action: 'sqs:SendMessage', resource: '*' }]);
    expect(authorizationOf(sqsCall('json', 'SendMessage', '{"QueueUrl":"not a url"}'))).toEqual([{ action: 'sqs:SendMessage', resource: '*' }]);
  });
});

describe('queueArnOf', () => {
  it.each<[string, string]>([
    [`http://sqs.${region}.localhost.localstack.cloud:4566/${accountId}/${names.queue}`, queue],
    [`http://sqs.eu-west-1.localhost.localstack.cloud:4566/${accountId}/${names.queue}`, `arn:aws:sqs:eu-west-1:${accountId}:${names.queue}`],
    [`http://${region}.queue.localhost.localstack.cloud:4566/${accountId}/${names.queue}`, queue],
    [`http://localhost:4566/queue/${region}/${accountId}/${names.queue}`, queue],
    [`http://localhost:4566/${accountId}/${names.queue}`, queue],
    [`https://sqs.${region}.amazonaws.com/${accountId}/${names.queue}`, queue],
    [`http://localhost:4566/111122223333/Orders.fifo`, `arn:aws:sqs:${region}:111122223333:Orders.fifo`],
  ])('%s', (url, expected) => {
    expect(queueArnOf(url, region)).toBe(expected);
  });

  it('is undefined for what is not a queue URL', () => {
    expect(queueArnOf('ProductEventsQueue', region)).toBeUndefined();
    expect(queueArnOf('http://localhost:4566/ProductEventsQueue', region)).toBeUndefined();
  });
});
