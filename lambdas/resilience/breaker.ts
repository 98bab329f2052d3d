/**
 * A per-instance circuit breaker over consecutive failures. Once DynamoDB has failed `threshold`
 * times in a row, calls skip it for `cooldownMs`, so an outage stops costing every request a full
 * timeout; after the cooldown one call at a time probes it again (half-open).
 *
 * Written here rather than taken from a library such as opossum because what is needed is a
 * dozen lines: opossum's rolling-window timers and its own (non-aborting) timeout add behaviour
 * this design gets from the SDK's timeouts instead.
 */
export interface BreakerSettings {
  threshold: number;
  cooldownMs: number;
}

export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private probing = false;

  constructor(
    private readonly settings: BreakerSettings,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether a call may go through now. While half-open, only one probe is let through. */
  allows(): boolean {
    if (this.failures < this.settings.threshold) return true;
    if (this.now() < this.openUntil || this.probing) return false;
    this.probing = true;
    return true;
  }

  get isOpen(): boolean {
    return this.failures >= this.settings.threshold;
  }

  /** Seconds until the breaker lets a probe through; a hint for Retry-After. */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.openUntil - this.now()) / 1000));
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
  }

  failure(): void {
    this.failures += 1;
    this.probing = false;
    if (this.failures >= this.settings.threshold) this.openUntil = this.now() + this.settings.cooldownMs;
  }
}
