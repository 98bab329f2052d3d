/**
 * Whether a failed AWS call may still take effect. An attempt that got an HTTP answer (a fault,
 * a throttle, a 5xx) was refused; one that timed out, was aborted or lost its connection may
 * still be processed by the service after we stopped waiting, so its outcome is unknown. The SDK
 * retries inside one `send`, and its final error describes the last attempt only, so each
 * attempt is recorded by a middleware that runs inside the retry loop.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** Network errors that mean the request was never sent. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

/** True when the service answered the attempt with an error, so the request did not take effect. */
export function wasAnswered(error: unknown): boolean {
  const failure = error as { $metadata?: { httpStatusCode?: unknown }; code?: unknown } | null;
  if (typeof failure?.$metadata?.httpStatusCode === 'number') return true;
  return typeof failure?.code === 'string' && NEVER_SENT.has(failure.code);
}

/** The attempts of one call (or several calls) that may have reached the service unanswered. */
export class AttemptLog {
  attempts = 0;
  unanswered = 0;

  /** Records one attempt's failure. */
  failed(error: unknown): void {
    if (!wasAnswered(error)) this.unanswered += 1;
  }

  /** Whether any attempt may have taken effect, given the call's final error too. */
  mayHaveLanded(finalError?: unknown): boolean {
    return this.unanswered > 0 || (finalError !== undefined && !wasAnswered(finalError));
  }
}

interface MiddlewareStackLike {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK's stacks are generic in input and output
  add(middleware: any, options: { step: 'deserialize'; priority: 'high'; name: string; override?: boolean }): void;
}

/** A middleware around each attempt (inside the retry loop, outside the response parser). */
function attemptMiddleware(log: () => AttemptLog | undefined) {
  return (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
    const current = log();
    if (current) current.attempts += 1;
    try {
      return await next(args);
    } catch (error) {
      current?.failed(error);
      throw error;
    }
  };
}

/** Records every attempt of one command in `log`. */
export function recordAttempts(command: { middlewareStack: MiddlewareStackLike }, log: AttemptLog): void {
  command.middlewareStack.add(
    attemptMiddleware(() => log),
    { step: 'deserialize', priority: 'high', name: 'attemptLog', override: true },
  );
}

const current = new AsyncLocalStorage<AttemptLog>();

/**
 * Records the attempts of every call a client makes inside `withAttemptLog`, for clients whose
 * commands are built elsewhere (the SNS publisher).
 */
export function recordClientAttempts(client: { middlewareStack: MiddlewareStackLike }): void {
  client.middlewareStack.add(
    attemptMiddleware(() => current.getStore()),
    { step: 'deserialize', priority: 'high', name: 'attemptLogContext', override: true },
  );
}

/** Runs `call` so that recordClientAttempts clients record its attempts in `log`. */
export function withAttemptLog<T>(log: AttemptLog, call: () => Promise<T>): Promise<T> {
  return current.run(log, call);
}
