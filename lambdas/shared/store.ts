/** The DynamoDB adapter: conditional writes that enforce the ordering rule, reads and a paged list. */
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { InputError, type ProductWrite } from './product';

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

/**
 * The ordering rule as a DynamoDB condition: a write lands only on a new id, on an item without
 * ordering data, or over an older write. Writes are ordered by updatedAt, then by requestId when
 * two share a millisecond, so two distinct writes always have one winner, and a write delivered a
 * second time (same updatedAt, same requestId) is never newer than itself.
 */
const NEWER_THAN_STORED =
  'attribute_not_exists(id) OR attribute_not_exists(updatedAt) OR updatedAt < :t OR (updatedAt = :t AND requestId < :r)';

const toItem = (write: ProductWrite): Record<string, AttributeValue> => ({
  id: { S: write.id },
  name: { S: write.name },
  price: { N: String(write.price) },
  description: { S: write.description },
  updatedAt: { N: String(write.updatedAt) },
  requestId: { S: write.requestId },
});

const fromItem = (item: Record<string, AttributeValue>): StoredProduct => ({
  id: item.id?.S ?? '',
  name: item.name?.S ?? '',
  price: Number(item.price?.N ?? 'NaN'),
  description: item.description?.S ?? '',
  updatedAt: Number(item.updatedAt?.N ?? 0),
});

const encodeToken = (key: Record<string, AttributeValue>) => Buffer.from(JSON.stringify(key.id?.S)).toString('base64url');

function decodeToken(token: string): Record<string, AttributeValue> {
  try {
    const id: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof id === 'string' && id.length > 0) return { id: { S: id } };
  } catch {
    // Falls through to the InputError below.
  }
  throw new InputError(400, 'Invalid nextToken: pass the value a previous page returned');
}

export class ProductStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  /** Writes the product unless the table holds a newer write; that case throws ConditionalCheckFailedException. */
  async put(write: ProductWrite, abortSignal: AbortSignal): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.tableName,
        Item: toItem(write),
        ConditionExpression: NEWER_THAN_STORED,
        ExpressionAttributeValues: { ':t': { N: String(write.updatedAt) }, ':r': { S: write.requestId } },
      }),
      { abortSignal },
    );
  }

  async get(id: string, abortSignal: AbortSignal): Promise<StoredProduct | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({ TableName: this.tableName, Key: { id: { S: id } }, ConsistentRead: true }),
      { abortSignal },
    );
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
