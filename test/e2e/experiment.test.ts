/**
 * The tutorial's experiment (experiments/01-tutorial.json) as a user runs it, `npm run
 * experiment` against the offline runtime and `npm run demo` with its own: the verdicts, the
 * writes of each activity, where every accepted product ended, the report, and Ctrl-C.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { env } from '#spec';
import type { WriteRecord } from '../../chaos/probes/records';
import { JOURNAL_EXTRAS, type Journal } from '../../chaos/runner/journal';
import { fastTimings } from '../../offline/runtime/compose';
import { SDK_NOTICE_OFF } from '../../shared/cli/quiet-sdk';
import { REPO_ROOT } from '../../shared/paths';
import { type OfflineRuntime, runtimeForSuite } from '../support/offline';

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
  /** Resolves when stdout so far matches. */
  printed(pattern: RegExp): Promise<void>;
  exit: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Starts a command line of ours as `npm run` does: in a process group of its own, so a signal reaches all of it as Ctrl-C does. */
function start(script: string, name: string, args: string[]): Started {
  const dir = path.join(reports, name);
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args, '--report-dir', dir], {
    cwd: REPO_ROOT,
    env: userEnv(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiting: Array<{ pattern: RegExp; resolve: () => void }> = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const w of waiting.filter((one) => one.pattern.test(stdout))) w.resolve();
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  );
  return {
    child,
    dir,
    printed: (pattern) =>
      new Promise((resolve, reject) => {
        if (pattern.test(stdout)) return resolve();
        waiting.push({ pattern, resolve });
        void exit.then(() => reject(new Error(`exited before printing ${pattern}:\n${stdout}\n${stderr}`)));
      }),
    exit,
  };
}

/** The tutorial against `url`, its waits scaled for the test runtime: 300 ms of latency, the file's other defaults but the ones given. */
async function tutorial(url: string, name: string, vars: Record<string, number> = {}) {
  const args = ['--endpoint', url, '--seed', '1', ...Object.entries({ latency_ms: 300, ...vars }).flatMap(([key, value]) => ['--var', `${key}=${value}`])];
  const run = start('scripts/experiment.ts', name, args);
  const result = await run.exit;
  const journal = JSON.parse(readFileSync(path.join(run.dir, 'journal.json'), 'utf8')) as Journal;
  return { ...result, journal, extras: journal[JOURNAL_EXTRAS], dir: run.dir };
}

const by = (writes: WriteRecord[], activity: string) => writes.filter((w) => w.activity === activity);
const statuses = (writes: WriteRecord[]) => [...new Set(writes.map((w) => w.status))].sort();

describe('npm run experiment, the tutorial, against a resilient target', () => {
  let runtime: OfflineRuntime;
  runtimeForSuite((started) => (runtime = started));

  it('holds; counts the writes of each activity apart; leaves every accepted product holding; removes only what it added', async () => {
    const userRule = { service: 'sts', operation: 'AssumeRole', description: 'set by the user, not the experiment' };
    await runtime.chaos('POST', 'faults', [userRule]);

    const { code, stdout, stderr, journal, extras, dir } = await tutorial(runtime.url, 'healthy', { products: 3, versions: 2 });

    const why = `${stdout}\n${stderr}`;
    expect([code, why]).toEqual([0, why]);
    // Nothing on stderr: not the SDK's Node version warning, not Vega's.
    expect(stderr).toBe('');
    expect(stdout).toContain('✔ HELD');
    expect(journal.status).toBe('completed');
    // The breaker pause is the runtime's own cooldown, read from it.
    expect(extras.sized).toContainEqual(
      `breaker cooldown pause set from 5 s to ${(fastTimings.breakerCooldownMs ?? 0) / 1000} s, the target's breaker cooldown`,
    );

    const writes = extras.writes ?? [];
    const outage = by(writes, 'method:write-during-the-outage');
    const healthy = by(writes, 'method:write-once-the-breakers-have-closed');
    const underLatency = by(writes, 'after:writes-are-accepted');
    expect([by(writes, 'before:writes-are-accepted').length, outage.length, healthy.length, underLatency.length]).toEqual([3, 6, 3, 3]);
    // The outage was absorbed: every write accepted, some queued.
    expect(outage.every((w) => w.status === 200 || w.status === 202)).toBe(true);
    expect(outage.some((w) => w.status === 202)).toBe(true);
    // Once the breakers' cooldown was over every write was stored directly; then the latency slowed every answer.
    expect(statuses(healthy)).toEqual([200]);
    const outageEnded = Date.parse(journal.run.find((run) => (run.activity as { name: string }).name === 'end-the-dynamodb-outage')!.end);
    expect(Math.min(...healthy.map((w) => w.sentAt))).toBeGreaterThanOrEqual(outageEnded + (fastTimings.breakerCooldownMs ?? 0));
    expect(underLatency.every((w) => w.answeredAt - w.sentAt >= 300)).toBe(true);

    expect(extras.products).toMatchObject({ accepted: 9, holding: 9, pending: 0, deadLettered: 0, lost: 0, queue: 0, dlq: 0, behind: [] });
    expect(extras.chaosCalls?.map((call) => `${call.activity} ${call.method} ${call.status}`)).toEqual([
      'method:start-the-dynamodb-outage PATCH 200',
      'method:end-the-dynamodb-outage DELETE 200',
      'method:add-latency-to-every-aws-call POST 200',
      'rollback:remove-the-latency POST 200',
      'rollback:remove-the-dynamodb-fault DELETE 200',
    ]);

    // The summary on stdout, and progress into a pipe: no carriage return.
    expect(stdout).toMatch(/^ {2}method: write-during-the-outage +6 +\d+ +\d+ +0 +\d+\/\d+\/\d+ +3 of 3$/m);
    expect(stdout).toMatch(/^ {2}lost \(no message left to bring them\) +0$/m);
    expect(stdout).toMatch(/^ {2}time to recover +\d+\.\d s after the last fault ended$/m);
    expect(stdout).not.toContain('\r');

    expect(readFileSync(path.join(dir, 'chart.svg'), 'utf8')).toMatch(/^<svg/);
    const report = readFileSync(path.join(dir, 'report.md'), 'utf8');
    expect(report).toContain('## Writes');
    expect(report).toContain('| not yet applied (still in a queue) | 0 |');
    // A --report-dir outside reports/ leaves `latest` alone.
    expect(existsSync(path.join(reports, 'latest'))).toBe(false);

    expect((await runtime.chaos('GET', 'faults')).json).toEqual([userRule]);
    expect((await runtime.chaos('GET', 'effects')).json).toEqual({ latency: 0 });
    await runtime.chaos('POST', 'faults', []);
  }, 180_000);
});

