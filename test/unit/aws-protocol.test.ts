/** The queue URL forms LocalStack accepts, mapped to the one the SQS emulator knows; each service's answer to a call IAM refuses. */
import { localstack, names, region } from '#spec';
import { accessDenied, canonicalQueueUrl, faultResponse } from '../../offline/protocol/aws-wire';

const { accountId: account, port } = localstack;

const canonical = `http://sqs.${region}.localhost.localstack.cloud:${port}/${account}/${names.queue}`;

it.each([
  canonical,
  `http://localhost:${port}/${account}/${names.queue}`,
  `http://127.0.0.1:${port}/${account}/${names.queue}`,
  `http://localhost:${port}/queue/${region}/${account}/${names.queue}`,
  `http://${region}.queue.localhost.localstack.cloud:${port}/${account}/${names.queue}`,
  `https://sqs.${region}.amazonaws.com/${account}/${names.queue}`,
])('maps %s', (url) => {
  expect(canonicalQueueUrl(url, region, port)).toBe(canonical);
});

it('takes the region from the URL, or else from the call', () => {
  expect(canonicalQueueUrl(`http://localhost:${port}/queue/eu-west-1/${account}/Q.fifo`, region, port)).toBe(
    `http://sqs.eu-west-1.localhost.localstack.cloud:${port}/${account}/Q.fifo`,
  );
  expect(canonicalQueueUrl(`http://localhost:${port}/${account}/Q`, 'eu-west-1', port)).toBe(
    `http://sqs.eu-west-1.localhost.localstack.cloud:${port}/${account}/Q`,
  );
  expect(canonicalQueueUrl(`http://localhost/${account}/Q`, region, 80)).toBe(`http://sqs.${region}.localhost.localstack.cloud/${account}/Q`);
});

it.each([names.queue, `http://localhost:${port}/`, `http://localhost:${port}/123/Q`, `http://localhost:${port}/${account}/Q/extra`])(
  'leaves %s alone',
  (url) => {
    expect(canonicalQueueUrl(url, region, port)).toBeUndefined();
  },
);

describe('accessDenied', () => {
  it.each([
    ['dynamodb', 400, 'AccessDeniedException'],
    ['logs', 400, 'AccessDeniedException'],
    ['lambda', 403, 'AccessDeniedException'],
    ['apigateway', 403, 'AccessDeniedException'],
    ['sns', 403, 'AuthorizationError'],
    ['sqs', 403, 'AccessDenied'],
    ['iam', 403, 'AccessDenied'],
    ['sts', 403, 'AccessDenied'],
  ])('answers %s with %d %s', (service, statusCode, code) => {
    expect(accessDenied(service)).toEqual({ statusCode, code });
  });

  it('renders an SQS denial with the query-compatible code for the JSON protocol, and as XML for the query protocol', () => {
    const call = { service: 'sqs', region, operation: 'SendMessage' };
    const json = faultResponse({ ...call, protocol: 'json' }, accessDenied('sqs'), 'not allowed');
    expect(json).toMatchObject({ statusCode: 403, headers: { 'x-amzn-query-error': 'AccessDenied;Sender' } });
    expect(JSON.parse(json.body)).toEqual({ __type: 'AccessDenied', message: 'not allowed' });
    const query = faultResponse({ ...call, protocol: 'query' }, accessDenied('sqs'), 'not allowed');
    expect(query.statusCode).toBe(403);
    expect(query.body).toMatch(/<Type>Sender<\/Type><Code>AccessDenied<\/Code><Message>not allowed<\/Message>/);
  });
});
