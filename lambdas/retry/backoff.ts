/** How long the retry path waits before it tries a write again. */
import { awsLimits } from '#spec';
import type { Config } from '../config';

/** Visibility timeout for the next attempt: base × 2^(receiveCount-1), capped. */
export function backoffSeconds(receiveCount: number, config: Pick<Config, 'backoffBaseSeconds' | 'backoffCapSeconds'>): number {
  const exponent = Math.min(Math.max(receiveCount, 1) - 1, 30);
  return Math.round(Math.min(config.backoffCapSeconds, config.backoffBaseSeconds * 2 ** exponent));
}

/** How long a write stays hidden after its `failedAttempts`-th failed re-queue: base × 2^(n-1), capped. */
export function requeueHoldSeconds(failedAttempts: number, config: Pick<Config, 'requeueHoldBaseSeconds' | 'requeueHoldCapSeconds'>): number {
  const exponent = Math.min(Math.max(failedAttempts, 1) - 1, 30);
  return Math.round(Math.min(config.requeueHoldCapSeconds, awsLimits.sqsMaxVisibilitySeconds, config.requeueHoldBaseSeconds * 2 ** exponent));
}

/** The first receive of the re-queue window: from it on, a write that waits goes back to the queue as a fresh message. */
export const firstRequeueReceive = (config: Pick<Config, 'maxReceiveCount' | 'requeueWindow'>): number =>
  Math.max(1, config.maxReceiveCount - config.requeueWindow);