describe('npm run experiment, the tutorial, against a target whose retry path cannot write', () => {
  let runtime: OfflineRuntime;
  // The retry Lambda writes to a table that does not exist: queued writes stay queued, retried.
  runtimeForSuite((started) => (runtime = started), { environmentOverrides: { retry: { [env.tableName]: 'NoSuchTable' } } });

  it('deviates, and counts the queued writes as not yet applied, not as lost', async () => {
    // Ten products: with 3, all of their newest writes were sometimes stored directly, leaving nothing for the broken retry path to hold back.
    const { code, stdout, journal, extras } = await tutorial(runtime.url, 'broken', { products: 10, settle_seconds: 4 });

    expect(code).toBe(1);
    expect(stdout).toContain('✘ DEVIATED');
    expect(journal).toMatchObject({ status: 'completed', deviated: true });
    expect(extras.reason).toMatch(/^after the method, the probe "every-accepted-write-holds" was outside its tolerance/);
    // The accepted products whose newest write was queued are the ones the table does not hold.
    const newest = new Map<string, WriteRecord>();
    for (const w of (extras.writes ?? []).filter((one) => one.status === 200 || one.status === 202))
      if ((newest.get(w.id)?.sentAt ?? -1) < w.sentAt) newest.set(w.id, w);
    const pending = [...newest.values()].filter((w) => w.status === 202).length;
    expect(pending).toBeGreaterThan(0);
    const products = extras.products!;
    expect(products).toMatchObject({ pending, deadLettered: 0, lost: 0, dlq: 0, holding: products.accepted - pending });
    expect(products.queue).toBeGreaterThanOrEqual(pending);
    expect(stdout).toMatch(new RegExp(`^ {2}not yet applied \\(still in a queue\\) +${pending}$`, 'm'));
    expect(stdout).toMatch(/^ {2}lost \(no message left to bring them\) +0$/m);
    expect((await runtime.chaos('GET', 'faults')).json).toEqual([]);
    expect((await runtime.chaos('GET', 'effects')).json).toEqual({ latency: 0 });
  }, 180_000);
});

describe('npm run demo, interrupted with Ctrl-C as a terminal sends it', () => {
  it('mid-outage: runs the rollbacks, writes the partial report with the runtime log, exits 130', async () => {
    // Enough writes that the outage is still going when the signal comes.
    const run = start('scripts/demo.ts', 'demo-interrupted', ['--no-build', '--versions', '100']);
    await run.printed(/^▶ start-the-dynamodb-outage … succeeded/m);
    await new Promise((resolve) => setTimeout(resolve, 700));
    // Under `npm run`, one press arrives twice: from the terminal and relayed by npm. The repeat
    // close behind is the same press, not the second Ctrl-C.
    process.kill(-run.child.pid!, 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 20));
    process.kill(-run.child.pid!, 'SIGINT');
    const { code, stdout, stderr } = await run.exit;

    expect([code, stderr]).toEqual([130, '']);
    expect(stdout).toContain('↩ rollback remove-the-latency … succeeded');
    expect(stdout).toContain('↩ rollback remove-the-dynamodb-fault … succeeded');
    expect(stdout).toContain('■ INTERRUPTED');
    const journal = JSON.parse(readFileSync(path.join(run.dir, 'journal.json'), 'utf8')) as Journal;
    expect(journal.status).toBe('interrupted');
    expect(journal.run.map((r) => [(r.activity as { name: string }).name, r.status])).toEqual([
      ['start-the-dynamodb-outage', 'succeeded'],
      ['write-during-the-outage', 'failed'],
    ]);
    expect(journal.rollbacks.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect(journal[JOURNAL_EXTRAS].interruptedAt).toEqual(expect.any(String));
    expect(readFileSync(path.join(run.dir, 'report.md'), 'utf8')).toContain('Interrupted');
    expect(readFileSync(path.join(run.dir, 'chart.svg'), 'utf8')).toMatch(/^<svg/);
    expect(readFileSync(path.join(run.dir, 'runtime.log'), 'utf8')).toContain('PutItem');
  }, 180_000);
});
