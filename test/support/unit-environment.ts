/**
 * The unit tier's test environment: every tier's (environment.ts), with what makes a test slow
 * or dependent on the machine refused where it happens, so a suite that needs it fails here with
 * a message naming the call instead of slowing the inner loop: a child process, a worker thread,
 * a socket opened or listened on (every HTTP client and server, fetch and the AWS SDK's handler
 * included), and a real timer of more than 1 ms that fires (jest's fake timers are the way;
 * `timers/promises` and AbortSignal.timeout follow them here, as they do not in plain jest).
 * Such a suite belongs in test/integration or test/e2e. Each refusal fails the test it happened
 * in, even where the code under test caught it.
 */
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import type { Circus } from '@jest/types';
import childProcess from 'node:child_process';
import net from 'node:net';
import timersPromises from 'node:timers/promises';
import { promisify } from 'node:util';
import workerThreads from 'node:worker_threads';
import TestEnvironment from './environment';

/** Where a refused call is reported to the tests (the guard's own test reads and clears it). */
export const GUARD_KEY = Symbol.for('unit-tier-guard');
export interface UnitGuard {
  /** The refusals recorded since the last take, which then count against no test. */
  take(): Error[];
}

const MOVE = 'in test/integration or test/e2e (docs/testing.md)';
const CHILD_PROCESS_CALLS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;

type Patch = [target: object, key: string, replacement: unknown];

export default class UnitEnvironment extends TestEnvironment {
  private readonly refusals: Error[] = [];
  private readonly restores: Array<() => void> = [];

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    const guard: UnitGuard = { take: () => this.refusals.splice(0) };
    Object.assign(this.global, { [GUARD_KEY]: guard });
  }

  override async setup(): Promise<void> {
    await super.setup();
    // These modules are the worker process's own, shared with the suites it runs next: teardown puts them back.
    const refusal = (what: string) => this.refuse(`The unit tier starts no ${what}: this suite belongs ${MOVE}, or should mock it`);
    // A function, not an arrow: `new Worker(...)` must reach the throw.
    const refuse = (what: string) =>
      function refused(): never {
        throw refusal(what);
      };
    const patches: Patch[] = [
      ...CHILD_PROCESS_CALLS.map((name): Patch => [childProcess, name, refuse(`child process (child_process.${name})`)]),
      [workerThreads, 'Worker', refuse('worker thread (new Worker)')],
      [net.Socket.prototype, 'connect', refuse('connection (a socket connect: HTTP, fetch or the AWS SDK reaching a server)')],
      [net.Server.prototype, 'listen', refuse('server (server.listen)')],
      // Node's promise sleep and AbortSignal.timeout ignore jest's fake timers; on the sandbox's setTimeout they follow them.
      [timersPromises, 'setTimeout', (ms?: number, value?: unknown, options?: { signal?: AbortSignal }) => this.sleep(ms, value, options?.signal)],
      [AbortSignal, 'timeout', (ms: number) => this.timeoutSignal(ms)],
    ];
    for (const [target, key, replacement] of patches) {
      const original = (target as Record<string, unknown>)[key];
      (target as Record<string, unknown>)[key] = replacement;
      this.restores.push(() => ((target as Record<string, unknown>)[key] = original));
    }
  }

  override async teardown(): Promise<void> {
    for (const restore of this.restores.splice(0).reverse()) restore();
    await super.teardown();
  }

  override handleTestEvent(event: Circus.Event, state: Circus.State): void {
    super.handleTestEvent(event, state);
    // After jest-circus has taken its own setTimeout (its test timeouts), before any suite code runs.
    if (event.name === 'setup') this.guardTimers();
    // A refusal the test threw is among its errors already.
    if (event.name === 'test_done') event.test.errors.push(...this.refusals.splice(0).filter((refusal) => !event.test.errors.flat().includes(refusal)));
    if (event.name === 'run_finish') state.unhandledErrors.push(...this.refusals.splice(0));
  }

  private refuse(message: string): Error {
    const error = new Error(message);
    this.refusals.push(error);
    return error;
  }

  /** setTimeout and setInterval that record a refusal when a real delay of more than 1 ms elapses. */
  private guardTimers(): void {
    const sandbox = this.global as unknown as typeof globalThis;
    const guarded = <F extends typeof setTimeout | typeof setInterval>(real: F, name: string): F => {
      const wrapper = (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
        if (typeof callback !== 'function' || !((ms ?? 0) > 1)) return real(callback, ms, ...args);
        // Made here, so its stack points at the line that set the timer.
        const refusal = new Error(`The unit tier waits on no real time: a ${ms} ms ${name} fired; use jest.useFakeTimers(), or this suite belongs ${MOVE}`);
        return real(
          (...callbackArgs: unknown[]) => {
            this.refusals.push(refusal);
            callback(...callbackArgs);
          },
          ms,
          ...args,
        );
      };
      return Object.assign(wrapper, real) as unknown as F;
    };
    const realSetTimeout = sandbox.setTimeout;
    sandbox.setTimeout = Object.assign(guarded(realSetTimeout, 'setTimeout'), {
      [promisify.custom]: (ms?: number, value?: unknown) => this.sleep(ms, value),
    });
    sandbox.setInterval = guarded(sandbox.setInterval, 'setInterval');
  }

  /** AbortSignal.timeout on the sandbox's current setTimeout; like Node's, its timer keeps no process alive. */
  private timeoutSignal(ms: number): AbortSignal {
    const controller = new AbortController();
    const sandbox = this.global as unknown as typeof globalThis;
    const timer = sandbox.setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
    (timer as { unref?: () => void }).unref?.();
    return controller.signal;
  }

  /** timers/promises' setTimeout on the sandbox's current setTimeout: jest's fake one while faked, the guarded real one otherwise. */
  private sleep<T>(ms = 1, value?: T, signal?: AbortSignal): Promise<T> {
    const sandbox = this.global as unknown as typeof globalThis;
    return new Promise<T>((resolve, reject) => {
      const aborted = () => reject(Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR', cause: signal?.reason }));
      if (signal?.aborted) return aborted();
      const timer = sandbox.setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(value as T);
      }, ms);
      const onAbort = () => {
        sandbox.clearTimeout(timer);
        aborted();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
