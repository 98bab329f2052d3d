/**
 * The event source's long polls, in the default view only when they say something: a batch
 * received, the first of a streak of failures, the first success after one. Every poll with
 * --verbose. A poll sent before the latest failure ends no streak (with two pollers, one's
 * long poll often outlasts the other's failure).
 */
import type { LogLevel } from '../protocol/contracts';
import type { HttpAnswer } from '../protocol/http-api';

export class PollLog {
  /** The event source's latest failing poll (what and when it was sent), so a streak of them is logged once. */
  private trouble: { outcome: string; sentAt: number } | undefined;

  /** A poll sent at `sentAt` (performance.now()) failed with `failure`, or received `received` messages. */
  note(log: (line: string, level?: LogLevel) => void, sentAt: number, failure: string | undefined, received: number): void {
    const { trouble } = this;
    if (failure !== undefined) {
      const first = trouble?.outcome !== failure;
      this.trouble = { outcome: failure, sentAt: Math.max(sentAt, trouble?.sentAt ?? 0) };
      return log(`AWS sqs.ReceiveMessage => ${failure} (event source${first ? '; it keeps polling, repeats are not shown' : ''})`, first ? 'info' : 'debug');
    }
    const recovered = trouble !== undefined && sentAt > trouble.sentAt;
    if (recovered) this.trouble = undefined;
    if (received > 0) return log(`AWS sqs.ReceiveMessage => 200 (event source: ${received} message${received === 1 ? '' : 's'})`);
    log(`AWS sqs.ReceiveMessage => 200 (event source: ${recovered ? 'receiving again, queue empty' : 'empty poll'})`, recovered ? 'info' : 'debug');
  }
}

/** How many messages a ReceiveMessage answer (JSON protocol) carries. */
export function receivedCount(answer: HttpAnswer): number {
  try {
    const parsed = JSON.parse(answer.body.toString()) as { Messages?: unknown[] };
    return Array.isArray(parsed.Messages) ? parsed.Messages.length : 0;
  } catch {
    return 0;
  }
}
