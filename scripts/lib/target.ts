/**
 * A running target (the offline runtime or LocalStack) as the tooling sees it: the product API's
 * URL, SDK clients with LocalStack's test credentials, and the two readings every check needs.
 */
import { DynamoDBClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { localstack, names, region } from '#spec';

export interface StoredValue {
  name: string;
  updatedAt: number;
}

export class Target {
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

  /** Messages in a queue: visible, in flight and delayed (a re-queued write waits there). */
  async queueDepth(name: string, abortSignal?: AbortSignal): Promise<number> {
    const options = abortSignal ? { abortSignal } : {};
    let url = this.queueUrls.get(name);
    if (!url) {
      url = (await this.sqs.send(new GetQueueUrlCommand({ QueueName: name }), options)).QueueUrl ?? '';
      this.queueUrls.set(name, url);
    }
    const { Attributes = {} } = await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
      }),
      options,
    );
    return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0);
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
