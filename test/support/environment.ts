/**
 * Every tier's test environment: Node's, with the timeout a test or hook is given
 * (`it(name, fn, 60_000)`, `beforeAll(fn, 60_000)`) scaled by TEST_TIME_SCALE (time-scale.ts), so
 * the call sites keep plain numbers. jest's default timeout is scaled in jest.config.js.
 */
import type { Circus } from '@jest/types';
import NodeEnvironment from 'jest-environment-node';
import { scaled, timeScale } from './time-scale';

/** Scales `entry`'s own timeout once: a beforeEach starts once per test, a retried test once per try. */
export function scaleTimeoutOnce(entry: Circus.TestEntry | Circus.Hook, seen: WeakSet<object>, scale = timeScale): void {
  if (entry.timeout == null || seen.has(entry)) return;
  entry.timeout = scaled(entry.timeout, scale);
  seen.add(entry);
}

export default class TestEnvironment extends NodeEnvironment {
  private readonly scaledAlready = new WeakSet<object>();

  handleTestEvent(event: Circus.Event, _state: Circus.State): void {
    // jest-circus reads the timeout right after these events.
    if (event.name === 'test_fn_start') scaleTimeoutOnce(event.test, this.scaledAlready);
    if (event.name === 'hook_start') scaleTimeoutOnce(event.hook, this.scaledAlready);
  }
}
