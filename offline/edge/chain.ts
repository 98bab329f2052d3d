/**
 * The edge's handler chain, as LocalStack's gateway has one: each request goes through a list of
 * small handlers in order; a handler answers it, or hands it on with `next` (and may act on the
 * answer that comes back, as the origin handler adds its CORS headers). The order is in edge.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Call, Fault } from '../../shared/contracts/chaos-api';
import { OFFLINE_PREFIX } from '../../shared/contracts/offline-api';
import type { AuthorizedCall, LogLevel } from '../protocol/contracts';
import type { HttpAnswer } from '../protocol/http-api';
import type { Principal } from '../protocol/service';

/** A request's answer; undefined when a handler wrote it to the response itself (a mount). */
export type EdgeAnswer = HttpAnswer | undefined;

export type Handler<C, A = EdgeAnswer> = (context: C, next: () => Promise<A>) => Promise<A>;

/** Runs `context` through the handlers in order; the last one must answer. */
export function runChain<C, A>(handlers: ReadonlyArray<Handler<C, A>>, context: C): Promise<A> {
  const at = (index: number): Promise<A> => {
    const handler = handlers[index];
    return handler ? handler(context, () => at(index + 1)) : Promise.reject(new Error('No handler of the edge answered the request'));
  };
  return at(0);
}

type Log = (line: string, level?: LogLevel) => void;

/** One request as the edge's handlers see it: filled in as it goes down the chain. */
export class EdgeContext {
  /** The path as sent, without its query: what the handlers before the body name. */
  readonly path: string;
  /** An observer's reading (OBSERVER_HEADER): faults and latency leave it alone. */
  observer = false;
  /** The body's bytes as sent (the body handler reads them): the product API gets these. */
  raw: Buffer = Buffer.alloc(0);
  /** The body as UTF-8 text: what the AWS APIs and the control endpoints take. */
  body = '';
  private parsed: URL | undefined;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    private readonly runtimeLog: Log,
  ) {
    this.path = (req.url ?? '/').split('?')[0] ?? '/';
  }

  /** The URL, parsed when a handler after the body first asks for it. */
  get url(): URL {
    return (this.parsed ??= new URL(this.req.url ?? '/', 'http://localhost'));
  }

  /** LocalStack's endpoints (/_localstack/) or the runtime's own (/_offline/): not an AWS call nor the product API. */
  get control(): boolean {
    return this.url.pathname.startsWith('/_localstack/') || this.url.pathname.startsWith(OFFLINE_PREFIX);
  }

  /** The runtime's log; an observer's lines end in "(dashboard)" and are shown only with --verbose. */
  readonly log: Log = (line, level) => (this.observer ? this.runtimeLog(`${line} (dashboard)`, 'debug') : this.runtimeLog(line, level));
}

/** An AWS call, to one of the runtime's own services or to an emulator, as latency, IAM and faults see it. */
export interface CallContext {
  /** What the Chaos API's rules match. */
  readonly call: Call;
  /** `service.Operation`, as the log lines name the call. */
  readonly name: string;
  readonly observer: boolean;
  readonly principal: Principal;
  /** What IAM evaluates: built only for a role session's call. */
  authorized(): AuthorizedCall;
  /** The call refused with this fault, in its service's own format. */
  refuse(fault: Fault, message: string): HttpAnswer;
  /** Logs why the call was refused (IAM or a fault). */
  logRefusal(outcome: string): void;
  log: Log;
}
