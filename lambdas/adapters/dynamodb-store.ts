/**
 * The DynamoDB adapter of the product store (domain/product-store.ts): conditional writes that
 * enforce the ordering rule, reads and a paged list, and DynamoDB's errors told as the store
 * errors the contract declares.
 */
import { type AttributeValue, type DynamoDBClient, GetItemCommand, PutItemCommand, type PutItemCommandInput, ScanCommand } from '@aws-sdk/client-dynamodb';
import { awsLimits } from '#spec';
import { ValidationError } from '#domain/errors';
import { orderedBy, orderingHorizon, type StoredVersion, type WriteVersion } from '#domain/ordering';
import type { ProductWrite } from '#domain/product';
import {
  type ProductPage,
  type ProductStore,
  type StoredProduct,
  type StoreFailure,
  type StoreFailureDetails,
  StoreRejected,
  StoreUnavailable,
  WriteNotNewer,
} from '#domain/product-store';
import { AttemptLog, recordAttempts } from './sdk-attempts';

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
function storedVersionOf(error: unknown): StoredVersion | undefined {
  const item = (error as { Item?: Record<string, AttributeValue> } | null)?.Item;
  return item && typeof item === 'object' ? versionOf(item) : undefined;
}

const CONDITION_FAILED = 'ConditionalCheckFailedException';

// DynamoDB's answers that blame the request, not the service. For a product that passed our
// validation they are our problem (or an injected fault), never the client's; the write paths
// keep such a write rather than drop it. A failed condition on a read, which only a fault can
// answer, is one too. Any other error, including a 4xx from a misconfiguration such as a
// missing table, counts as unavailability.
const REJECTED = new Set(['ValidationException', 'SerializationException', 'ItemCollectionSizeLimitExceededException', CONDITION_FAILED]);

/** DynamoDB's error as the store error the write and read paths act on (a failed condition on a put aside). */
function storeFailure(details: StoreFailureDetails): StoreFailure {
  const name = (details.cause as { name?: unknown } | null)?.name;
  return typeof name === 'string' && REJECTED.has(name)
    ? new StoreRejected(`DynamoDB refused the request: ${name}`, details)
    : new StoreUnavailable(`DynamoDB is unavailable: ${typeof name === 'string' ? name : String(details.cause)}`, details);
}

/** A read's answer, or its failure as a store error. A read changes nothing, so it never "may have landed". */
async function read<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw storeFailure({ mayHaveLanded: false, cause: error });
  }
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

export class DynamoDbProductStore implements ProductStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    /** The clock skew allowed between Lambda environments (Config.clockSkewSeconds). */
    private readonly clockSkewSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  horizon(): number {
    return orderingHorizon(this.now(), this.clockSkewSeconds);
  }

  /**
   * Puts with the ordering condition. A failed condition is WriteNotNewer with the item DynamoDB
   * returned, if any; but a fault can throw that error too. Every attempt of the SDK's retries is
   * recorded, so a failure says whether one may still land.
   */
  async put(write: ProductWrite, horizon: number, abortSignal: AbortSignal): Promise<void> {
    const command = new PutItemCommand({
      TableName: this.tableName,
      Item: toItem(write),
      ...newerThanStored(write, horizon),
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    const attempts = new AttemptLog();
    recordAttempts(command, attempts);
    try {
      await this.client.send(command, { abortSignal });
    } catch (error) {
      const details = { mayHaveLanded: attempts.mayHaveLanded(error), cause: error };
      throw (error as { name?: unknown } | null)?.name === CONDITION_FAILED ? new WriteNotNewer(storedVersionOf(error), details) : storeFailure(details);
    }
  }

  async version(id: string, abortSignal: AbortSignal): Promise<StoredVersion | undefined> {
    const { Item } = await read(
      this.client.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { id: { S: id } },
          ConsistentRead: true,
          ProjectionExpression: `${time}, ${tieBreak}`,
        }),
        { abortSignal },
      ),
    );
    return Item ? versionOf(Item) : undefined;
  }

  async get(id: string, abortSignal: AbortSignal): Promise<StoredProduct | undefined> {
    const { Item } = await read(
      this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { id: { S: id } }, ConsistentRead: true }), { abortSignal }),
    );
    return Item ? fromItem(Item) : undefined;
  }

  async list(limit: number, nextToken: string | undefined, abortSignal: AbortSignal): Promise<ProductPage> {
    const { Items = [], LastEvaluatedKey } = await read(
      this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          Limit: limit,
          ...(nextToken ? { ExclusiveStartKey: decodeToken(nextToken) } : {}),
        }),
        { abortSignal },
      ),
    );
    return { items: Items.map(fromItem), ...(LastEvaluatedKey ? { nextToken: encodeToken(LastEvaluatedKey) } : {}) };
  }
}
