/**
 * The ordering rule in DynamoDB's words, as both write paths send it. What the condition decides
 * on each kind of stored item is checked against dynalite in test/integration/ordering-rule.test.ts;
 * here, what is sent: the horizon the store's clock and the skew bound give, and a placeholder
 * for every value (DynamoDB refuses an expression with a missing or an unused one).
 */
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { names } from '#spec';
import { DynamoDbProductStore, newerThanStored } from '#adapters/dynamodb-store';

const write = { id: 'prod-1', name: 'n', price: 1, description: '', updatedAt: 1_700_000_000_000, requestId: 'req-1' };
const placeholders = (expression: string) => new Set(expression.match(/:\w+/g));

/** The alternatives of an expression's top-level ORs (those outside every parenthesis). */
function alternatives(expression: string): string[] {
  const parts = [''];
  let depth = 0;
  for (let i = 0; i < expression.length; i += 1) {
    const char = expression[i]!;
    if (depth === 0 && expression.startsWith(' OR ', i)) {
      parts.push('');
      i += 3;
      continue;
    }
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    parts[parts.length - 1] += char;
  }
  return parts;
}

describe('newerThanStored', () => {
  const { ConditionExpression = '', ExpressionAttributeValues = {} } = newerThanStored(write, 1_700_000_300_000);

  it('names exactly the values it uses', () => {
    expect(placeholders(ConditionExpression)).toEqual(new Set(Object.keys(ExpressionAttributeValues)));
  });

  it('lets a write replace a stored stamp beyond the horizon, whatever else the item holds', () => {
    expect(ExpressionAttributeValues).toMatchObject({ ':t': { N: '1700000000000' }, ':r': { S: 'req-1' }, ':horizon': { N: '1700000300000' } });
    // One of the top-level alternatives, not a term inside the same-millisecond clause.
    expect(alternatives(ConditionExpression)).toContain('updatedAt > :horizon');
  });
});

it('DynamoDbProductStore puts with the horizon of its clock and skew bound', async () => {
  const dynamo = mockClient(DynamoDBClient);
  dynamo.on(PutItemCommand).resolves({});
  const store = new DynamoDbProductStore(new DynamoDBClient({}), names.table, 60, () => 1_700_000_000_000);
  expect(store.horizon()).toBe(1_700_000_060_000);

  await store.put(write, store.horizon(), AbortSignal.timeout(5_000));
  const input = dynamo.commandCalls(PutItemCommand)[0]!.args[0].input;
  expect(input).toMatchObject(newerThanStored(write, 1_700_000_060_000));
  expect(input.ExpressionAttributeValues![':horizon']).toEqual({ N: '1700000060000' });
  dynamo.restore();
});
