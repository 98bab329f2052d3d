/**
 * Lambda configuration from the environment the stack (or the offline runtime) sets. Defaults
 * come from the spec so a missing timing variable never means an unbounded wait; a missing
 * resource name is a deployment error and fails at start-up, not on the first request.
 */
import { env, retryGuards } from '#spec';
import { type Env, type FunctionTimings, positiveNumber, readFunctionTimings } from '../spec/timings';

/** The timings the runner reads too (spec/timings.ts), and what only the functions need. */
export interface Config extends FunctionTimings {
  tableName: string;
  topicArn: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  /** Receives before the redrive threshold from which the retry Lambda re-queues a write it could not apply. */
  requeueWindow: number;
  /** After a failed re-queue, the write is hidden for this × 2^(failed attempts - 1) seconds, at most requeueHoldCapSeconds. */
  requeueHoldBaseSeconds: number;
  requeueHoldCapSeconds: number;
  /** The clock skew allowed between Lambda environments: how far ahead a queued write's, or a stored item's, updatedAt may be (domain/ordering.ts). */
  clockSkewSeconds: number;
  /** How old a queued write's updatedAt may be: the end of its retry window, whatever fails meanwhile. */
  maxWriteAgeDays: number;
  /** The product Lambda's fallback to the queue when DynamoDB fails: 'off' loses the write with a failed invocation, as before the fix. */
  writeFallback: WriteFallback;
}

export type WriteFallback = 'on' | 'off';

function required(source: Env, name: string): string {
  const value = source[name];
  if (!value) throw new Error(`Environment variable ${name} is not set`);
  return value;
}

/** "on" when unset (the fixed application), "off" to behave as the tutorial's app before the fix; nothing else. */
function writeFallback(source: Env): WriteFallback {
  const raw = source[env.writeFallback];
  if (raw === undefined || raw === '') return 'on';
  if (raw === 'on' || raw === 'off') return raw;
  throw new Error(`Environment variable ${env.writeFallback} must be "on" or "off" (or unset, meaning "on"), got "${raw}"`);
}

/** Reads the resource names a function needs (`needs`) and every timing setting. */
export function loadConfig(source: Env, needs: ReadonlyArray<'tableName' | 'topicArn' | 'queueUrl' | 'deadLetterQueueUrl'>): Config {
  const pick = (key: (typeof needs)[number]) => (needs.includes(key) ? required(source, env[key]) : '');
  const timings = readFunctionTimings(source);
  return {
    tableName: pick('tableName'),
    topicArn: pick('topicArn'),
    queueUrl: pick('queueUrl'),
    deadLetterQueueUrl: pick('deadLetterQueueUrl'),
    ...timings,
    requeueWindow: positiveNumber(source, env.requeueWindow, retryGuards.requeueWindow),
    // Scales with the backoff cap (1 s in the offline runtime's fast timings).
    requeueHoldBaseSeconds: positiveNumber(source, env.requeueHoldBaseSeconds, timings.backoffCapSeconds),
    requeueHoldCapSeconds: positiveNumber(source, env.requeueHoldCapSeconds, retryGuards.requeueHoldCapSeconds),
    clockSkewSeconds: positiveNumber(source, env.clockSkewSeconds, retryGuards.clockSkewSeconds),
    maxWriteAgeDays: positiveNumber(source, env.maxWriteAgeDays, retryGuards.maxWriteAgeDays),
    writeFallback: writeFallback(source),
  };
}
