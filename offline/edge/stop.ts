/**
 * The edge's requests not answered yet, and its stop: each open request carries the answer it
 * gets if the runtime stops first (in its own format: API Gateway's, the service's, or the
 * edge's). From beginStop on, new requests are refused at once and calls waiting out the latency
 * are not run; what is still open when the wait runs out is answered too (answerOpen).
 */
import { setMaxListeners } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { EVENT_SOURCE_HEADER } from '../protocol/aws-wire';
import type { HttpAnswer } from '../protocol/http-api';
import { jsonAnswer, sendAnswer } from './answers';

export const STOPPING_MESSAGE = 'The offline runtime is stopping: this call was not run';
export const CUT_SHORT_MESSAGE = 'The offline runtime stopped before this call finished: its outcome is unknown';

/** What a request gets if the runtime stops before it is answered: `started` once it is under way. */
export type StopFallback = (started: boolean) => HttpAnswer;

/** Answers of the edge while it stops: refused at once, or cut short when the wait for them ran out. */
export interface EdgeStopCounts {
  refused: number;
  cutShort: number;
}

export class OpenRequests {
  private readonly open = new Map<ServerResponse, { fallback: StopFallback; started: boolean }>();
  private stopped = false;
  private readonly stopSignal = new AbortController();
  readonly counts: EdgeStopCounts = { refused: 0, cutShort: 0 };

  constructor() {
    // Every AWS call waiting out the latency listens on this one signal: as many as there are calls in flight.
    setMaxListeners(0, this.stopSignal.signal);
  }

  get stopping(): boolean {
    return this.stopped;
  }

  /** A request from now until its response closes; until told otherwise, a stop answers it in the edge's own format. */
  add(res: ServerResponse): void {
    this.open.set(res, { fallback: () => jsonAnswer(503, { message: STOPPING_MESSAGE }), started: false });
    res.once('close', () => this.open.delete(res));
  }

  setFallback(res: ServerResponse, fallback: StopFallback): void {
    const entry = this.open.get(res);
    if (entry) entry.fallback = fallback;
  }

  markStarted(res: ServerResponse): void {
    const entry = this.open.get(res);
    if (entry) entry.started = true;
  }

  /**
   * The answer to a request refused because the runtime is stopping, if it is. Only callers'
   * requests are counted: the event source's own polls are the runtime's, not anyone's work.
   */
  refusal(req: IncomingMessage, res: ServerResponse): HttpAnswer | undefined {
    if (!this.stopped) return undefined;
    const entry = this.open.get(res);
    if (req.headers[EVENT_SOURCE_HEADER] === undefined) this.counts.refused += 1;
    return entry ? entry.fallback(false) : jsonAnswer(503, { message: STOPPING_MESSAGE });
  }

  /** Waits out a call's latency; true when the runtime began to stop meanwhile (the call is then not run). */
  async waitOut(latencyMs: number): Promise<boolean> {
    if (latencyMs > 0) await sleep(latencyMs, undefined, { signal: this.stopSignal.signal }).catch(() => undefined);
    if (this.stopped) this.counts.refused += 1;
    return this.stopped;
  }

  /** From now on every new request is refused (503) and every call waiting out the latency is not run. */
  beginStop(): void {
    this.stopped = true;
    this.stopSignal.abort();
  }

  /** Resolves once every open request is answered, or after `timeoutMs`; true if all are. */
  async drain(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.open.size > 0 && Date.now() < until) await sleep(20);
    return this.open.size === 0;
  }

  /** Answers every request still open: 503, the runtime stopped before it finished (or before it began). */
  answerOpen(): void {
    this.beginStop();
    for (const [res, { fallback, started }] of this.open) {
      if (!res.headersSent) this.counts.cutShort += 1;
      sendAnswer(res, fallback(started));
      if (!res.writableEnded) res.end();
    }
  }
}
