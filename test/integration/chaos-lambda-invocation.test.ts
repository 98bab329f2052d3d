/**
 * Lambda faults where the function host applies them (offline/services/lambda/function.ts): an
 * injected aws:lambda:invocation-error with and without running the handler, and an
 * aws:lambda:invocation-add-delay that counts against the invocation's timeout, as FIS's does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { region } from '#spec';
import { INJECTED_ERROR, LocalFunction } from '../../offline/services/lambda/function';
import { harnessPath } from '../../offline/runtime/harness';

let dir: string;
let fn: LocalFunction;
const lines: string[] = [];

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fn-faults-'));
  // Counts its runs in module state, so a test sees whether the handler ran.
  writeFileSync(path.join(dir, 'index.js'), 'let calls = 0; exports.handler = async () => ({ calls: (calls += 1) });');
  fn = new LocalFunction({
    name: 'Faulted',
    bundle: path.join(dir, 'index.js'),
    exportName: 'handler',
    harness: harnessPath, // built by jest's global set-up
    environment: {},
    timeoutSeconds: 1,
    memoryMb: 128,
    region,
    maxConcurrency: 1,
    log: (line) => lines.push(line),
  });
});

afterAll(async () => {
  await fn.stop();
  rmSync(dir, { recursive: true, force: true });
});

const calls = async () => {
  const result = await fn.invoke({});
  if (!result.ok) throw new Error(result.errorMessage);
  return (result.result as { calls: number }).calls;
};

it('invocation-error with preventExecution fails without running the handler; without it, runs the handler and replaces its result', async () => {
  const before = await calls();
  await expect(fn.invoke({}, { startupDelayMs: 0, error: { preventExecution: true } })).resolves.toMatchObject({ ok: false, ...INJECTED_ERROR });
  expect(await calls()).toBe(before + 1);
  await expect(fn.invoke({}, { startupDelayMs: 0, error: { preventExecution: false } })).resolves.toMatchObject({ ok: false, ...INJECTED_ERROR });
  expect(await calls()).toBe(before + 3);
  expect(lines).toContainEqual(expect.stringMatching(/^END RequestId: \S+ Duration: \d+ ms Error: Invocation failed by an injected fault/));
});

it('invocation-add-delay waits before the handler, inside the invocation’s time', async () => {
  const started = Date.now();
  await expect(fn.invoke({}, { startupDelayMs: 300 })).resolves.toMatchObject({ ok: true });
  expect(Date.now() - started).toBeGreaterThanOrEqual(300);
});

it('a delay longer than the timeout times the invocation out, the handler never run', async () => {
  const before = await calls();
  await expect(fn.invoke({}, { startupDelayMs: 1500 })).resolves.toMatchObject({ ok: false, errorType: 'Sandbox.Timedout' });
  // The timed-out environment was thrown away: a new one starts cold, its count from zero.
  expect(await calls()).toBe(1);
  expect(before).toBeGreaterThan(0);
});
