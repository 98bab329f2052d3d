/**
 * `npm start` as a user meets it: help, usage errors that name their source, a clear error when
 * the port is taken, a readable log, and a clean stop that says what it discarded.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { names, offline } from '#spec';
import { STOP_GRACE_MS } from '../../offline/runtime/compose';
import { startArgs } from '../../bench/process';
import { SIGNAL_REPEAT_MS } from '../../shared/cli/command';
import { SDK_NOTICE_OFF } from '../../shared/cli/quiet-sdk';
import { chaos, postProduct, queueUrlAt, targetAt } from '../support/clients';
import { dynamoOutage, receivesBlocked } from '../support/faults';
import { pause } from '../support/offline';
import { REPO_ROOT } from '../../shared/paths';
import { scaled } from '../support/time-scale';

// --no-build: jest's global set-up has built the bundles; rebuilding here would race other suites.
const main = [...startArgs(), '--no-build'];
const run = promisify(execFile);
/** The environment of a plain `node scripts/start.ts`, without the npm variables jest may have been started with. */
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.startsWith('npm_') && !['OFFLINE_PORT', 'EXTRA_CORS_ALLOWED_ORIGINS', SDK_NOTICE_OFF].includes(key)),
);

describe('the command line', () => {
  it('prints help', async () => {
    const { stdout } = await run(process.execPath, [...main, '--help'], { cwd: REPO_ROOT, env: cleanEnv });
    expect(stdout).toMatch(/--port <N>/);
    expect(stdout).toMatch(/env: OFFLINE_PORT/);
    expect(stdout).toMatch(/--verbose/);
    expect(stdout).toMatch(/--allow-origin <URL>/);
  });

  it.each([
    ['--port', [...main, '--port', 'http'], {}, "Option '--port <N>' argument 'http' is invalid. Expected a whole number from 0 to 65535."],
    ['OFFLINE_PORT', main, { OFFLINE_PORT: 'abc' }, "Error: OFFLINE_PORT='abc' is invalid. Expected a whole number from 0 to 65535."],
    ['--allow-origin', [...main, '--allow-origin', 'attacker'], {}, "Option '--allow-origin <URL>' argument 'attacker' is invalid."],
    ['EXTRA_CORS_ALLOWED_ORIGINS', main, { EXTRA_CORS_ALLOWED_ORIGINS: '*' }, 'EXTRA_CORS_ALLOWED_ORIGINS: "*" would let every web page change'],
  ])('rejects a bad %s before starting anything, naming it, with exit code 2', async (_source, args, env, message) => {
    await expect(run(process.execPath, args, { cwd: REPO_ROOT, env: { ...cleanEnv, ...env } })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining(message),
    });
  });

  it('refuses to start without an option npm kept (`npm start --port=5000`, without --, leaves no stray argument)', async () => {
    const env = { ...cleanEnv, npm_lifecycle_event: 'start', npm_lifecycle_script: `node ${startArgs().join(' ')}`, npm_config_port: '5000' };
    await expect(run(process.execPath, main, { cwd: REPO_ROOT, env })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('npm kept --port for itself'),
    });
  });

  it('says where --port went when npm kept it (`npm start --port 5000`, without --)', async () => {
    // What npm passes on: its own setting npm_config_port=true, and 5000 as a stray argument.
    const env = { ...cleanEnv, npm_lifecycle_event: 'start', npm_lifecycle_script: `node ${startArgs().join(' ')}`, npm_config_port: 'true' };
    await expect(run(process.execPath, [...main, '5000'], { cwd: REPO_ROOT, env })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('npm kept --port for itself: options for the script go after --, as in `npm start -- --port …`'),
    });
  });

  it('says clearly when the port is taken, and exits 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await expect(run(process.execPath, [...main, '--port', String(port)], { cwd: REPO_ROOT, env: cleanEnv })).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining(`Port ${port} on 127.0.0.1 is already in use`),
      });
    } finally {
      blocker.close();
    }
  }, 60_000);
});

interface Started {
  child: ChildProcess;
  url: string;
  lines: string[];
  /** What it wrote to stderr so far. */
  stderr: () => string;
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<string>;
  exited: Promise<number | null>;
  stop: () => Promise<number | null>;
}

