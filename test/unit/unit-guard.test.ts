/**
 * The unit tier's guard (test/support/unit-environment.ts): what would make a unit test slow or
 * machine-dependent is refused at the call, and recorded so the test fails even where the code
 * under test caught the error; jest's fake timers still work, and drive timers/promises and
 * AbortSignal.timeout too. Each refusal provoked here is taken back, so it fails no test.
 */
import childProcess from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { GUARD_KEY, type UnitGuard } from '../support/unit-environment';

const guard = (globalThis as unknown as Record<symbol, UnitGuard>)[GUARD_KEY]!;
/** The messages of the refusals recorded since the last call. */
const refusals = () => guard.take().map((error) => error.message);

afterEach(() => jest.useRealTimers());

it('refuses every way to start a child process', () => {
  const calls: Array<[string, () => unknown]> = [
    ['spawn', () => childProcess.spawn('node', ['--version'])],
    ['spawnSync', () => childProcess.spawnSync('node', ['--version'])],
    ['exec', () => childProcess.exec('node --version')],
    ['execSync', () => childProcess.execSync('node --version')],
    ['execFile', () => childProcess.execFile('node', ['--version'])],
    ['execFileSync', () => childProcess.execFileSync('node', ['--version'])],
    ['fork', () => childProcess.fork('index.js')],
  ];
  for (const [name, call] of calls) expect(call).toThrow(`The unit tier starts no child process (child_process.${name})`);
  expect(refusals()).toHaveLength(calls.length);
});

it('refuses a worker thread', () => {
  expect(() => new Worker('0', { eval: true })).toThrow('The unit tier starts no worker thread');
  expect(refusals()).toHaveLength(1);
});

it('refuses a connection and a server, and records one the code under test caught', async () => {
  expect(() => net.connect(4689, '127.0.0.1')).toThrow('The unit tier starts no connection');
  expect(() => http.createServer().listen(0)).toThrow('The unit tier starts no server (server.listen)');
  // fetch turns the refusal into its own "fetch failed"; the recorded refusal still names it.
  await expect(fetch('http://127.0.0.1:4689/')).rejects.toThrow('fetch failed');
  expect(refusals()).toEqual([
    expect.stringContaining('starts no connection'),
    expect.stringContaining('starts no server'),
    expect.stringContaining('starts no connection'),
  ]);
});

it('records a real timer of more than 1 ms when it fires, not one that is cleared or one of 0 or 1 ms', async () => {
  clearTimeout(setTimeout(() => undefined, 5));
  await new Promise((resolve) => setTimeout(resolve, 0));
  await new Promise((resolve) => setTimeout(resolve, 1));
  expect(refusals()).toEqual([]);

  // The timer still runs, with its arguments.
  expect(await new Promise((resolve) => setTimeout(resolve, 2, 'passed on'))).toBe('passed on');
  expect(refusals()).toEqual([expect.stringContaining('The unit tier waits on no real time: a 2 ms setTimeout fired')]);
  await sleep(3);
  expect(refusals()).toEqual([expect.stringContaining('a 3 ms setTimeout fired')]);
  let ticks = 0;
  await new Promise<void>((resolve) => {
    const interval = setInterval(() => {
      ticks += 1;
      clearInterval(interval);
      resolve();
    }, 2);
  });
  expect(ticks).toBe(1);
  expect(refusals()).toEqual([expect.stringContaining('a 2 ms setInterval fired')]);
});

it("leaves jest's fake timers working, and makes timers/promises and AbortSignal.timeout follow them", async () => {
  jest.useFakeTimers();
  const order: string[] = [];
  setTimeout(() => order.push('setTimeout 1 s'), 1_000);
  void sleep(2_000).then(() => order.push('sleep 2 s'));
  const signal = AbortSignal.timeout(3_000);
  signal.addEventListener('abort', () => order.push(`timeout 3 s: ${(signal.reason as Error).name}`));

  await jest.advanceTimersByTimeAsync(2_999);
  expect(order).toEqual(['setTimeout 1 s', 'sleep 2 s']);
  await jest.advanceTimersByTimeAsync(1);
  expect(order).toEqual(['setTimeout 1 s', 'sleep 2 s', 'timeout 3 s: TimeoutError']);

  // An aborted sleep rejects as Node's does.
  const controller = new AbortController();
  const sleeping = sleep(1_000, undefined, { signal: controller.signal });
  controller.abort();
  await expect(sleeping).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
  expect(refusals()).toEqual([]);
});
