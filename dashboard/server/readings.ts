/**
 * The dashboard's readings of a target, through its public APIs only: the Chaos API, SQS's queue
 * attributes, a DynamoDB scan of the table, Lambda's function configuration and event source
 * mapping, and (on LocalStack, where the runtime's own log is not at hand) the functions' log
 * groups in CloudWatch Logs. Every call carries OBSERVER_HEADER, so the offline runtime logs
 * them as `debug` lines ending in "(dashboard)" and spares them its faults and latency (see
 * offline/edge/edge.ts). LocalStack does not: there a reading of a faulted service fails, and the
 * snapshot says null.
 */
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { type DynamoDBClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { env, localstack, names, region } from '#spec';
import { OBSERVER_HEADER } from '../../shared/contracts/offline-api';
import type { TargetKind } from '../../shared/contracts/offline-api';
import { targetKind } from '../../shared/app-client/target-kind';
import { retryMapping } from '../../shared/app-client/switches';
import { AppClient } from '../../shared/app-client/app-client';
import type { OfflineEffects, OfflineFaultRule } from '../../shared/contracts/chaos-api';
import type { FunctionKey } from '../wire';

/** A single reading may take this long before it counts as failed (null in the snapshot). */
const READING_TIMEOUT_MS = 2_000;

interface Tagged {
  middlewareStack: { add(middleware: (next: (args: unknown) => unknown) => (args: unknown) => unknown, options: { step: 'build' }): void };
}

/** Marks an SDK client's calls as the dashboard's. */
function tag<T>(client: T): T {
  (client as unknown as Tagged).middlewareStack.add(
    (next) => (args) => {
      const request = (args as { request?: { headers?: Record<string, string> } }).request;
      if (request?.headers) request.headers[OBSERVER_HEADER] = 'reading';
      return next(args);
    },
    { step: 'build' },
  );
  return client;
}

export interface TableRow {
  id: string;
  name: string;
  updatedAt: number;
}

export class Readings {
  readonly target: AppClient;
  readonly lambda: LambdaClient;
  /** Untagged clients for what the user asks for (a control is the user's call, logged as any other). */
  readonly controlLambda: LambdaClient;
  private readonly logs: CloudWatchLogsClient;
  private readonly logsSince: Record<FunctionKey, number>;

  constructor(readonly endpoint: string) {
    const credentials = { accessKeyId: localstack.accessKey, secretAccessKey: localstack.secretKey };
    this.target = new AppClient(endpoint, { maxAttempts: 1 });
    tag(this.target.dynamo);
    tag(this.target.sqs);
    this.lambda = tag(new LambdaClient({ region, endpoint, credentials, maxAttempts: 1 }));
    this.controlLambda = new LambdaClient({ region, endpoint, credentials });
    this.logs = tag(new CloudWatchLogsClient({ region, endpoint, credentials, maxAttempts: 1 }));
    const now = Date.now();
    this.logsSince = { product: now, retry: now };
  }

  destroy(): void {
    this.target.dynamo.destroy();
    this.target.sqs.destroy();
    this.lambda.destroy();
    this.controlLambda.destroy();
    this.logs.destroy();
  }

  private async chaosGet<T>(path: string): Promise<T | null> {
    const response = await fetch(`${this.endpoint}${path}`, { headers: { [OBSERVER_HEADER]: 'reading' }, signal: AbortSignal.timeout(READING_TIMEOUT_MS) });
    if (!response.ok) return null;
    return (await response.json()) as T;
  }

  /** The experiment runner's reading of the health check; a target that does not answer it is taken for LocalStack. */
  kind(): Promise<TargetKind> {
    return targetKind(this.endpoint, READING_TIMEOUT_MS).catch(() => 'localstack' as const);
  }

  faults = () => this.chaosGet<OfflineFaultRule[]>('/_localstack/chaos/faults');
  effects = () => this.chaosGet<OfflineEffects>('/_localstack/chaos/effects');
  lambdaFaults = () => this.chaosGet<unknown[]>('/_offline/chaos/lambda-faults');

  queueDepth(name: string): Promise<number> {
    return this.target.queueDepth(name, AbortSignal.timeout(READING_TIMEOUT_MS));
  }

  /** Every product in the table (a scan, page by page). */
  async table(dynamo: DynamoDBClient = this.target.dynamo): Promise<TableRow[]> {
    const rows: TableRow[] = [];
    let page: ScanCommandOutput | undefined;
    const signal = AbortSignal.timeout(READING_TIMEOUT_MS * 2);
    do {
      page = await dynamo.send(new ScanCommand({ TableName: names.table, ...(page?.LastEvaluatedKey ? { ExclusiveStartKey: page.LastEvaluatedKey } : {}) }), {
        abortSignal: signal,
      });
      for (const item of page.Items ?? []) {
        if (item.id?.S) rows.push({ id: item.id.S, name: item.name?.S ?? '', updatedAt: Number(item.updatedAt?.N ?? 0) });
      }
    } while (page.LastEvaluatedKey);
    return rows;
  }

  async fallback(): Promise<'on' | 'off'> {
    const config = await this.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: names.productFunction }), {
      abortSignal: AbortSignal.timeout(READING_TIMEOUT_MS),
    });
    return config.Environment?.Variables?.[env.writeFallback] === 'off' ? 'off' : 'on';
  }

  async mapping(): Promise<{ uuid: string; state: string }> {
    const mapping = await retryMapping(this.lambda);
    return { uuid: mapping.UUID ?? '', state: mapping.State ?? 'unknown' };
  }

  /** The functions' log lines since the last call (CloudWatch Logs), oldest first. */
  async functionLogs(): Promise<Array<{ key: FunctionKey; at: number; text: string }>> {
    const lines: Array<{ key: FunctionKey; at: number; text: string }> = [];
    const groups: Record<FunctionKey, string> = { product: names.productFunction, retry: names.retryFunction };
    for (const key of Object.keys(groups) as FunctionKey[]) {
      let token: string | undefined;
      let pages = 0;
      // startTime is inclusive; the next read starts 1 ms after the newest line read (a line
      // logged later with that same time stamp is missed: best effort).
      const since = this.logsSince[key];
      do {
        const page = await this.logs.send(
          new FilterLogEventsCommand({ logGroupName: `/aws/lambda/${groups[key]}`, startTime: since, ...(token ? { nextToken: token } : {}) }),
          { abortSignal: AbortSignal.timeout(READING_TIMEOUT_MS) },
        );
        for (const event of page.events ?? []) {
          const at = event.timestamp ?? Date.now();
          lines.push({ key, at, text: (event.message ?? '').trimEnd() });
          this.logsSince[key] = Math.max(this.logsSince[key], at + 1);
        }
        token = page.nextToken;
        pages += 1;
      } while (token && pages < 5);
    }
    return lines.sort((a, b) => a.at - b.at);
  }
}
