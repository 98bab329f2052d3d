/** The experiment runner's verdicts, summary and report, run as a user runs it, against the offline runtime. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { env } from '#spec';
import { fastTimings } from '../../offline/runtime/compose';
import type { Journal, RequestRecord } from '../../scripts/lib/experiment';
import { SDK_NOTICE_OFF } from '../../shared/cli/quiet-sdk';
import { tutorialRuleName } from '../support/faults';
import { eventually, type OfflineRuntime, runtimeForSuite } from '../support/offline';
import { REPO_ROOT } from '../../shared/paths';

let reports: string;

beforeAll(() => {
  reports = mkdtempSync(path.join(os.tmpdir(), 'reports-'));
});
afterAll(() => rmSync(reports, { recursive: true, force: true }));

/** The environment of a user's shell: without the test set-up's silencing of the SDK's Node version warning. */
function userEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== SDK_NOTICE_OFF));
}

interface Started {
  child: ChildProcess;
  dir: string;
  lines: string[];
  /** Resolves when a stdout line matches. */
  line(pattern: RegExp): Promise<string>;
  exit: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** The test runtime's breaker cooldown, which the experiment is told to wait out. */
const cooldownMs = fastTimings.breakerCooldownMs ?? 0;

/** Starts scripts/experiment.ts against `url` (fast settings: 3 products × 2 versions, 300 ms latency, the test runtime's breaker cooldown). */
function start(url: string, name: string, extra: string[] = []): Started {
  const dir = path.join(reports, name);
  const args = [
    '--import',
    'tsx',
    'scripts/experiment.ts',
    '--endpoint',
    url,
    '--products',
    '3',
    '--versions',
    '2',
    '--latency-ms',
    '300',
    '--breaker-cooldown-ms',
    String(cooldownMs),
    '--report-dir',
    dir,
    ...extra,
  ];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const lines: string[] = [];
  const waiting: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of [...waiting]) if (w.pattern.test(line)) w.resolve(line);
  });
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  );
  return {
    child,
    dir,
    lines,
    line: (pattern) =>
      new Promise((resolve, reject) => {
        const seen = lines.find((l) => pattern.test(l));
        if (seen) return resolve(seen);
        waiting.push({ pattern, resolve });
        void exit.then(() => reject(new Error(`exited before printing ${pattern}:\n${stdout}\n${stderr}`)));
      }),
    exit,
  };
}

async function experiment(url: string, name: string, extra: string[] = []) {
  const run = start(url, name, extra);
  const { code, stdout, stderr } = await run.exit;
  const journal = JSON.parse(readFileSync(path.join(run.dir, 'journal.json'), 'utf8')) as Journal;
  return { code, stdout, stderr, journal, dir: run.dir };
}

/** Products whose newest accepted write (200 or 202) was queued: what a broken retry path leaves behind. */
function newestQueued(requests: RequestRecord[]): number {
  const newest = new Map<string, RequestRecord>();
  for (const r of requests) if ((r.status === 200 || r.status === 202) && !(newest.get(r.id) && newest.get(r.id)!.t > r.t)) newest.set(r.id, r);
  return [...newest.values()].filter((r) => r.status === 202).length;
}