/** `npm start -- <args>` in the background: its output lines as they come, and its URL once ready. */
async function start(args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [...main, '--port', '0', ...args], { cwd: REPO_ROOT, env: cleanEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const listeners = new Set<() => void>();
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const listener of listeners) listener();
  });
  // 'close', not 'exit': by then every line of its output has been read.
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const waitFor = (pattern: RegExp, timeoutMs = 20_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const found = lines.find((line) => pattern.test(line));
        if (found === undefined) return;
        clearTimeout(timer);
        listeners.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`No line matching ${String(pattern)} within ${scaled(timeoutMs)} ms; output:\n${lines.join('\n')}`));
      }, scaled(timeoutMs));
      listeners.add(check);
      void exited.then(() => {
        listeners.delete(check);
        clearTimeout(timer);
        reject(new Error(`Exited before a line matching ${String(pattern)}; output:\n${lines.join('\n')}`));
      });
      check();
    });
  const ready = await waitFor(/Offline runtime ready in \d+ ms on http:\/\/127\.0\.0\.1:\d+/, 60_000);
  const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(ready)![1]!;
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    return exited;
  };
  return { child, url, lines, stderr: () => stderr, waitFor, exited, stop };
}

/** A runtime started with `args` for `test`, stopped after it whatever happens. */
async function running(args: string[], test: (runtime: Started) => Promise<void>): Promise<void> {
  const runtime = await start(args);
  try {
    await test(runtime);
  } finally {
    await runtime.stop();
  }
}

const sqsAt = (url: string) => targetAt(url).sqs;
const faults = (url: string, rules: unknown[]) => chaos(url, 'POST', 'faults', rules);
const post = (url: string, id: string) => postProduct(url, { id, name: 'Widget', price: 1, description: 'Queued at stop' });

