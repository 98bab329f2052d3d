/**
 * SNS publishes whose delivery to SQS is held back. SNS accepted each one (the publish answered
 * 200), so it is an accepted write and is kept until it is delivered: while an sqs:SendMessage
 * fault is on it waits, and once the fault clears it is released to the emulator. A release the
 * emulator refuses (an error answer, or no answer) keeps the delivery held, says so in the log and
 * retries it with a growing delay, as SNS retries a delivery to SQS (its delivery policy backs
 * off to at most 20 s between attempts). A held delivery is counted as pending until it is
 * delivered, so a stop reports it.
 */
import type { LogLevel } from '../../protocol/contracts';

/** A publish as it was sent to the edge, ready to be forwarded again. */
export interface HeldRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

interface Held {
  request: HeldRequest;
  body: string;
  region: string;
  failures: number;
  /** performance.now() before which it is not tried again. */
  nextAttemptAt: number;
}

export interface HeldDeliveriesOptions {
  /** Whether a fault fails SNS's delivery to SQS in this region now. */
  faulted: (region: string) => boolean;
  /** Forwards the publish; undefined once delivered, else what went wrong (status and code). */
  release: (request: HeldRequest, body: string) => Promise<string | undefined>;
  log: (line: string, level?: LogLevel) => void;
  now?: () => number;
}

/** How often held deliveries are looked at, and the first delay after a failed release. */
export const HELD_RETRY_MS = 250;
/** The longest delay between two attempts at one delivery: SNS's for SQS endpoints (maxDelayTarget). */
export const HELD_MAX_DELAY_MS = 20_000;

export class HeldDeliveries {
  private readonly held: Held[] = [];
  private timer: NodeJS.Timeout | undefined;
  private releasing = false;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: HeldDeliveriesOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Deliveries accepted and not delivered yet. */
  get pending(): number {
    return this.held.length;
  }

  hold(request: HeldRequest, body: string, region: string): void {
    this.held.push({ request, body, region, failures: 0, nextAttemptAt: 0 });
  }

  start(): void {
    this.timer = setInterval(() => void this.releaseDue(), HELD_RETRY_MS).unref();
  }

  /** No more releases: what is still held stays counted as pending. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** Releases, in order, each delivery whose time has come, until a fault holds them back; one pass at a time. */
  async releaseDue(): Promise<void> {
    if (this.releasing) return;
    this.releasing = true;
    try {
      for (const delivery of [...this.held]) {
        if (this.stopped) return;
        if (delivery.nextAttemptAt > this.now()) continue;
        if (this.options.faulted(delivery.region)) return;
        await this.attempt(delivery);
      }
    } finally {
      this.releasing = false;
    }
  }

  private async attempt(delivery: Held): Promise<void> {
    const { log, release } = this.options;
    let failure: string | undefined;
    try {
      failure = await release(delivery.request, delivery.body);
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    if (failure === undefined) {
      this.held.splice(this.held.indexOf(delivery), 1);
      const after = delivery.failures === 0 ? '' : ` after ${delivery.failures} failed attempt${delivery.failures === 1 ? '' : 's'}`;
      return log(`SNS delivery to SQS released${after} (${this.held.length} still pending)`);
    }
    delivery.failures += 1;
    const delay = Math.min(HELD_RETRY_MS * 2 ** (delivery.failures - 1), HELD_MAX_DELAY_MS);
    delivery.nextAttemptAt = this.now() + delay;
    // The first failure of a delivery is shown; its repeats only with --verbose.
    log(
      `SNS delivery to SQS failed: ${failure}; kept and retried in ${delay} ms (attempt ${delivery.failures}; ${this.held.length} pending)`,
      delivery.failures === 1 ? 'info' : 'debug',
    );
  }
}