describe('against a resilient target', () => {
  let runtime: OfflineRuntime;
  runtimeForSuite((started) => (runtime = started));

  it('holds every hypothesis, counts each step apart, starts the latency step healthy, and leaves only the rules it found', async () => {
    const userRule = { service: 'sts', operation: 'AssumeRole', description: 'set by the user, not the experiment' };
    await runtime.chaos('POST', 'faults', [userRule]);

    const { code, stdout, stderr, journal, dir } = await experiment(runtime.url, 'healthy', ['--recovery-timeout', '30']);

    expect(code).toBe(0);
    // Nothing on stderr: not the SDK's Node version warning, not Vega's.
    expect(stderr).toBe('');
    expect(stdout).toContain('Every hypothesis held.');
    expect(journal.status).toBe('completed');
    expect(journal.steps.map((s) => [s.name, s.verdict])).toEqual([
      ['preflight', 'held'],
      ['outage', 'held'],
      ['recovery', 'held'],
      ['latency', 'held'],
    ]);

    // Each step's writes counted apart.
    const groups = Object.fromEntries(journal.summary.writes.map((w) => [w.group, w]));
    expect(Object.keys(groups)).toEqual(['preflight', 'outage', 'latency: healthy check', 'latency: under latency']);
    expect(groups.preflight).toMatchObject({ writes: 1, stored: 1, queued: 0, failed: 0, products: 1, upToDateAtEnd: 1 });
    expect(groups.outage).toMatchObject({ writes: 6, failed: 0, products: 3, upToDateAtEnd: 3 });
    expect(groups.outage!.stored + groups.outage!.queued).toBe(6);
    expect(groups.outage!.queued).toBeGreaterThan(0);
    // The breakers the outage opened had closed: every write of the check and under latency was stored directly.
    expect(groups['latency: healthy check']).toMatchObject({ writes: 3, stored: 3, queued: 0, failed: 0 });
    expect(groups['latency: under latency']).toMatchObject({ writes: 2, stored: 2, queued: 0, failed: 0 });
    expect(groups['latency: under latency']!.latencyMs.p50).toBeGreaterThanOrEqual(300);
    expect(groups.outage!.latencyMs.max).toBe(Math.max(...journal.requests.filter((r) => r.step === 'outage').map((r) => r.ms)));

    // The check waited out the breaker cooldown after the outage; the latency writes came after the check.
    const outageEnd = journal.faultWindows.find((w) => w.kind === 'outage')!.end;
    const checks = journal.requests.filter((r) => r.phase === 'check');
    const slow = journal.requests.filter((r) => r.step === 'latency' && !r.phase);
    expect(Math.min(...checks.map((r) => r.t))).toBeGreaterThanOrEqual(outageEnd + cooldownMs);
    expect(Math.min(...slow.map((r) => r.t))).toBeGreaterThanOrEqual(Math.max(...checks.map((r) => r.answeredAt)));

    expect(journal.summary.products).toMatchObject({ accepted: 9, upToDate: 9, pending: 0, deadLettered: 0, lost: 0, queue: 0, dlq: 0 });
    expect(journal.summary.recoveryMs).toBe(journal.marks.find((m) => m.label.startsWith('recovered'))!.t - outageEnd);
    expect(journal.cleanup).toEqual({ removed: [], failed: [] });

    // Progress into a pipe: no carriage returns, and only a few waiting lines.
    expect(stdout).not.toContain('\r');
    expect(stdout.split('\n').filter((line) => line.startsWith('  … ')).length).toBeLessThanOrEqual(8);

    for (const file of ['report.md', 'chart.svg', 'journal.json']) expect(existsSync(path.join(dir, file))).toBe(true);
    expect(readFileSync(path.join(dir, 'chart.svg'), 'utf8')).toMatch(/^<svg/);
    const report = readFileSync(path.join(dir, 'report.md'), 'utf8');
    expect(report).toContain('| not yet applied (still in a queue) | 0 |');
    expect(report).toContain('| lost (no message left to bring them) | 0 |');
    // A --report-dir outside reports/ leaves `latest` alone.
    expect(existsSync(path.join(reports, 'latest'))).toBe(false);

    expect((await runtime.chaos('GET', 'faults')).json).toEqual([userRule]);
    expect((await runtime.chaos('GET', 'effects')).json).toEqual({ latency: 0 });
    await runtime.chaos('POST', 'faults', []);
  }, 120_000);
});

describe('interrupted with Ctrl-C', () => {
  let runtime: OfflineRuntime;
  runtimeForSuite((started) => (runtime = started));

  it('mid-outage: says what it removed, writes the partial report marked interrupted, exits 130, leaves no rule', async () => {
    // Enough versions that the outage is still going when the signal comes.
    const run = start(runtime.url, 'interrupted-outage', ['--versions', '100']);
    await run.line(/^▶ outage/);
    const active = await eventually('the outage rule', async () => {
      const rules = (await runtime.chaos('GET', 'faults')).json as Array<{ description?: string }>;
      return rules.length > 0 ? rules : undefined;
    });
    expect(active).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    run.child.kill('SIGINT');
    const { code, stdout, stderr } = await run.exit;

    expect(code).toBe(130);
    expect(stderr).not.toContain('This operation was aborted');
    expect(stdout).toContain(`Removed what this run had left active: ${tutorialRuleName}.`);
    expect(stdout).toContain('Interrupted (Ctrl-C) during the outage step. Not run: recovery, latency.');
    const journal = JSON.parse(readFileSync(path.join(run.dir, 'journal.json'), 'utf8')) as Journal;
    expect(journal.status).toBe('interrupted');
    expect(journal.steps.map((s) => [s.name, s.verdict])).toEqual([
      ['preflight', 'held'],
      ['outage', 'interrupted'],
    ]);
    expect(journal.summary.notRun).toEqual(['recovery', 'latency']);
    expect(journal.cleanup).toEqual({ removed: [tutorialRuleName], failed: [] });
    expect(journal.faultWindows.map((w) => w.kind)).toEqual(['outage']);
    expect(readFileSync(path.join(run.dir, 'report.md'), 'utf8')).toContain('status **interrupted**');
    expect(readFileSync(path.join(run.dir, 'chart.svg'), 'utf8')).toMatch(/^<svg/);
    expect((await runtime.chaos('GET', 'faults')).json).toEqual([]);
    expect((await runtime.chaos('GET', 'effects')).json).toEqual({ latency: 0 });
  }, 120_000);

  it('under latency: sets the latency back, says so, and exits 130', async () => {
    const run = start(runtime.url, 'interrupted-latency', ['--latency-ms', '20000', '--recovery-timeout', '30']);
    await run.line(/^▶ latency/);
    await eventually('the latency', async () => ((await runtime.chaos('GET', 'effects')).json as { latency: number }).latency === 20000);
    run.child.kill('SIGINT');
    const { code, stdout } = await run.exit;

    expect(code).toBe(130);
    expect(stdout).toContain('Removed what this run had left active: the 20000 ms latency (set back to 0 ms).');
    const journal = JSON.parse(readFileSync(path.join(run.dir, 'journal.json'), 'utf8')) as Journal;
    expect(journal.status).toBe('interrupted');
    expect(journal.steps.map((s) => s.verdict)).toEqual(['held', 'held', 'held', 'interrupted']);
    expect(journal.cleanup.removed).toEqual(['the 20000 ms latency (set back to 0 ms)']);
    expect((await runtime.chaos('GET', 'effects')).json).toEqual({ latency: 0 });
    expect((await runtime.chaos('GET', 'faults')).json).toEqual([]);
  }, 120_000);
});

