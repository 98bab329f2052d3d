/** The experiment runner's verdicts, run as a user runs it, against the offline runtime. */
import { execFile, spawn } from 'node:child_process';
import readline from 'node:readline';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Journal } from '../../scripts/lib/experiment';
import { fastTimings } from '../../local/runtime';
import { OfflineRuntime } from '../support/offline';
import { repoRoot } from '../support/processes';

const run = promisify(execFile);
let reports: string;

beforeAll(() => {
  reports = mkdtempSync(path.join(os.tmpdir(), 'reports-'));
});
afterAll(() => rmSync(reports, { recursive: true, force: true }));

async function experiment(url: string, name: string, extra: string[] = []): Promise<{ code: number; stdout: string; journal: Journal; dir: string }> {
  const dir = path.join(reports, name);
  const args = ['--import', 'tsx', 'scripts/experiment.ts', '--endpoint', url, '--products', '3', '--versions', '2', '--latency-ms', '300', '--report-dir', dir, ...extra];
  try {
    const { stdout } = await run(process.execPath, args, { cwd: repoRoot, timeout: 90_000 });
    return { code: 0, stdout, journal: JSON.parse(readFileSync(path.join(dir, 'journal.json'), 'utf8')) as Journal, dir };
  } catch (error) {
    const { code, stdout } = error as { code: number; stdout: string };
    return { code, stdout, journal: JSON.parse(readFileSync(path.join(dir, 'journal.json'), 'utf8')) as Journal, dir };
  }
}

describe('against a resilient target', () => {
  let runtime: OfflineRuntime;
  beforeAll(async () => {
    runtime = await OfflineRuntime.start();
  }, 60_000);
  afterAll(() => runtime?.stop());

  it('holds every hypothesis, exits 0, writes the report, and leaves only the rules it found', async () => {
    const userRule = { service: 'sts', operation: 'AssumeRole', description: 'set by the user, not the experiment' };
    await runtime.chaos('POST', 'faults', [userRule]);

    const { code, stdout, journal, dir } = await experiment(runtime.url, 'healthy', ['--recovery-timeout', '30']);

    expect(code).toBe(0);
    expect(stdout).toContain('Every hypothesis held.');
    expect(journal.steps.map((s) => [s.name, s.held])).toEqual([
      ['preflight', true],
      ['outage', true],
      ['recovery', true],
      ['latency', true],
    ]);
    expect(journal.summary).toMatchObject({ held: true, lost: 0, drained: true });
    expect(journal.summary.queued).toBeGreaterThan(0);
    expect(journal.samples.length).toBeGreaterThan(3);
    for (const file of ['report.md', 'chart.svg', 'journal.json']) expect(existsSync(path.join(dir, file))).toBe(true);
    expect(readFileSync(path.join(dir, 'chart.svg'), 'utf8')).toMatch(/^<svg/);
    expect((await runtime.chaos('GET', 'faults')).json).toEqual([userRule]);
    expect((await runtime.chaos('GET', 'effects')).json).toEqual({ latency: 0 });
  }, 120_000);
});

describe('interrupted', () => {
  let runtime: OfflineRuntime;
  beforeAll(async () => {
    runtime = await OfflineRuntime.start();
  }, 60_000);
  afterAll(() => runtime?.stop());

  it('removes the latency it added when the user presses Ctrl-C, and exits 130', async () => {
    const args = ['--import', 'tsx', 'scripts/experiment.ts', '--endpoint', runtime.url, '--products', '2', '--versions', '1', '--latency-ms', '20000', '--report-dir', path.join(reports, 'interrupted')];
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve) => {
      readline.createInterface({ input: child.stdout }).on('line', (line) => {
        if (line.startsWith('▶ latency')) resolve();
      });
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await runtime.chaos('GET', 'effects')).json).toEqual({ latency: 20000 });

    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect((await runtime.chaos('GET', 'effects')).json).toEqual({ latency: 0 });
    expect((await runtime.chaos('GET', 'faults')).json).toEqual([]);
  }, 120_000);
});

describe('against a target that loses writes', () => {
  let runtime: OfflineRuntime;
  beforeAll(async () => {
    // The retry path is broken on purpose: the retry Lambda writes to a table that does not exist.
    runtime = await OfflineRuntime.start(fastTimings, { retry: { TABLE_NAME: 'NoSuchTable' } });
  }, 60_000);
  afterAll(() => runtime?.stop());

  it('ends non-zero and names the hypothesis that failed', async () => {
    const { code, stdout, journal } = await experiment(runtime.url, 'broken', ['--recovery-timeout', '4']);

    expect(code).toBe(1);
    expect(stdout).toContain('Hypotheses that failed: recovery.');
    expect(journal.summary.failedHypotheses).toEqual(['recovery']);
    expect(journal.summary.lost).toBeGreaterThan(0);
    expect(journal.steps.find((s) => s.name === 'recovery')?.details).toMatch(/accepted writes are missing or stale/);
    expect((await runtime.chaos('GET', 'faults')).json).toEqual([]);
  }, 120_000);
});
