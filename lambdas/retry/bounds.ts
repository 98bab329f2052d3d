/** What the retry Lambda trusts beyond parseWrite: a write the product Lambda could have produced. */
import { orderingHorizon } from '#domain/ordering';
import type { ProductWrite } from '#domain/product';
import type { Config } from '../config';

/** The API Gateway request id (or Lambda request id) the product Lambda stamps on a write: a UUID. */
const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The reason the product Lambda could not have produced `write`, or undefined. */
export function outOfBounds(write: ProductWrite, now: number, config: Pick<Config, 'clockSkewSeconds' | 'maxWriteAgeDays'>): string | undefined {
  // Beyond the horizon a stored stamp does not count (domain/ordering.ts), so no write may carry one.
  if (write.updatedAt > orderingHorizon(now, config.clockSkewSeconds)) {
    return `Untrusted product write: updatedAt ${write.updatedAt} is ${Math.round((write.updatedAt - now) / 1000)} s in the future (allowed: ${config.clockSkewSeconds} s of clock skew); the product Lambda stamps the time it accepts a write`;
  }
  const earliest = now - config.maxWriteAgeDays * 86_400_000;
  if (write.updatedAt < earliest) {
    return `Untrusted product write: updatedAt ${write.updatedAt} is too old (more than ${config.maxWriteAgeDays} days before now)`;
  }
  if (!REQUEST_ID.test(write.requestId)) return 'Untrusted product write: requestId must be the request id the product Lambda stamps (a UUID)';
  return undefined;
}
