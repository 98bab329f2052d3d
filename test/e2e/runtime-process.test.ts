/** `npm start` as a user meets it: help, a clear error when the port is taken, a clean stop. */
import { execFile, spawn } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { repoRoot } from '../support/processes';

// --no-build: jest's global set-up has built the bundles; rebuilding here would race other suites.
const main = ['--import', 'tsx', 'local/main.ts', '--no-build'];
const run = promisify(execFile);

it('prints help', async () => {
  const { stdout } = await run(process.execPath, [...main, '--help'], { cwd: repoRoot });
  expect(stdout).toMatch(/--port N/);
});

it('says clearly when the port is taken, and exits non-zero', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const { port } = blocker.address() as net.AddressInfo;
  try {
    await expect(run(process.execPath, [...main, '--port', String(port)], { cwd: repoRoot })).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`Port ${port} on 127.0.0.1 is already in use`),
    });
  } finally {
    blocker.close();
  }
}, 60_000);

it('rejects a bad port before starting anything', async () => {
  await expect(run(process.execPath, [...main, '--port', 'http'], { cwd: repoRoot })).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringContaining('--port must be a whole number'),
  });
});

it('starts, answers health checks, and stops cleanly on SIGTERM', async () => {
  const child = spawn(process.execPath, [...main, '--port', '0', '--quiet'], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const ready = /Offline runtime ready in \d+ ms on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (ready?.[1]) resolve(ready[1]);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
  });
  const health = (await (await fetch(`${url}/_localstack/health`)).json()) as { services: Record<string, string> };
  expect(health.services).toMatchObject({ dynamodb: 'running', sns: 'running', sqs: 'running', lambda: 'running' });

  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  await expect(fetch(`${url}/_localstack/health`)).rejects.toThrow();
}, 60_000);