describe('a run', () => {
  it('keeps its idle polls out of the log, shows real calls, and on SIGTERM says which accepted writes it discards', async () => {
    await running([], async (runtime) => {
      const health = (await (await fetch(`${runtime.url}/_localstack/health`)).json()) as { services: Record<string, string> };
      expect(health.services).toMatchObject({ dynamodb: 'running', sns: 'running', sqs: 'running', lambda: 'running' });
      expect(runtime.lines.join('\n')).toContain('empty polls are hidden (--verbose shows them)');

      // Idle: the event source long-polls (5 s a poll) with nothing to say.
      const readyAt = runtime.lines.length;
      await pause(offline.pollWaitSeconds * 1_000 + 1_000);
      expect(runtime.lines.slice(readyAt).filter((line) => line.includes('sqs.ReceiveMessage'))).toEqual([]);

      // A message: the poll that received it is shown, and so is the user's own empty receive.
      const sqs = sqsAt(runtime.url);
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrlAt(runtime.url, names.queue), MessageBody: '{"id": "poison"' }));
      await runtime.waitFor(/AWS sqs\.ReceiveMessage => 200 \(event source: 1 message\)/);
      await runtime.waitFor(/AWS sqs\.DeleteMessageBatch => 200 \(event source\)/);
      await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrlAt(runtime.url, names.deadLetterQueue), WaitTimeSeconds: 0, VisibilityTimeout: 0 }));
      await runtime.waitFor(/AWS sqs\.ReceiveMessage => 200$/);

      // Writes accepted during an outage: two in the queue (nothing receives them), one held before it.
      expect((await faults(runtime.url, [dynamoOutage, receivesBlocked])).status).toBe(200);
      await runtime.waitFor(/AWS sqs\.ReceiveMessage => 503 \(ServiceUnavailable\) \(event source; it keeps polling, repeats are not shown\)/, 10_000);
      for (const id of ['stop-1', 'stop-2']) expect((await post(runtime.url, id)).status).toBe(202);
      await faults(runtime.url, [dynamoOutage, receivesBlocked, { service: 'sqs', operation: 'SendMessage' }]);
      expect((await post(runtime.url, 'stop-3')).status).toBe(202);
      await pause(2_500);
      // The failing polls (one a second per poller) were reported once.
      expect(runtime.lines.filter((line) => line.includes('sqs.ReceiveMessage => 503'))).toHaveLength(1);

      expect(await runtime.stop()).toBe(0);
      expect(runtime.lines).toContain(
        `Stopped. 4 accepted writes were still pending (2 in ${names.queue}, 1 in ${names.deadLetterQueue}, 1 SNS delivery held back by a fault) and are discarded with the runtime (nothing persists between runs).`,
      );
      await expect(fetch(`${runtime.url}/_localstack/health`)).rejects.toThrow();
      expect(runtime.lines.join('\n')).not.toMatch(/refused with 503|answered 503 \(outcome unknown\)/);
      // Its SDK calls (and the functions') printed no notice about this machine's Node version.
      expect(runtime.stderr()).toBe('');
    });
  }, 90_000);

  it('on SIGTERM with 5 s latency and writes in flight: refuses new work at once, answers every request, exits within the bound, and says what went', async () => {
    await running(['--quiet'], async (runtime) => {
      // One accepted write waits in the queue (nothing receives it): the stop discards it and says so.
      expect((await faults(runtime.url, [dynamoOutage, receivesBlocked])).status).toBe(200);
      expect((await post(runtime.url, 'queued-before-stop')).status).toBe(202);
      await chaos(runtime.url, 'POST', 'effects', { latency: 5_000 });

      // Writes in flight: each would be answered 202 after about 10 s (DynamoDB down, SNS up).
      type Outcome = { id: string; status?: number; body?: string; error?: string; at: number };
      const send = (id: string): Promise<Outcome> =>
        post(runtime.url, id).then(
          (answer) => ({ id, status: answer.status, body: answer.body, at: Date.now() }),
          (error: Error & { code?: string }) => ({ id, error: error.code ?? error.message, at: Date.now() }),
        );
      // Two more than the product function's environments: those two are throttled.
      const inFlight = Array.from({ length: offline.productConcurrency + 2 }, (_, i) => send(`in-flight-${i}`));
      // Past the cold starts, each PutItem now waits out its 5 s; no write can have been answered 202 yet.
      await pause(4_000);

      const signalledAt = Date.now();
      runtime.child.kill('SIGTERM');
      const exited = runtime.exited.then(() => Date.now());
      await pause(30);
      // New work after the signal: refused at once, in each API's own format.
      const late = [send('after-signal-1'), send('after-signal-2')];
      const lateAwsCall = targetAt(runtime.url)
        .dynamo.send(new ScanCommand({ TableName: names.table }))
        .then(
          () => 'answered 200',
          (error: Error & { $metadata?: { httpStatusCode?: number } }) => `${error.$metadata?.httpStatusCode ?? error.name} ${error.name}: ${error.message}`,
        );

      const answers = await Promise.all([...inFlight, ...late]);
      const exitedAt = await exited;
      console.log(
        `Stopped ${exitedAt - signalledAt} ms after SIGTERM; answers: ${JSON.stringify(answers.map(({ id, status, error, at }) => ({ id, status, error, after: at - signalledAt })))}`,
      );

      // Within the bound (the issue saw 13 s at this latency).
      expect(exitedAt - signalledAt).toBeLessThan(STOP_GRACE_MS + 3_000);
      expect(runtime.child.exitCode).toBe(0);
      // Every request that reached the runtime got an answer; none was closed without one.
      for (const answer of answers.slice(0, inFlight.length)) expect(answer).toMatchObject({ status: expect.any(Number) });
      for (const answer of answers.slice(inFlight.length)) {
        // Sent after the signal: a 503 saying the runtime is stopping (or, if it had already closed, no connection at all).
        if (answer.error !== undefined) expect(answer.error).toBe('ECONNREFUSED');
        else expect(answer).toMatchObject({ status: 503, body: expect.stringContaining('The offline runtime is stopping') });
      }
      expect(await lateAwsCall).toMatch(/^(503 ServiceUnavailable: The offline runtime is stopping|.*ECONNREFUSED)/);
      // The writes beyond the product function's environments were throttled at once (500), before the signal.
      expect(answers.filter((answer) => answer.status === 500 && answer.at < signalledAt)).toHaveLength(inFlight.length - offline.productConcurrency);
      // Nothing was accepted after the signal: it would have been discarded with the queue.
      expect(answers.filter((answer) => answer.status === 202)).toEqual([]);
      expect(runtime.lines.some((line) => /SIGTERM: stopping the offline runtime\. New requests are refused \(503\)/.test(line))).toBe(true);
      const stopped = runtime.lines.find((line) => line.startsWith('Stopped.'));
      expect(stopped).toMatch(
        new RegExp(
          `^Stopped\\. 1 accepted write was still in ${names.queue} and is discarded with the runtime \\(nothing persists between runs\\)\\. \\d+ requests refused with 503 while stopping`,
        ),
      );
      expect(Number(/(\d+) requests refused/.exec(stopped!)![1])).toBeGreaterThanOrEqual(offline.productConcurrency);
    });
  }, 90_000);

  /** A user's long poll of the DLQ (no poller takes it): a request that stays open for 20 s. */
  const longPoll = (url: string) =>
    sqsAt(url)
      .send(new ReceiveMessageCommand({ QueueUrl: queueUrlAt(url, names.deadLetterQueue), WaitTimeSeconds: 20 }))
      .then(
        () => 'answered 200',
        (error: Error & { $metadata?: { httpStatusCode?: number } }) => `${error.$metadata?.httpStatusCode ?? '-'} ${error.name}: ${error.message}`,
      );

  /** A quiet runtime with a user's long poll under way (and answered nothing yet) for `test`. */
  const duringLongPoll = (test: (runtime: Started, poll: Promise<string>) => Promise<void>) =>
    running(['--quiet'], async (runtime) => {
      const poll = longPoll(runtime.url);
      await pause(500);
      await test(runtime, poll);
    });

  it('bounds the wait for a request under way: answers it 503 after the grace period and says so', async () => {
    await duringLongPoll(async (runtime, poll) => {
      const signalledAt = Date.now();
      runtime.child.kill('SIGINT');
      expect(await poll).toBe('503 ServiceUnavailable: The offline runtime stopped before this call finished: its outcome is unknown');
      expect(await runtime.exited).toBe(0);
      const took = Date.now() - signalledAt;
      expect(took).toBeGreaterThanOrEqual(STOP_GRACE_MS - 100);
      expect(took).toBeLessThan(STOP_GRACE_MS + 3_000);
      expect(runtime.lines.find((line) => line.startsWith('Stopped.'))).toMatch(/1 request still under way after 3 s answered 503 \(outcome unknown\)\.$/);
    });
  }, 60_000);

  it('counts a signal repeated close behind (as npm and tsx relay one Ctrl-C) as the same press', async () => {
    // A request under way keeps the stop going for the grace period, so the repeat lands mid-stop.
    await duringLongPoll(async (runtime, poll) => {
      runtime.child.kill('SIGINT');
      await pause(50);
      runtime.child.kill('SIGINT');
      expect(await runtime.exited).toBe(0);
      expect(await poll).toMatch(/^503 ServiceUnavailable: The offline runtime stopped before this call finished/);
      expect(runtime.lines.filter((line) => line.startsWith('SIGINT'))).toHaveLength(1);
      expect(runtime.lines.find((line) => line.startsWith('Stopped.'))).toMatch(/1 request still under way after 3 s answered 503/);
    });
  }, 60_000);

  it('exits at once on a second Ctrl-C, still answering the open requests', async () => {
    await duringLongPoll(async (runtime, poll) => {
      const signalledAt = Date.now();
      runtime.child.kill('SIGINT');
      await runtime.waitFor(/^SIGINT: stopping the offline runtime/);
      // Clearly after the repeat window (a timer may fire a millisecond early), so it is a second press.
      await pause(SIGNAL_REPEAT_MS + 250);
      runtime.child.kill('SIGINT');
      expect(await runtime.exited).toBe(130);
      expect(Date.now() - signalledAt).toBeLessThan(STOP_GRACE_MS);
      expect(await poll).toMatch(/^503 ServiceUnavailable: The offline runtime stopped before this call finished/);
      expect(runtime.lines).toContain(
        'SIGINT again: exiting without waiting for the runtime to stop (open requests are answered 503; everything pending is discarded).',
      );
    });
  }, 60_000);

  it('shows the empty polls with --verbose, and says so when nothing was pending', async () => {
    await running(['--verbose'], async (runtime) => {
      await runtime.waitFor(/AWS sqs\.ReceiveMessage => 200 \(event source: empty poll\)/, 15_000);
      expect(await runtime.stop()).toBe(0);
      expect(runtime.lines.find((line) => line.startsWith('Stopped.'))).toBe(
        `Stopped. No accepted write was pending (${names.queue} and ${names.deadLetterQueue} were empty, no SNS delivery was held back); nothing persists between runs.`,
      );
    });
  }, 60_000);

  it('stops an empty runtime nothing was deployed into without claiming a queue it never had', async () => {
    await running(['--empty'], async (runtime) => {
      // Answering first: under jest, a SIGTERM sent the instant the banner is read was seen to end the process unhandled.
      expect((await fetch(`${runtime.url}/_localstack/health`)).status).toBe(200);
      expect(await runtime.stop()).toBe(0);
      expect(runtime.lines.find((line) => line.startsWith('Stopped.'))).toBe(
        `Stopped. There was no ${names.queue}, so no accepted write was pending; nothing persists between runs.`,
      );
    });
  }, 60_000);
});
