/** The queue URL forms LocalStack accepts, mapped to the one the SQS emulator knows. */
import { localstack, names, region } from '#spec';
import { canonicalQueueUrl } from '../../local/aws-protocol';

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
