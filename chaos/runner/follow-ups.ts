/**
 * The requests the runner sends itself during a run: on LocalStack, the DELETE that ends a fault
 * rule once its `durationMs` is over (offline-extensions.ts), recorded for the journal.
 */
import type { FollowUpRun } from './journal';
import type { FollowUp } from './offline-extensions';

/** Sends the follow-ups (a DELETE when a rule's duration is over) and records them; `flush` sends the pending ones now. */
export function followUps() {
  const done: FollowUpRun[] = [];
  const pending = new Map<NodeJS.Timeout, FollowUp>();
  const send = async (followUp: FollowUp, early: boolean) => {
    // Epoch ms until the journal's start is known.
    const record: FollowUpRun = { method: followUp.method, url: followUp.url, body: followUp.body, t: Date.now(), status: 0, ...(early ? { early } : {}) };
    try {
      const response = await fetch(followUp.url, {
        method: followUp.method,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(followUp.body),
        signal: AbortSignal.timeout(10_000),
      });
      record.status = response.status;
    } catch (error) {
      record.error = (error as Error).message;
    }
    done.push(record);
  };
  const sending: Array<Promise<void>> = [];
  return {
    done,
    schedule(followUp: FollowUp) {
      const timer = setTimeout(() => {
        pending.delete(timer);
        sending.push(send(followUp, false));
      }, followUp.afterMs);
      pending.set(timer, followUp);
    },
    async flush() {
      for (const [timer, followUp] of pending) {
        clearTimeout(timer);
        sending.push(send(followUp, true));
      }
      pending.clear();
      await Promise.all(sending);
    },
  };
}
