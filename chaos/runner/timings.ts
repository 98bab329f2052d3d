/**
 * The target's own retry-path timings, read through the AWS APIs a deploy sets them with (so the
 * offline runtime, `--fast-timings` or not, and LocalStack alike): the queue's visibility timeout
 * and redrive threshold, the retry function's backoff and breaker settings. The runner sizes its
 * waits from them instead of from fixed numbers, so a file's defaults fit any target:
 *
 * - the settle bound: how long an accepted write may take to reach the table once nothing fails;
 * - the redrive threshold: how long a write waits in the queue through an outage before SQS
 *   would dead-letter it.
 */
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { localstack, names, region, retryPath } from '#spec';
import { readFunctionTimings } from '../../spec/timings';
import { AppClient } from '../../shared/app-client/app-client';

export interface TargetTimings {
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  backoffBaseSeconds: number;
  backoffCapSeconds: number;
  breakerCooldownMs: number;
  /** Where they came from: the target, or the deployed values when it could not say. */
  source: 'target' | 'deployed defaults';
}

/** Room for one long poll, one retry invocation and a busy machine, on top of the timings. */
const SETTLE_MARGIN_SECONDS = 10;
/** The longest wait the runner sizes on its own ("a few minutes"); a longer need skips the experiment. */
export const MAX_SIZED_SECONDS = 300;

/** The deployed values (the spec's), which are also what the functions fall back to. */
export function deployedTimings(): TargetTimings {
  const { backoffBaseSeconds, backoffCapSeconds, breakerCooldownMs } = readFunctionTimings({});
  return {
    visibilityTimeoutSeconds: retryPath.visibilityTimeoutSeconds,
    maxReceiveCount: retryPath.maxReceiveCount,
    backoffBaseSeconds,
    backoffCapSeconds,
    breakerCooldownMs,
    source: 'deployed defaults',
  };
}

/** Reads the timings from the target; throws when it cannot (the stack not deployed, the target down). */
export async function readTimings(endpoint: string, timeoutMs = 10_000): Promise<TargetTimings> {
  const target = new AppClient(endpoint, { maxAttempts: 1 });
  const lambda = new LambdaClient({
    region,
    endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: localstack.accessKey, secretAccessKey: localstack.secretKey },
  });
  const abortSignal = AbortSignal.timeout(timeoutMs);
  try {
    const { QueueUrl } = await target.sqs.send(new GetQueueUrlCommand({ QueueName: names.queue }), { abortSignal });
    const [{ Attributes = {} }, { Environment }] = await Promise.all([
      target.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'] }), { abortSignal }),
      lambda.send(new GetFunctionConfigurationCommand({ FunctionName: names.retryFunction }), { abortSignal }),
    ]);
    // The retry function reads its timings as it does at start, defaults included.
    const config = readFunctionTimings(Environment?.Variables ?? {});
    const redrive = Attributes.RedrivePolicy ? (JSON.parse(Attributes.RedrivePolicy) as { maxReceiveCount?: unknown }) : {};
    return {
      visibilityTimeoutSeconds: Number(Attributes.VisibilityTimeout ?? retryPath.visibilityTimeoutSeconds),
      maxReceiveCount: Number(redrive.maxReceiveCount ?? config.maxReceiveCount),
      backoffBaseSeconds: config.backoffBaseSeconds,
      backoffCapSeconds: config.backoffCapSeconds,
      breakerCooldownMs: config.breakerCooldownMs,
      source: 'target',
    };
  } finally {
    target.dynamo.destroy();
    target.sqs.destroy();
    lambda.destroy();
  }
}

/**
 * The longest an accepted write may take to reach the table once nothing fails: a receive lost
 * on the way (a poll cut off as a mapping is disabled, an invocation that crashed) gives the
 * message back only after the visibility timeout; then the retry function's breaker may still
 * be open for one cooldown, and a failed attempt hides the write for one backoff cap.
 */
export function settleBoundSeconds(timings: TargetTimings): number {
  return Math.ceil(timings.visibilityTimeoutSeconds + timings.breakerCooldownMs / 1000 + timings.backoffCapSeconds + SETTLE_MARGIN_SECONDS);
}

/** About how long a write waits in the queue through an outage before its maxReceiveCount-th receive: one backoff per receive. */
export function redriveThresholdSeconds(timings: TargetTimings): number {
  const { backoffBaseSeconds: base, backoffCapSeconds: cap, maxReceiveCount } = timings;
  let total = 0;
  for (let receive = 1; receive < maxReceiveCount; receive += 1) {
    const backoff = Math.min(base * 2 ** (receive - 1), cap);
    // From the cap on, every receive adds the cap: no need to count a thousand of them one by one.
    if (backoff === cap) return Math.ceil(total + (maxReceiveCount - receive) * cap);
    total += backoff;
  }
  return Math.ceil(total);
}

/** The target timings a file can name in its `outlasts` declaration. */
export const NAMED_TIMINGS = {
  'redrive-threshold': {
    seconds: redriveThresholdSeconds,
    describe: (t: TargetTimings) =>
      `the target's redrive threshold is about ${redriveThresholdSeconds(t)} s (maxReceiveCount ${t.maxReceiveCount}, a receive every ${t.backoffCapSeconds} s at the backoff cap)`,
  },
} as const;

export type NamedTiming = keyof typeof NAMED_TIMINGS;

export const describeTimings = (t: TargetTimings) =>
  `visibility timeout ${t.visibilityTimeoutSeconds} s, backoff cap ${t.backoffCapSeconds} s, breaker cooldown ${t.breakerCooldownMs / 1000} s, maxReceiveCount ${t.maxReceiveCount}`;
