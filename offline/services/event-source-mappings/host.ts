/**
 * Lambda's pollers for the deployed SQS event source mappings (offline/services/lambda/control.ts): per
 * enabled mapping, as many pollers as its maximum concurrency, each long-polling the queue
 * through the edge with the function's role credentials (Lambda polls with the execution role)
 * and handing each batch to the function through the function host. Driven only by the control
 * plane's state: a disabled mapping stops polling at once (its in-flight receives are aborted),
 * an enabled or updated one polls with its new settings, a deleted one stops.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { setTimeout as sleep } from 'node:timers/promises';
import { markAsEventSource, pollOnce } from './poll';
import type { FunctionHost } from '../lambda/host';
import type { DeployedMapping, LambdaChange } from '../lambda/model';

/** What the host reads of the Lambda control plane (LambdaService has it). */
export interface MappingSource {
  mappings(): DeployedMapping[];
  onChange(listener: (change: LambdaChange) => void): () => void;
}

export interface MappingHostOptions {
  source: MappingSource;
  functions: Pick<FunctionHost, 'invoke' | 'credentials'>;
  /** The runtime's URL: the pollers call SQS through the edge, where chaos applies to them. */
  endpointUrl: string;
  /** How long each receive waits for messages (the pollers' long poll). */
  pollWaitSeconds: number;
  log: (line: string) => void;
}

/**
 * Pollers of a mapping without ScalingConfig: Lambda starts SQS polling with five concurrent
 * pollers and scales up from there; five keeps the offline runtime's load bounded.
 */
export const DEFAULT_POLLERS = 5;
/** A failed receive (a fault, the queue gone) is retried after this, as Lambda's pollers back off. */
const RETRY_AFTER_MS = 1_000;

/**
 * The queue URL of an SQS ARN in LocalStack's standard form, which the edge maps to the
 * emulator's: `http://sqs.<region>.localhost.localstack.cloud:<port>/<account>/<name>`.
 */
export function queueUrlOf(queueArn: string, endpointUrl: string): { queueUrl: string; region: string } {
  const match = /^arn:aws[a-z-]*:sqs:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_.-]+)$/.exec(queueArn);
  if (!match?.[1] || !match[2] || !match[3]) throw new Error(`Not an SQS queue ARN: ${queueArn}`);
  const { port } = new URL(endpointUrl);
  return { queueUrl: `http://sqs.${match[1]}.localhost.localstack.cloud${port ? `:${port}` : ''}/${match[2]}/${match[3]}`, region: match[1] };
}

/** One mapping's pollers, with the settings they started with; replaced, never changed. */
class Pollers {
  private readonly polling = new AbortController();
  private ending = false;
  readonly done: Promise<void>;

  constructor(
    mapping: DeployedMapping,
    private readonly options: MappingHostOptions,
  ) {
    const { endpointUrl, functions, pollWaitSeconds } = options;
    const { queueUrl, region } = queueUrlOf(mapping.eventSourceArn, endpointUrl);
    const functionName = mapping.functionArn.split(':').pop() ?? mapping.functionArn;
    const sqs = markAsEventSource(
      new SQSClient({
        region,
        endpoint: endpointUrl,
        useQueueUrlAsEndpoint: false,
        // The pollers back off on their own (below); an SDK retry could also land after a stop began.
        maxAttempts: 1,
        // The SDK asks again as they near expiry; a changed function (its role) restarts the pollers.
        credentials: async () => functions.credentials(mapping.functionArn),
      }),
      functionName,
    );
    const settings = {
      queueUrl,
      queueArn: mapping.eventSourceArn,
      region,
      batchSize: mapping.batchSize,
      waitTimeSeconds: pollWaitSeconds,
      reportBatchItemFailures: mapping.functionResponseTypes.includes('ReportBatchItemFailures'),
    };
    const invoke = async (event: unknown) => {
      const outcome = await functions.invoke(mapping.functionArn, event);
      if (!outcome.ok) throw new Error(`${outcome.errorType}: ${outcome.errorMessage}`);
      return outcome.result as SQSBatchResponse | undefined;
    };
    const { signal } = this.polling;
    const poller = async () => {
      while (!this.ending) {
        try {
          await pollOnce(sqs, settings, invoke, signal);
        } catch {
          // A faulted or aborted receive: wait a moment, as the real poller backs off.
          await sleep(RETRY_AFTER_MS, undefined, { signal }).catch(() => undefined);
        }
      }
    };
    const count = mapping.maximumConcurrency ?? DEFAULT_POLLERS;
    this.done = Promise.all(Array.from({ length: count }, poller)).then(() => sqs.destroy());
  }

  /**
   * No new receive from now on; `now` also abandons the receives in flight (a message SQS hands
   * to one in that instant stays in flight until its visibility timeout, as with any lost
   * receive). A batch already received still runs and is deleted as usual.
   */
  stop(now: boolean): void {
    this.ending = true;
    if (now) this.polling.abort();
  }
}

export class MappingHost {
  /** By UUID: the pollers of each enabled mapping. */
  private readonly running = new Map<string, Pollers>();
  /** Every set of pollers started, until it has ended: replaced ones finish their current receive. */
  private readonly live = new Set<Pollers>();
  private readonly unsubscribe: () => void;
  private stopping = false;

  constructor(private readonly options: MappingHostOptions) {
    for (const mapping of options.source.mappings()) this.apply(mapping);
    this.unsubscribe = options.source.onChange((change) => {
      if (change.kind === 'function') {
        if (change.change !== 'configuration') return;
        // Its role may have changed: the pollers sign with the role's credentials.
        const arn = change.function.arn;
        for (const mapping of options.source.mappings()) if (mapping.functionArn === arn && this.running.has(mapping.uuid)) this.apply(mapping);
      } else if (change.change === 'deleted') this.halt(change.mapping.uuid, true);
      else this.apply(change.mapping);
    });
  }

  /** Mappings polling now, by UUID. */
  get polling(): string[] {
    return [...this.running.keys()];
  }

  /** Ends every poll at once, so no new batch is received or invoked. */
  beginStop(): void {
    this.stopping = true;
    this.unsubscribe();
    this.running.clear();
    // Replaced pollers too: a receive of theirs still open would otherwise outlive the stop.
    for (const pollers of this.live) pollers.stop(true);
  }

  /** Resolves once every poller has ended (their batches run through the functions first). */
  async stop(): Promise<void> {
    this.beginStop();
    await Promise.all([...this.live].map((pollers) => pollers.done));
  }

  /**
   * Polls with the mapping's settings now: new pollers if it is enabled, while the old ones end
   * after their current receive; a disabled mapping stops polling at once.
   */
  private apply(mapping: DeployedMapping): void {
    this.halt(mapping.uuid, !mapping.enabled);
    if (!mapping.enabled || this.stopping) return;
    const pollers = new Pollers(mapping, this.options);
    this.running.set(mapping.uuid, pollers);
    this.live.add(pollers);
    void pollers.done.then(() => this.live.delete(pollers));
  }

  private halt(uuid: string, now: boolean): void {
    this.running.get(uuid)?.stop(now);
    this.running.delete(uuid);
  }
}
