/**
 * `npm run experiment -- <file>` end to end: the real CLI as a process against a real offline
 * runtime, each experiment a tiny file written here (http providers against the runtime's Chaos
 * API and its DynamoDB endpoint). A seeded run replays its fault decisions, a rule with
 * durationMs removes itself during the run, Ctrl-C rolls back and exits 130, a failing safeguard
 * aborts (2) naming itself, a hypothesis missed before the method injects nothing (1), and an
 * offline-only experiment is skipped on another target (0).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { names } from '#spec';
import type { Journal } from '../../chaos/runner/journal';
import { type OfflineRuntime, runtimeForSuite } from '../support/offline';
import { REPO_ROOT } from '../../shared/paths';
import { runTs } from '../support/run-ts';

let runtime: OfflineRuntime;
runtimeForSuite((started) => (runtime = started), { reset: 'chaos' });

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ctk-runner-'));
let count = 0;

/** Writes the experiment into the temp folder; its report folder beside it. */
function experimentFile(experiment: object): { file: string; reportDir: string } {
  count += 1;
  const file = path.join(tmp, `e${count}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      title: `experiment ${count}`,
      description: 'written by the test',
      configuration: { endpoint: { type: 'env', key: 'CHAOS_ENDPOINT', default: 'http://localhost:4566' } },
      ...experiment,
    }),
  );
  return { file, reportDir: path.join(tmp, `r${count}`) };
}

const journalOf = (reportDir: string) => JSON.parse(readFileSync(path.join(reportDir, 'journal.json'), 'utf8')) as Journal;

function run(file: string, reportDir: string, ...args: string[]) {
  return runTs('scripts/experiment.ts', [file, '--endpoint', runtime.url, '--report-dir', reportDir, ...args], 90_000);
}

const faults = (method: string, rules: unknown[], name = `${method.toLowerCase()}-faults`) => ({
  type: 'action',
  name,
  provider: {
    type: 'http',
    url: '${endpoint}/_localstack/chaos/faults',
    method,
    headers: { 'Content-Type': 'application/json' },
    arguments: rules,
    timeout: 10,
    expected_status: 200,
  },
});

/** A DynamoDB DescribeTable through the target's endpoint: the call the test's fault rules decide. */
const describeTable = (name: string) => ({
  type: 'probe',
  name,
  provider: {
    type: 'http',
    url: '${endpoint}/',
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': 'DynamoDB_20120810.DescribeTable',
      // LocalStack's test credentials: the emulator checks a signature is there, not what it is.
      Authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      'X-Amz-Date': '20260101T000000Z',
    },
    arguments: JSON.stringify({ TableName: names.table }),
    timeout: 10,
  },
});

const getFaults = (name: string) => ({ type: 'probe', name, provider: { type: 'http', url: '${endpoint}/_localstack/chaos/faults', timeout: 10 } });

describe('a seeded run', () => {
  const flaky = { service: 'dynamodb', operation: 'DescribeTable', probability: 0.5, error: { statusCode: 500, code: 'SeededFault' } };
  const calls = Array.from({ length: 20 }, (_, i) => describeTable(`call-${i + 1}`));
  const statuses = (journal: Journal) =>
    journal.run.filter((r) => (r.activity as { name: string }).name.startsWith('call-')).map((r) => (r.output as { status: number }).status);

  it('replays its fault decisions with the same --seed, and a different seed decides differently', async () => {
    const { file } = experimentFile({ method: [faults('PATCH', [flaky]), ...calls], rollbacks: [faults('DELETE', [flaky], 'remove-the-rule')] });
    const runs = [];
    for (const [i, seed] of ['1234', '1234', '98765'].entries()) {
      const reportDir = path.join(tmp, `seeded-${i}`);
      const result = await run(file, reportDir, '--seed', seed);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`seed ${seed}`);
      const journal = journalOf(reportDir);
      expect(journal['x-serverless-chaos']).toMatchObject({ seed: Number(seed), target: { endpoint: runtime.url, kind: 'offline' }, file });
      expect(journal.rollbacks).toMatchObject([{ status: 'succeeded' }]);
      // The rule the runtime held carried the seed the runner derived (the DELETE, seeded the same way, matched it).
      expect((journal.run[0]?.output as { body: unknown[] }).body).toEqual([{ ...flaky, seed: expect.any(Number) }]);
      expect((await runtime.chaos('GET', 'faults')).json).toEqual([]);
      runs.push(statuses(journal));
    }
    const [first, replay, other] = runs as [number[], number[], number[]];
    expect(first).toHaveLength(20);
    expect(new Set(first)).toEqual(new Set([200, 500]));
    expect(replay).toEqual(first);
    expect(other).not.toEqual(first);
  }, 240_000);
});

it('a rule with durationMs removes itself during the run: GET faults after the pause shows it gone, and the series has its gap', async () => {
  const rule = { service: 'dynamodb', operation: 'Scan', durationMs: 2000 };
  const { file, reportDir } = experimentFile({
    method: [faults('POST', [rule]), { ...getFaults('faults-while-it-lasts'), pauses: { after: 3.5 } }, getFaults('faults-after-its-duration')],
    rollbacks: [faults('DELETE', [rule], 'remove-the-rule')],
  });
  const result = await run(file, reportDir);
  expect(result.code).toBe(0);
  const journal = journalOf(reportDir);
  const [, during, after] = journal.run;
  expect((during?.output as { body: unknown }).body).toEqual([{ ...rule, remainingMs: expect.any(Number) }]);
  expect((after?.output as { body: unknown }).body).toEqual([]);
  const extras = journal['x-serverless-chaos'];
  expect(extras.followUps).toBeUndefined();
  const series = extras.series ?? [];
  expect(series.length).toBeGreaterThanOrEqual(8);
  // The sampler reads the table with a Scan: null (a gap, never 0) while the rule lasted, a number again after it.
  const ruleStart = Date.parse(journal.run[0]!.start) - Date.parse(journal.start);
  const gaps = series.filter((s) => s.holding === null);
  expect(gaps.length).toBeGreaterThan(0);
  expect(gaps.every((s) => s.t >= ruleStart - 600 && s.t <= ruleStart + rule.durationMs + 600)).toBe(true);
  expect(series.at(-1)?.holding).toEqual(expect.any(Number));
  expect(series.every((s) => typeof s.queue === 'number' && typeof s.dlq === 'number')).toBe(true);
  for (const name of ['report.md', 'report.html', 'junit.xml']) expect(existsSync(path.join(reportDir, name))).toBe(true);
}, 120_000);

it('Ctrl-C during the method runs the rollbacks, writes the partial journal marked interrupted, and exits 130', async () => {
  const rule = { service: 'dynamodb', operation: 'DescribeTable' };
  const { file, reportDir } = experimentFile({
    method: [faults('PATCH', [rule], 'inject'), { ...getFaults('wait-for-ctrl-c'), pauses: { after: 60 } }, describeTable('never-reached')],
    rollbacks: [faults('DELETE', [rule], 'remove-the-rule')],
  });
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/experiment.ts', file, '--endpoint', runtime.url, '--report-dir', reportDir], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.includes('▶ wait-for-ctrl-c … succeeded')) child.kill('SIGINT');
  });
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  expect(code).toBe(130);
  expect(stdout).toContain('↩ rollback remove-the-rule … succeeded');
  expect(stdout).toContain('INTERRUPTED');
  const journal = journalOf(reportDir);
  expect(journal.status).toBe('interrupted');
  expect(journal.run.map((r) => (r.activity as { name: string }).name)).toEqual(['inject', 'wait-for-ctrl-c']);
  expect(journal.rollbacks).toMatchObject([{ status: 'succeeded' }]);
  expect((await runtime.chaos('GET', 'faults')).json).toEqual([]);
  expect(existsSync(path.join(reportDir, 'report.md'))).toBe(true);
}, 120_000);

it('a failing safeguard aborts the run with exit code 2, naming it', async () => {
  const rule = { service: 'dynamodb', operation: 'DescribeTable' };
  const { file, reportDir } = experimentFile({
    controls: [
      {
        name: 'safeguards',
        provider: {
          type: 'python',
          module: 'chaosaddons.controls.safeguards',
          arguments: {
            probes: [
              {
                type: 'probe',
                name: 'the-health-check-says-teapot',
                provider: { type: 'http', url: '${endpoint}/_localstack/health', timeout: 10 },
                tolerance: 418,
              },
            ],
          },
        },
      },
    ],
    method: [faults('PATCH', [rule], 'inject')],
    rollbacks: [faults('DELETE', [rule], 'remove-the-rule')],
  });
  const result = await run(file, reportDir);
  expect(result.code).toBe(2);
  expect(result.stdout).toMatch(/ABORTED: the safeguard "the-health-check-says-teapot" was outside its tolerance, so the method was stopped/);
  const journal = journalOf(reportDir);
  expect(journal.status).toBe('aborted');
  expect(journal['x-serverless-chaos'].safeguard).toBe('the-health-check-says-teapot');
  expect(journal.run).toEqual([]);
}, 120_000);

it('a hypothesis missed before the method injects nothing: exit 1, status failed', async () => {
  const rule = { service: 'dynamodb', operation: 'DescribeTable' };
  const { file, reportDir } = experimentFile({
    'steady-state-hypothesis': { title: 'the table is described', probes: [{ ...describeTable('describe-the-table'), tolerance: 418 }] },
    method: [faults('PATCH', [rule], 'inject')],
  });
  const result = await run(file, reportDir);
  expect(result.code).toBe(1);
  expect(result.stdout).toContain('✘ before the method: describe-the-table (outside its tolerance)');
  const journal = journalOf(reportDir);
  expect(journal.status).toBe('failed');
  expect(journal.run).toEqual([]);
  expect((await runtime.chaos('GET', 'faults')).json).toEqual([]);
}, 120_000);

it('on a target that is not the offline runtime, an offline-only experiment is skipped with its reason and exits 0', async () => {
  const server = createServer((request, response) => {
    response.setHeader('Content-Type', 'application/json');
    response.end(JSON.stringify(request.url === '/_localstack/health' ? { edition: 'community', services: {} } : {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { file, reportDir } = experimentFile({
      extensions: [{ name: 'serverless-chaos', requires: ['offline'], why: 'it uses Lambda faults' }],
      method: [{ type: 'action', name: 'lambda-fault', provider: { type: 'http', url: '${endpoint}/_offline/chaos/lambda-faults', method: 'POST' } }],
    });
    const result = await runTs('scripts/experiment.ts', [file, '--endpoint', endpoint, '--report-dir', reportDir], 60_000);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('SKIPPED: not run on');
    expect(result.stdout).toContain('it requires the offline runtime (npm start): it uses Lambda faults');
    expect(existsSync(path.join(reportDir, 'journal.json'))).toBe(false);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}, 120_000);
