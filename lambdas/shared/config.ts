/**
 * Lambda configuration from the environment the stack (or the offline runtime) sets. Defaults
 * come from the spec so a missing timing variable never means an unbounded wait; a missing
 * resource name is a deployment error and fails at start-up, not on the first request.
 */
import { env, retryPath, timing } from '../../infra/spec';

export interface Config {
  tableName: string;
  topicArn: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  dynamoBudgetMs: number;
  breakerThreshold: number;
  breakerCooldownMs: number;
  backoffBaseSeconds: number;
  backoffCapSeconds: number;
  maxReceiveCount: number;
  /** Receives before the redrive threshold from which the retry Lambda re-queues a write it could not apply. */
  requeueWindow: number;
  /** After a failed re-queue, the write is hidden for this × 2^(failed attempts - 1) seconds, at most requeueHoldCapSeconds. */
  requeueHoldBaseSeconds: number;
  requeueHoldCapSeconds: number;
  /** DynamoDB refusals (ValidationException and the like), each on a separate receive, before a write is parked in the DLQ. */
  maxRefusals: number;
  /** How far in the future a queued write's updatedAt may be: the clock skew allowed between Lambda environments. */
  clockSkewSeconds: number;
  /** How old a queued write's updatedAt may be. */
  maxWriteAgeDays: number;
}

/**
 * The retry Lambda's guards (issue #10, findings 2, 3 and 6). Their home should be infra/spec.ts
 * (retryPath and env); they live here until the spec takes them, with the same meaning.
 */
export const retryGuards = {
  /**
   * 16 receives: the first failed re-queue hides the write for one backoff cap, each further one
   * twice as long up to 15 minutes, so SQS must refuse SendMessage for hours (while DynamoDB is
   * down and ReceiveMessage works) before the queue's redrive can take a valid write.
   */
  requeueWindow: 16,
  requeueHoldCapSeconds: 900,
  /**
   * 5 refusals, re-queued after 1, 2, 4 and 8 backoff caps: a refusal that is a passing fault or
   * a glitch clears within that time; one that lasts is a real mismatch between our validation and
   * DynamoDB's, which a person must look at, so the write is parked in the DLQ, counted and redrivable.
   */
  maxRefusals: 5,
  /** Lambda environments keep NTP time; five minutes is far beyond their skew and bounds how long a forged write can hold an id. */
  clockSkewSeconds: 300,
  /**
   * A write is re-queued before the redrive threshold, so it can wait out an outage of any
   * length; a year is far beyond any outage and the queues' 14-day retention.
   */
  maxWriteAgeDays: 365,
  env: {
    requeueWindow: 'RETRY_REQUEUE_WINDOW',
    requeueHoldBaseSeconds: 'RETRY_REQUEUE_HOLD_BASE_SECONDS',
    requeueHoldCapSeconds: 'RETRY_REQUEUE_HOLD_CAP_SECONDS',
    maxRefusals: 'RETRY_MAX_REFUSALS',
    clockSkewSeconds: 'RETRY_CLOCK_SKEW_SECONDS',
    maxWriteAgeDays: 'RETRY_MAX_WRITE_AGE_DAYS',
  },
} as const;

type Env = Record<string, string | undefined>;

function required(source: Env, name: string): string {
  const value = source[name];
  if (!value) throw new Error(`Environment variable ${name} is not set`);
  return value;
}

function positiveNumber(source: Env, name: string, fallback: number): number {
  const raw = source[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`Environment variable ${name} must be a positive number, got "${raw}"`);
  return value;
}

/** Reads the resource names a function needs (`needs`) and every timing setting. */
export function loadConfig(source: Env, needs: ReadonlyArray<'tableName' | 'topicArn' | 'queueUrl' | 'deadLetterQueueUrl'>): Config {
  const pick = (key: (typeof needs)[number]) => (needs.includes(key) ? required(source, env[key]) : '');
  const backoffCapSeconds = positiveNumber(source, env.backoffCapSeconds, timing.backoffCapSeconds);
  return {
    tableName: pick('tableName'),
    topicArn: pick('topicArn'),
    queueUrl: pick('queueUrl'),
    deadLetterQueueUrl: pick('deadLetterQueueUrl'),
    connectTimeoutMs: positiveNumber(source, env.connectTimeoutMs, timing.connectTimeoutMs),
    requestTimeoutMs: positiveNumber(source, env.requestTimeoutMs, timing.requestTimeoutMs),
    dynamoBudgetMs: positiveNumber(source, env.dynamoBudgetMs, timing.dynamoBudgetMs),
    breakerThreshold: positiveNumber(source, env.breakerThreshold, timing.breakerThreshold),
    breakerCooldownMs: positiveNumber(source, env.breakerCooldownMs, timing.breakerCooldownMs),
    backoffBaseSeconds: positiveNumber(source, env.backoffBaseSeconds, timing.backoffBaseSeconds),
    backoffCapSeconds,
    maxReceiveCount: positiveNumber(source, env.maxReceiveCount, retryPath.maxReceiveCount),
    requeueWindow: positiveNumber(source, retryGuards.env.requeueWindow, retryGuards.requeueWindow),
    // Scales with the backoff cap (1 s in the offline runtime's fast timings).
    requeueHoldBaseSeconds: positiveNumber(source, retryGuards.env.requeueHoldBaseSeconds, backoffCapSeconds),
    requeueHoldCapSeconds: positiveNumber(source, retryGuards.env.requeueHoldCapSeconds, retryGuards.requeueHoldCapSeconds),
    maxRefusals: positiveNumber(source, retryGuards.env.maxRefusals, retryGuards.maxRefusals),
    clockSkewSeconds: positiveNumber(source, retryGuards.env.clockSkewSeconds, retryGuards.clockSkewSeconds),
    maxWriteAgeDays: positiveNumber(source, retryGuards.env.maxWriteAgeDays, retryGuards.maxWriteAgeDays),
  };
}
