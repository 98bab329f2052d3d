/** The dashboard's reading of log lines: arrows per second, each function's counts, and how a write reached the table. */
import { ARROW_WINDOW_MS, Tally } from '../../dashboard/server/tally';

const json = (fields: Record<string, unknown>) => JSON.stringify({ level: 'INFO', service: 'x', ...fields });

describe('Tally, from the offline runtime log', () => {
  let now = 1_000_000;
  const tally = new Tally(() => now);

  it('counts the product invocation, its DynamoDB call and a cold start once per invocation', () => {
    tally.runtimeLine('[ProductFunction] START RequestId: r1');
    tally.runtimeLine('AWS dynamodb.PutItem => 503 (ServiceUnavailable)');
    tally.runtimeLine('AWS dynamodb.PutItem => 503 (ServiceUnavailable)');
    tally.runtimeLine('AWS sns.Publish => 200');
    tally.runtimeLine(
      `[ProductFunction] ${json({ message: 'DynamoDB unavailable, queueing the write', cold_start: true, function_request_id: 'r1', productId: 'p1' })}`,
    );
    tally.runtimeLine(
      `[ProductFunction] ${json({ message: 'Product write queued', cold_start: true, function_request_id: 'r1', productId: 'p1', updatedAt: 5 })}`,
    );
    tally.runtimeLine('[ProductFunction] END RequestId: r1 Duration: 70 ms');
    // The retry function applies it: its DynamoDB call is the retry's (no product invocation under way).
    tally.runtimeLine('AWS sqs.ReceiveMessage => 200 (event source: 1 message)');
    tally.runtimeLine('[ProductRetryFunction] START RequestId: q1');
    tally.runtimeLine('AWS dynamodb.PutItem => 200');
    tally.runtimeLine(
      `[ProductRetryFunction] ${json({ message: 'Queued write applied', cold_start: false, function_request_id: 'q1', productId: 'p1', updatedAt: 5 })}`,
    );
    tally.runtimeLine('[ProductRetryFunction] END RequestId: q1 Duration: 30 ms Error: boom');

    const per = (n: number) => n / (ARROW_WINDOW_MS / 1000);
    expect(tally.arrows()).toEqual({
      'api-product': { calls: per(1), errors: 0 },
      'product-dynamodb': { calls: per(2), errors: per(2) },
      'product-sns': { calls: per(1), errors: 0 },
      'sns-sqs': { calls: per(1), errors: 0 },
      'sqs-retry': { calls: per(2), errors: per(1) },
      'retry-dynamodb': { calls: per(1), errors: 0 },
    });
    expect(tally.functions('off')).toEqual({
      product: { name: 'ProductFunction', invocations: 1, errors: 0, coldStarts: 1, fallback: 'off' },
      retry: { name: 'ProductRetryFunction', invocations: 1, errors: 1, coldStarts: 0 },
    });
    expect(tally.viaOf('p1', 5)).toBe('queue');
    expect(tally.viaOf('p1', 6)).toBe('unknown');
  });

  it('forgets calls older than the window', () => {
    now += ARROW_WINDOW_MS + 1;
    expect(Object.values(tally.arrows()).every(({ calls, errors }) => calls === 0 && errors === 0)).toBe(true);
    expect(tally.functions().product.invocations).toBe(1);
  });

  it('counts an SNS delivery held back by a fault as an error on the SNS → SQS arrow, and hides debug lines', () => {
    tally.runtimeLine('AWS sns.Publish => 200 (delivery to SQS held back by a fault; 1 pending)');
    tally.runtimeLine('SNS delivery to SQS released (0 still pending)');
    expect(tally.arrows()['sns-sqs']).toEqual({ calls: 0.4, errors: 0.2 });
    expect(tally.runtimeLine('AWS sqs.GetQueueAttributes => 200 (dashboard)', 'debug')).toBeUndefined();
    expect(tally.runtimeLine('Chaos POST /_localstack/chaos/faults => []')).toMatchObject({ source: 'runtime' });
    expect(tally.runtimeLine('AWS sqs.SendMessage => 200')).toMatchObject({ source: 'aws' });
  });
});

describe('Tally, from the functions’ CloudWatch lines (LocalStack)', () => {
  it('reads the arrows from the outcomes the functions log', () => {
    const tally = new Tally(() => 0);
    tally.cloudWatchLine('product', 'START RequestId: a Version: $LATEST');
    tally.cloudWatchLine('product', json({ message: 'Product stored', productId: 'd', updatedAt: 1, cold_start: true, function_request_id: 'a' }));
    tally.cloudWatchLine('product', json({ level: 'WARN', message: 'DynamoDB unavailable, queueing the write', productId: 'q' }));
    tally.cloudWatchLine('product', json({ message: 'Product write queued', productId: 'q', updatedAt: 2 }));
    tally.cloudWatchLine('retry', json({ message: 'Queued write applied', productId: 'q', updatedAt: 2 }));
    const arrows = tally.arrows();
    expect(arrows['product-dynamodb']).toEqual({ calls: 0.4, errors: 0.2 });
    expect(arrows['product-sns'].calls).toBe(0.2);
    expect(arrows['retry-dynamodb'].calls).toBe(0.2);
    expect(tally.viaOf('d', 1)).toBe('direct');
    expect(tally.viaOf('q', 2)).toBe('queue');
    expect(tally.functions().product).toMatchObject({ invocations: 1, coldStarts: 1 });
  });
});
