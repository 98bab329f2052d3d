/**
 * `npm start` as a user meets it: help, usage errors that name their source, a clear error when
 * the port is taken, a readable log, and a clean stop that says what it discarded.
 */
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { names } from '../../infra/spec';
import { repoRoot } from '../support/processes';

// --no-build: jest's global set-up has built the bundles; rebuilding here would race other suites.
const main = ['--import', 'tsx', 'local/main.ts', '--no-build'];
const run = promisify(execFile);
/** The environment of a plain `node local/main.ts`, without the npm variables jest may have been started with. */
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('npm_') && key !== 'OFFLINE_PORT' && key !== 'EXTRA_CORS_ALLOWED_ORIGINS'));

describe('the command line', () => {
  it('prints help', async () => {
    const { stdout } = await run(process.execPath, [...main, '--help'], { cwd: repoRoot, env: cleanEnv });
    expect(stdout).toMatch(/--port <N>/);
    expect(stdout).toMatch(/env: OFFLINE_PORT/);
    expect(stdout).toMatch(/--verbose/);
    expect(stdout).toMatch(/--allow-origin <URL>/);
  });

  it.each([
    ['--port', [...main, '--port', 'http'], {}, "Option '--port <N>' argument 'http' is invalid. Expected a whole number from 0 to 65535."],
    ['OFFLINE_PORT', main, { OFFLINE_PORT: 'abc' }, "Option '--port <N>' value 'abc' from env 'OFFLINE_PORT' is invalid."],
    ['--allow-origin', [...main, '--allow-origin', 'attacker'], {}, "Option '--allow-origin <URL>' argument 'attacker' is invalid."],
    ['EXTRA_CORS_ALLOWED_ORIGINS', main, { EXTRA_CORS_ALLOWED_ORIGINS: '*' }, 'EXTRA_CORS_ALLOWED_ORIGINS: "*" would let every web page change'],
  ])('rejects a bad %s before starting anything, naming it, with exit code 2', async (_source, args, env, message) => {
    await expect(run(process.execPath, args, { cwd: repoRoot, env: { ...cleanEnv, ...env } })).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining(message) });
  });

  it('says where --port went when npm kept it (`npm start --port 5000`, without --)', async () => {
    // What npm passes on: its own setting npm_config_port=true, and 5000 as a stray argument.
    const env = { ...cleanEnv, npm_lifecycle_event: 'start', npm_config_port: 'true' };
    await expect(run(process.execPath, [...main, '5000'], { cwd: repoRoot, env })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('npm kept --port for itself: options for the script go after --, as in `npm start -- --port …`'),
    });
  });

  it('says clearly when the port is taken, and exits 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await expect(run(process.execPath, [...main, '--port', String(port)], { cwd: repoRoot, env: cleanEnv })).rejects.toMatchObject({
        code: 1,
        stderr: expect.stringContaining(`Port ${port} on 127.0.0.1 is already in use`),
      });
    } finally {
      blocker.close();
    }
  }, 60_000);
});

/** `npm start -- <args>` in the background: its output lines as they come, and its URL once ready. */
async function start(args: string[]): Promise<{ child: ChildProcess; url: string; lines: string[]; waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<string>; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [...main, '--port', '0', ...args], { cwd: repoRoot, env: cleanEnv, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const listener of listeners) listener();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
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
        reject(new Error(`No line matching ${String(pattern)} within ${timeoutMs} ms; output:\n${lines.join('\n')}`));
      }, timeoutMs);
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
  return { child, url, lines, waitFor, stop };
}

const sqsAt = (url: string) => new SQSClient({ region: 'us-east-1', endpoint: url, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
const queueUrl = (url: string, name: string) => `${url.replace('127.0.0.1', 'sqs.us-east-1.localhost.localstack.cloud')}/000000000000/${name}`;
const chaos = (url: string, body: unknown) => fetch(`${url}/_localstack/chaos/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const post = (url: string, id: string) =>
  fetch(`${url}/_aws/execute-api/12345/dev/productApi`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ id, name: 'Widget', price: 1, description: 'Queued at stop' }),
  });
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a run', () => {
  it('keeps its idle polls out of the log, shows real calls, and on SIGTERM says which accepted writes it discards', async () => {
    const runtime = await start([]);
    try {
      const health = (await (await fetch(`${runtime.url}/_localstack/health`)).json()) as { services: Record<string, string> };
      expect(health.services).toMatchObject({ dynamodb: 'running', sns: 'running', sqs: 'running', lambda: 'running' });
      expect(runtime.lines.join('\n')).toContain('empty polls are hidden (--verbose shows them)');

      // Idle: the event source long-polls (5 s a poll) with nothing to say.
      const readyAt = runtime.lines.length;
      await pause(6_000);
      expect(runtime.lines.slice(readyAt).filter((line) => line.includes('sqs.ReceiveMessage'))).toEqual([]);

      // A message: the poll that received it is shown, and so is the user's own empty receive.
      const sqs = sqsAt(runtime.url);
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl(runtime.url, names.queue), MessageBody: '{"id": "poison"' }));
      await runtime.waitFor(/AWS sqs\.ReceiveMessage => 200 \(event source: 1 message\)/);
      await runtime.waitFor(/AWS sqs\.DeleteMessageBatch => 200 \(event source\)/);
      await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl(runtime.url, names.deadLetterQueue), WaitTimeSeconds: 0, VisibilityTimeout: 0 }));
      await runtime.waitFor(/AWS sqs\.ReceiveMessage => 200$/);

      // Writes accepted during an outage: two in the queue (nothing receives them), one held before it.
      expect((await chaos(runtime.url, [{ service: 'dynamodb', error: { statusCode: 500, code: 'SomethingWentWrong' } }, { service: 'sqs', operation: 'ReceiveMessage' }])).status).toBe(200);
      await runtime.waitFor(/AWS sqs\.ReceiveMessage => 503 \(ServiceUnavailable\) \(event source; it keeps polling, repeats are not shown\)/, 10_000);
      for (const id of ['stop-1', 'stop-2']) expect((await post(runtime.url, id)).status).toBe(202);
      await chaos(runtime.url, [{ service: 'dynamodb', error: { statusCode: 500, code: 'SomethingWentWrong' } }, { service: 'sqs', operation: 'ReceiveMessage' }, { service: 'sqs', operation: 'SendMessage' }]);
      expect((await post(runtime.url, 'stop-3')).status).toBe(202);
      await pause(2_500);
      // The failing polls (one a second per poller) were reported once.
      expect(runtime.lines.filter((line) => line.includes('sqs.ReceiveMessage => 503'))).toHaveLength(1);

      expect(await runtime.stop()).toBe(0);
      expect(runtime.lines).toContain(
        'Stopped. 3 accepted writes were still pending (2 in ProductEventsQueue, 1 SNS delivery held back by a fault) and are discarded with the runtime (nothing persists between runs). 1 message in ProductEventsDLQ goes too.',
      );
      await expect(fetch(`${runtime.url}/_localstack/health`)).rejects.toThrow();
    } finally {
      await runtime.stop();
    }
  }, 90_000);

  it('shows the empty polls with --verbose, and says so when nothing was pending', async () => {
    const runtime = await start(['--verbose']);
    try {
      await runtime.waitFor(/AWS sqs\.ReceiveMessage => 200 \(event source: empty poll\)/, 15_000);
      expect(await runtime.stop()).toBe(0);
      expect(runtime.lines).toContain('Stopped. No accepted write was pending (ProductEventsQueue was empty, no SNS delivery was held back); nothing persists between runs.');
    } finally {
      await runtime.stop();
    }
  }, 60_000);
});
