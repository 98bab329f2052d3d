/**
 * The functions' timing settings from their environment, defaults from the spec: read alike by
 * the Lambdas (lambdas/config.ts) and by the experiment runner sizing its waits on a target
 * (chaos/runner/timings.ts), so both see the same values for the same environment.
 */
import { env, retryPath, timing } from './index';

export type Env = Record<string, string | undefined>;

export function positiveNumber(source: Env, name: string, fallback: number): number {
  const raw = source[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`Environment variable ${name} must be a positive number, got "${raw}"`);
  return value;
}

export interface FunctionTimings {
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  dynamoBudgetMs: number;
  breakerThreshold: number;
  breakerCooldownMs: number;
  backoffBaseSeconds: number;
  backoffCapSeconds: number;
  maxReceiveCount: number;
}

export function readFunctionTimings(source: Env): FunctionTimings {
  return {
    connectTimeoutMs: positiveNumber(source, env.connectTimeoutMs, timing.connectTimeoutMs),
    requestTimeoutMs: positiveNumber(source, env.requestTimeoutMs, timing.requestTimeoutMs),
    dynamoBudgetMs: positiveNumber(source, env.dynamoBudgetMs, timing.dynamoBudgetMs),
    breakerThreshold: positiveNumber(source, env.breakerThreshold, timing.breakerThreshold),
    breakerCooldownMs: positiveNumber(source, env.breakerCooldownMs, timing.breakerCooldownMs),
    backoffBaseSeconds: positiveNumber(source, env.backoffBaseSeconds, timing.backoffBaseSeconds),
    backoffCapSeconds: positiveNumber(source, env.backoffCapSeconds, timing.backoffCapSeconds),
    maxReceiveCount: positiveNumber(source, env.maxReceiveCount, retryPath.maxReceiveCount),
  };
}
