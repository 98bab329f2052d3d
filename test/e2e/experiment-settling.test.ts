/**
 * `npm run experiment` between and around experiments, end to end against a runtime whose queue
 * hides a received message for 20 s (its other timings the tests'): what one experiment leaves
 * on the target is waited for, bounded by the target's own timings, and reported against that
 * experiment, so the next one's hypothesis runs on a settled system; what does not settle in
 * time skips the next one, naming the experiment that left it; and a settle window shorter than
 * the target's visibility timeout is raised to cover a receive lost mid-way.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { names } from '#spec';
import { fastTimings } from '../../offline/runtime/compose';
import { JOURNAL_EXTRAS, type Journal } from '../../chaos/runner/journal';
import { type OfflineRuntime, runtimeForSuite } from '../support/offline';
import { runTs } from '../support/run-ts';

const VISIBILITY_TIMEOUT_SECONDS = 20;

let runtime: OfflineRuntime;
runtimeForSuite((started) => (runtime = started), { timings: { ...fastTimings, visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS }, reset: 'chaos' });

const tmp = mkdtempSync(path.join(os.tmpdir(), 'settling-'));
let count = 0;

const configuration = {
  endpoint: { type: 'env', key: 'CHAOS_ENDPOINT', default: 'http://localhost:4566' },
  state_file: { type: 'env', key: 'CHAOS_STATE_FILE', default: 'reports/ctk-writes.jsonl' },
};

/** Writes the experiment into the temp folder as e<n>.json. */
function experimentFile(experiment: object): string {
  count += 1;
  const file = path.join(tmp, `e${count}.json`);
  writeFileSync(file, JSON.stringify({ title: `experiment ${count}`, description: 'written by the test', configuration, ...experiment }));
  return file;
}

const journalOf = (dir: string, file: string) => JSON.parse(readFileSync(path.join(dir, path.basename(file, '.json'), 'journal.json'), 'utf8')) as Journal;

const probe = (name: string, ...args: Array<string | number>) => ({
  type: 'probe',
  name,
  provider: { type: 'process', path: 'node', arguments: ['--import', 'tsx', 'scripts/probe.ts', ...args.map(String)], timeout: 120 },
});
const action = (name: string, ...args: string[]) => ({ ...probe(name, ...args), type: 'action' });
const faults = (name: string, method: string, rules: unknown[]) => ({
  type: 'action',
  name,
  provider: {
    type: 'http',
    url: '${endpoint}/_localstack/chaos/faults',
    method,
    headers: { 'Content-Type': 'application/json' },
    arguments: rules,
    timeout: 10,
  },
});
/** The write probe: one product with ids from `prefix`, recorded in the state file, answered as `expect` says. */
const write = (name: string, prefix: string, expect: string | number) =>
  probe(name, 'write', '--endpoint', '${endpoint}', '--state', '${state_file}', '--products', 1, '--prefix', prefix, '--expect', expect);
/** One queued write: DynamoDB fails, so the product function queues it (202). */
const writeQueued = write('write-while-dynamodb-fails', 'settling', 202);
/** The next experiment's hypothesis: nothing in the queue or the DLQ, read once. */
const queuesEmpty = { ...probe('the-queue-and-the-dlq-are-empty', 'queues', '--endpoint', '${endpoint}', '--queue-max', 0, '--dlq-max', 0), tolerance: 0 };
const second = () => experimentFile({ 'steady-state-hypothesis': { title: 'nothing waits', probes: [queuesEmpty] }, method: [] });

function runLibrary(files: string[], dir: string) {
  return runTs('scripts/experiment.ts', [...files, '--endpoint', runtime.url, '--report-dir', dir, '--seed', '1'], 170_000);
}

it("waits for what an experiment left (a queued write, a rule's last seconds) before the next one's hypothesis, and reports it against the one that left it", async () => {
  const rule = { service: 'dynamodb', durationMs: 8_000 };
  // No rollback: the rule ends by itself, and the write it queued is still in the queue when the experiment ends.
  const first = experimentFile({ method: [faults('take-dynamodb-down', 'PATCH', [rule]), writeQueued] });
  const next = second();
  const dir = path.join(tmp, 'queued');
  const result = await runLibrary([first, next], dir);
  const why = `${result.stdout}\n${result.stderr}`;

  expect([result.code, why]).toEqual([0, why]);
  const leftover = journalOf(dir, first)[JOURNAL_EXTRAS].leftover;
  expect(leftover).toMatchObject({ settled: true, remaining: [] });
  expect(leftover?.found).toEqual(expect.arrayContaining([`1 message in ${names.queue}`, expect.stringContaining('dynamodb')]));
  expect(result.stdout).toMatch(new RegExp(`it left 1 message in ${names.queue}.*settled [\\d.]+ s after its end`));
  // The second experiment's hypothesis read a settled queue, and nothing was held against it.
  const after = journalOf(dir, next);
  expect(after.status).toBe('completed');
  expect(JSON.parse(String((after.steady_states.before?.probes[0]?.output as { stdout: string }).stdout))).toEqual({ queue: 0, dlq: 0 });
  expect(after[JOURNAL_EXTRAS].unsettledBefore).toBeUndefined();
  expect(after[JOURNAL_EXTRAS].leftover).toBeUndefined();
  expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toContain(`it left 1 message in ${names.queue}`);
}, 200_000);