describe('npm run demo, interrupted with Ctrl-C as a terminal sends it', () => {
  it('mid-outage: writes the partial report (with the runtime log), says what it removed, exits 130', async () => {
    const dir = path.join(reports, 'demo-interrupted');
    // As package.json runs it, in a process group of its own, so the signal reaches every process
    // in it, as Ctrl-C does.
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--no-build', '--report-dir', dir], {
      cwd: REPO_ROOT,
      env: userEnv(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (/^▶ outage/m.test(stdout)) resolve();
      });
      void exited.then(() => reject(new Error(`the demo exited before the outage:\n${stdout}\n${stderr}`)));
    });
    await new Promise((resolve) => setTimeout(resolve, 700));
    // Under `npm run`, one press arrives twice: from the terminal and relayed by npm. The repeat
    // close behind is the same press, not the second Ctrl-C.
    process.kill(-child.pid!, 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.kill(-child.pid!, 'SIGINT');

    expect(await exited).toBe(130);
    expect(stderr).toBe('');
    expect(stdout).toContain(`Removed what this run had left active: ${tutorialRuleName}.`);
    const journal = JSON.parse(readFileSync(path.join(dir, 'journal.json'), 'utf8')) as Journal;
    expect(journal.status).toBe('interrupted');
    expect(journal.steps.map((s) => [s.name, s.verdict])).toEqual([
      ['preflight', 'held'],
      ['outage', 'interrupted'],
    ]);
    expect(readFileSync(path.join(dir, 'runtime.log'), 'utf8')).toContain('PutItem');
  }, 120_000);
});

describe('against a target whose retry path cannot write', () => {
  let runtime: OfflineRuntime;
  // The retry Lambda writes to a table that does not exist: queued writes stay queued, retried.
  runtimeForSuite((started) => (runtime = started), { environmentOverrides: { retry: { [env.tableName]: 'NoSuchTable' } } });

  it('fails recovery and counts the queued writes as not yet applied, not as lost', async () => {
    // Ten products: with 3, all of their newest writes were sometimes stored directly (0.36^3, about
    // 5% of runs), leaving nothing for the broken retry path to hold back; with 10, about 4 in 100,000.
    const { code, stdout, journal } = await experiment(runtime.url, 'broken', ['--recovery-timeout', '4', '--products', '10']);

    expect(code).toBe(1);
    expect(stdout).toContain('Hypotheses that failed: recovery.');
    expect(journal.status).toBe('completed');
    expect(journal.deviated).toBe(true);
    expect(journal.summary.failedHypotheses).toEqual(['recovery']);
    expect(journal.steps.find((s) => s.name === 'recovery')?.details).toMatch(
      /^after 4 s, \d+ of \d+ accepted products do not hold their newest value; the queue holds \d+ messages, the DLQ 0$/,
    );
    const pending = newestQueued(journal.requests);
    expect(pending).toBeGreaterThan(0);
    const { products } = journal.summary;
    expect(products).toMatchObject({ pending, deadLettered: 0, lost: 0, dlq: 0 });
    expect(products.upToDate).toBe(products.accepted - pending);
    expect(products.queue).toBeGreaterThanOrEqual(pending);
    expect(stdout).toMatch(new RegExp(`^  not yet applied \\(still in a queue\\) +${pending}$`, 'm'));
    expect(stdout).toMatch(/^ {2}lost \(no message left to bring them\) +0$/m);
    expect((await runtime.chaos('GET', 'faults')).json).toEqual([]);
  }, 120_000);
});
