/** The DynamoDB adapter: conditional writes that enforce the ordering rule, reads and a paged list. */
import { type AttributeValue, type DynamoDBClient, GetItemCommand, PutItemCommand, type PutItemCommandInput, ScanCommand } from '@aws-sdk/client-dynamodb';
import { awsLimits } from '#spec';
import { type AttemptLog, recordAttempts } from '#resilience/attempts';
import { ValidationError } from '#domain/errors';
import { orderedBy, orderingHorizon, type StoredVersion, type WriteVersion } from '#domain/ordering';
import type { ProductWrite } from '#domain/product';

export interface StoredProduct {
  id: string;
  name: string;
  price: number;
  description: string;
  updatedAt: number;
}

export interface ProductPage {
  items: StoredProduct[];
  nextToken?: string;
}

const { time, tieBreak } = orderedBy;

/**
 * The ordering rule as a DynamoDB condition: the negation of isAtLeastAsNew (domain/ordering.ts)
 * at `horizon`, so a write lands only on a new id, on an item without ordering data, over an older
 * write, or over a stamp beyond the horizon. Both write paths put with it. The two must agree on
 * every item, odd ones included: an updatedAt that is not a number, or a requestId that is not a
 * string, counts as absent in both, and DynamoDB compares strings by their UTF-8 bytes as
 * compareUtf8 does (test/integration/ordering-rule.test.ts checks them).
 */
export function newerThanStored(write: WriteVersion, horizon: number): Pick<PutItemCommandInput, 'ConditionExpression' | 'ExpressionAttributeValues'> {
  return {
    ConditionExpression:
      `attribute_not_exists(id) OR NOT attribute_type(${time}, :number) OR ${time} < :t OR ${time} > :horizon OR ` +
      `(${time} = :t AND (NOT attribute_type(${tieBreak}, :string) OR ${tieBreak} < :r))`,
    ExpressionAttributeValues: {
      ':t': { N: String(write.updatedAt) },
      ':r': { S: write.requestId },
      ':horizon': { N: String(horizon) },
      ':number': { S: 'N' },
      ':string': { S: 'S' },
    },
  };
}

const toItem = (write: ProductWrite): Record<string, AttributeValue> => ({
  id: { S: write.id },
  name: { S: write.name },
  price: { N: String(write.price) },
  description: { S: write.description },
  [time]: { N: String(write.updatedAt) },
  [tieBreak]: { S: write.requestId },
});

const fromItem = (item: Record<string, AttributeValue>): StoredProduct => ({
  id: item.id?.S ?? '',
  name: item.name?.S ?? '',
  price: Number(item.price?.N ?? 'NaN'),
  description: item.description?.S ?? '',
  updatedAt: Number(item[time]?.N ?? 0),
});

const versionOf = (item: Record<string, AttributeValue>): StoredVersion => ({
  ...(item[time]?.N === undefined ? {} : { updatedAt: Number(item[time].N) }),
  ...(item[tieBreak]?.S === undefined ? {} : { requestId: item[tieBreak].S }),
});

/**
 * The item DynamoDB returned with a failed condition (ReturnValuesOnConditionCheckFailure
 * ALL_OLD), or undefined when the error carries none: an injected fault, an emulator without the
 * feature (dynalite 4), or a failure on an id that holds no item at all.
 */
export function storedVersionOf(error: unknown): StoredVersion | undefined {
  const item = (error as { Item?: Record<string, AttributeValue> } | null)?.Item;
  return item && typeof item === 'object' ? versionOf(item) : undefined;
}

const encodeToken = (key: Record<string, AttributeValue>) => Buffer.from(JSON.stringify(key.id?.S)).toString('base64url');

function decodeToken(token: string): Record<string, AttributeValue> {
  try {
    const id: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof id === 'string' && id.length > 0 && id.isWellFormed()) {
      const bytes = Buffer.byteLength(id, 'utf8');
      if (bytes > awsLimits.dynamoMaxKeyBytes) {
        throw new ValidationError(
          `Invalid nextToken: its key is ${bytes} bytes, over DynamoDB's limit of ${awsLimits.dynamoMaxKeyBytes} bytes; pass the value a previous page returned`,
        );
      }
      return { id: { S: id } };
    }
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    // Not base64url JSON: falls through to the ValidationError below.
  }
  throw new ValidationError('Invalid nextToken: pass the value a previous page returned');
}

export class ProductStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** The clock skew allowed between Lambda environments (Config.clockSkewSeconds). */
    private readonly clockSkewSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The ordering horizon now: a stored updatedAt beyond it does not count (domain/ordering.ts). */
  horizon(): number {
    return orderingHorizon(this.now(), this.clockSkewSeconds);
  }

  /**
   * Writes the product unless the table holds a write at least as new, by the ordering rule at
   * `horizon`. A failed condition throws ConditionalCheckFailedException with the stored item
   * (read it with storedVersionOf); but a fault can throw that error too, so it proves nothing by
   * itself. Each attempt's failure is recorded in `attempts`, if given.
   */
  async put(write: ProductWrite, horizon: number, abortSignal: AbortSignal, attempts?: AttemptLog): Promise<void> {
    const command = new PutItemCommand({
      TableName: this.tableName,
      Item: toItem(write),
      ...newerThanStored(write, horizon),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    if (attempts) recordAttempts(command, attempts);
    await this.client.send(command, { abortSignal });
  }

  /** The ordering data of the stored item (a consistent read), or undefined if there is none. */
  async version(id: string, abortSignal: AbortSignal): Promise<StoredVersion | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({
        TableName: this.tableName,
        Key: { id: { S: id } },
        ConsistentRead: true,
        ProjectionExpression: `${time}, ${tieBreak}`,
      }),
      { abortSignal },
    );
    return Item ? versionOf(Item) : undefined;
  }

  async get(id: string, abortSignal: AbortSignal): Promise<StoredProduct | undefined> {
    const { Item } = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { id: { S: id } }, ConsistentRead: true }), { abortSignal });
    return Item ? fromItem(Item) : undefined;
  }

  async list(limit: number, nextToken: string | undefined, abortSignal: AbortSignal): Promise<ProductPage> {
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new ScanCommand({
        TableName: this.tableName,
        Limit: limit,
        ...(nextToken ? { ExclusiveStartKey: decodeToken(nextToken) } : {}),
      }),
      { abortSignal },
    );
    return { items: Items.map(fromItem), ...(LastEvaluatedKey ? { nextToken: encodeToken(LastEvaluatedKey) } : {}) };
  }
}
