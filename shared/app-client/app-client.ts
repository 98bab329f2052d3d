/**
 * A running target (the offline runtime or LocalStack) as the tooling sees it: the product API's
 * URL, SDK clients with LocalStack's test credentials, and the two readings every check needs.
 */
import { DynamoDBClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { localstack, names, region } from '#spec';
import { messagesIn } from './queue-depth';

/** A product as the API takes it (price as a number or a numeric string). */
export interface ProductInput {
  id: string;
  name: string;
  price: number | string;
  description: string;
}

/** The API's answer: status 0 when none came (the error says why). */
export interface PostAnswer {
  status: number;
  body: string;
  error?: unknown;
}

export interface StoredValue {
  name: string;
  updatedAt: number;
}

export class AppClient {
  readonly endpoint: string;
  /** The path-style URL: it works on LocalStack and offline without DNS. */
  readonly apiUrl: string;
  readonly dynamo: DynamoDBClient;
  readonly sqs: SQSClient;
  private readonly queueUrls = new Map<string, string>();

  constructor(endpoint: string, options: { maxAttempts?: number } = {}) {
    this.endpoint = endpoint.replace(/\/$/, '');
    this.apiUrl = `${this.endpoint}/_aws/execute-api/${names.restApiId}/${names.stage}/${names.resource}`;
    const client = { region, endpoint: this.endpoint, credentials: { accessKeyId: localstack.accessKey, secretAccessKey: localstack.secretKey }, ...options };
    this.dynamo = new DynamoDBClient(client);
    this.sqs = new SQSClient({ ...client, useQueueUrlAsEndpoint: false });
  }

  /**
   * POSTs a product to the API: the one way the tooling writes. A failed request (a timeout, an
   * abort, a refused connection) is an answer with status 0, for the caller to count.
   */
  async post(product: ProductInput, signal?: AbortSignal): Promise<PostAnswer> {
    try {
      const response = await fetch(this.apiUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(product),
        ...(signal ? { signal } : {}),
      });
      return { status: response.status, body: await response.text() };
    } catch (error) {
      return { status: 0, body: '', error };
    }
  }

  /** The depth of the queue with this name (see messagesIn). */
  async queueDepth(name: string, abortSignal?: AbortSignal): Promise<number> {
    let url = this.queueUrls.get(name);
    if (!url) {
      url = (await this.sqs.send(new GetQueueUrlCommand({ QueueName: name }), abortSignal ? { abortSignal } : {})).QueueUrl ?? '';
      this.queueUrls.set(name, url);
    }
    return messagesIn(this.sqs, url, abortSignal);
  }

  /** The products whose id starts with `prefix`, by id: a whole-table scan, page by page. */
  async products(prefix: string, abortSignal?: AbortSignal): Promise<Map<string, StoredValue>> {
    const found = new Map<string, StoredValue>();
    let page: ScanCommandOutput | undefined;
    do {
      page = await this.dynamo.send(
        new ScanCommand({ TableName: names.table, ...(page?.LastEvaluatedKey ? { ExclusiveStartKey: page.LastEvaluatedKey } : {}) }),
        abortSignal ? { abortSignal } : {},
      );
      for (const item of page.Items ?? []) {
        const id = item.id?.S;
        if (id?.startsWith(prefix)) found.set(id, { name: item.name?.S ?? '', updatedAt: Number(item.updatedAt?.N) });
      }
    } while (page.LastEvaluatedKey);
    return found;
  }
}