it('what does not settle is the leftover of the experiment that left it: that one is not as expected, and the next is skipped naming it', async () => {
  // A rule with no duration and no rollback: nothing but a person removes it.
  const rule = { service: 'dynamodb', operation: 'DescribeTable' };
  const first = experimentFile({ method: [faults('leave-a-rule', 'PATCH', [rule])] });
  const next = second();
  const dir = path.join(tmp, 'stays');
  const result = await runLibrary([first, next], dir);
  const why = `${result.stdout}\n${result.stderr}`;

  expect([result.code, why]).toEqual([1, why]);
  const leftover = journalOf(dir, first)[JOURNAL_EXTRAS].leftover;
  expect(leftover).toMatchObject({ settled: false, found: [expect.stringContaining('dynamodb DescribeTable')] });
  expect(result.stdout).toContain(`✘ ${first}: held; it left the fault rule on dynamodb DescribeTable`);
  expect(result.stdout).toContain(`✔ ${next}: skipped (the target has not settled since ${first} ended: the fault rule on dynamodb DescribeTable`);
  // The second never ran: no journal of its own.
  expect(() => journalOf(dir, next)).toThrow();
  // The first's report says it, and so do the library's summary and JUnit file.
  const report = readFileSync(path.join(dir, path.basename(first, '.json'), 'report.md'), 'utf8');
  expect(report).toContain('❌ Held: the steady state held before and after the method. But it left the fault rule on dynamodb DescribeTable');
  expect(report).toContain('not settled (nothing clears it by itself)');
  expect(readFileSync(path.join(dir, 'summary.md'), 'utf8')).toContain(
    `did not end as expected: ${first} (held; it left the fault rule on dynamodb DescribeTable`,
  );
  expect(readFileSync(path.join(dir, 'junit.xml'), 'utf8')).toContain('failure message="held; it left the fault rule on dynamodb DescribeTable');
}, 200_000);

it("raises a settle window shorter than the target's visibility timeout, so a write whose receive was lost still holds in time", async () => {
  const settle = { type: 'env', key: 'CHAOS_TEST_SETTLE_SECONDS', default: 3, env_var_type: 'int' };
  // As the library's files do: the hypothesis writes too, so its state file is there before anything is checked.
  const accepted = { ...write('writes-are-accepted', 'settling-probe', '200,202'), tolerance: 0 };
  const holds = {
    ...probe('every-accepted-write-holds', 'writes-hold', '--endpoint', '${endpoint}', '--state', '${state_file}', '--within', '${settle_seconds}'),
    tolerance: 0,
  };
  const mapping = (name: string, flag: string) => action(name, 'retry-mapping', '--endpoint', '${endpoint}', flag);
  const sqsCall = (type: 'action' | 'probe', name: string, target: string, body: object) => ({
    type,
    name,
    provider: {
      type: 'http',
      url: '${endpoint}/',
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': `AmazonSQS.${target}`,
        // LocalStack's test credentials: the emulator checks a signature is there, not what it is.
        Authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=0',
        'X-Amz-Date': '20260101T000000Z',
      },
      arguments: JSON.stringify({ QueueUrl: `${runtime.url}/000000000000/${names.queue}`, ...body }),
      timeout: 10,
    },
  });
  // A receive whose answer nobody handles, as when a mapping is disabled mid-poll: the message stays hidden for the visibility timeout.
  const receive = sqsCall('action', 'receive-and-drop-the-write', 'ReceiveMessage', { MaxNumberOfMessages: 10, WaitTimeSeconds: 5 });
  // Which receive takes the write, this one or the disabled mapping's last long poll, is a race; either way it is hidden now.
  const hidden = sqsCall('probe', 'count-hidden-writes', 'GetQueueAttributes', { AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] });
  const file = experimentFile({
    configuration: { ...configuration, settle_seconds: settle },
    'steady-state-hypothesis': { title: 'writes are accepted and every accepted write holds', probes: [accepted, holds] },
    method: [
      mapping('disable-the-retry-mapping', '--disable'),
      faults('take-dynamodb-down', 'PATCH', [{ service: 'dynamodb' }]),
      writeQueued,
      faults('bring-dynamodb-back', 'DELETE', [{ service: 'dynamodb' }]),
      receive,
      hidden,
      mapping('enable-the-retry-mapping', '--enable'),
    ],
    rollbacks: [mapping('enable-the-retry-mapping', '--enable'), faults('bring-dynamodb-back', 'DELETE', [{ service: 'dynamodb' }])],
  });
  const dir = path.join(tmp, 'lost-receive');
  const result = await runTs('scripts/experiment.ts', [file, '--endpoint', runtime.url, '--report-dir', dir], 170_000);
  const why = `${result.stdout}\n${result.stderr}`;
  const journal = JSON.parse(readFileSync(path.join(dir, 'journal.json'), 'utf8')) as Journal;

  // A receive did take the write: it was hidden when the hypothesis after the method began.
  const counted = journal.run.find((run) => (run.activity as { name: string }).name === 'count-hidden-writes');
  expect(JSON.parse(String((counted?.output as { body: unknown }).body))).toEqual({ Attributes: { ApproximateNumberOfMessagesNotVisible: '1' } });
  expect([result.code, journal.deviated, why]).toEqual([0, false, why]);
  // 20 s of visibility timeout, 0.3 s of breaker cooldown, 1 s of backoff cap, and the margin.
  expect(journal[JOURNAL_EXTRAS].sized).toEqual([expect.stringMatching(/^settle window raised from 3 s to 32 s, the target's settle bound/)]);
  expect(journal[JOURNAL_EXTRAS].timings).toMatchObject({ visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS, source: 'target' });
  expect(result.stdout).toContain('settle window raised from 3 s');
}, 200_000);
