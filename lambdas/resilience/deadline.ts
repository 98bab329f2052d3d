import type { Context } from 'aws-lambda';

/**
 * The invocation's time budget, derived from the Lambda context so that every AWS call is
 * aborted before the function itself would time out, leaving `safetyMs` to answer.
 */
export class Deadline {
  constructor(
    private readonly context: Pick<Context, 'getRemainingTimeInMillis'>,
    private readonly safetyMs: number,
  ) {}

  remainingMs(): number {
    return this.context.getRemainingTimeInMillis() - this.safetyMs;
  }

  /** An abort signal for the next call: at most `capMs`, never past the deadline. */
  signal(capMs = Number.POSITIVE_INFINITY): AbortSignal {
    return AbortSignal.timeout(Math.max(1, Math.min(capMs, this.remainingMs())));
  }
}
