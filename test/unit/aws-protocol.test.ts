/** The queue URL forms LocalStack accepts, mapped to the one the SQS emulator knows. */
import { canonicalQueueUrl } from '../../local/aws-protocol';

const canonical = 'http://sqs.us-east-1.localhost.localstack.cloud:4566/000000000000/ProductEventsQueue';

it.each([
  canonical,
  'http://localhost:4566/000000000000/ProductEventsQueue',
  'http://127.0.0.1:4566/000000000000/ProductEventsQueue',
  'http://localhost:4566/queue/us-east-1/000000000000/ProductEventsQueue',
  'http://us-east-1.queue.localhost.localstack.cloud:4566/000000000000/ProductEventsQueue',
  'https://sqs.us-east-1.amazonaws.com/000000000000/ProductEventsQueue',
])('maps %s', (url) => {
  expect(canonicalQueueUrl(url, 'us-east-1', 4566)).toBe(canonical);
});

it('takes the region from the URL, or else from the call', () => {
  expect(canonicalQueueUrl('http://localhost:4566/queue/eu-west-1/000000000000/Q.fifo', 'us-east-1', 4566)).toBe('http://sqs.eu-west-1.localhost.localstack.cloud:4566/000000000000/Q.fifo');
  expect(canonicalQueueUrl('http://localhost:4566/000000000000/Q', 'eu-west-1', 4566)).toBe('http://sqs.eu-west-1.localhost.localstack.cloud:4566/000000000000/Q');
  expect(canonicalQueueUrl('http://localhost/000000000000/Q', 'us-east-1', 80)).toBe('http://sqs.us-east-1.localhost.localstack.cloud/000000000000/Q');
});

it.each(['ProductEventsQueue', 'http://localhost:4566/', 'http://localhost:4566/123/Q', 'http://localhost:4566/000000000000/Q/extra'])('leaves %s alone', (url) => {
  expect(canonicalQueueUrl(url, 'us-east-1', 4566)).toBeUndefined();
});
