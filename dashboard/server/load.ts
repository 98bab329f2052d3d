/**
 * The dashboard's own traffic: single products sent from the page and a steady write load
 * (ids `load-<n>`), with every answer counted by status for the snapshot and its timeline.
 */
import type { AppClient } from '../../shared/app-client/app-client';

export const MAX_RATE_PER_SECOND = 20;
export const DEFAULT_RATE_PER_SECOND = 2;
/** Writes of the load still waiting for an answer beyond which a tick sends nothing (a slow target is not flooded). */
const MAX_IN_FLIGHT = 40;

export class WriteLoad {
  /** Answers by status since the dashboard started ("0": no answer). */
  readonly answers: Record<string, number> = {};
  /** Answers by status since the last `drain()`: one timeline point's worth. */
  private recent: Record<string, number> = {};
  private timer: NodeJS.Timeout | undefined;
  private next = 1;
  private inFlight = 0;
  ratePerSecond = DEFAULT_RATE_PER_SECOND;

  constructor(private readonly target: AppClient) {}

  get running(): boolean {
    return this.timer !== undefined;
  }

  private count(status: number): void {
    const key = String(status);
    this.answers[key] = (this.answers[key] ?? 0) + 1;
    this.recent[key] = (this.recent[key] ?? 0) + 1;
  }

  /** The answers since the last call. */
  drain(): Record<string, number> {
    const recent = this.recent;
    this.recent = {};
    return recent;
  }

  async send(product: { id: string; name: string; price: number | string; description: string }): Promise<{ status: number; body: string }> {
    const answer = await this.target.post(product, AbortSignal.timeout(35_000));
    this.count(answer.status);
    return { status: answer.status, body: answer.body };
  }

  start(ratePerSecond: number): void {
    this.stop();
    this.ratePerSecond = ratePerSecond;
    this.timer = setInterval(() => {
      if (this.inFlight >= MAX_IN_FLIGHT) return;
      const n = this.next++;
      this.inFlight += 1;
      void this.send({ id: `load-${n}`, name: `load-${n}`, price: n, description: 'steady load from the dashboard' }).finally(() => (this.inFlight -= 1));
    }, 1000 / ratePerSecond);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
