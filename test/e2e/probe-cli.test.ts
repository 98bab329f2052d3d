/**
 * The probe CLI (scripts/probe.ts) against the offline runtime, run as a process the way an
 * experiment's process provider runs it: one JSON line on stdout, exit 0 when the check holds,
 * 1 when it does not, 2 when it could not run. Writes with their expectations met and not,
 * writes-hold passing and failing (the retry mapping disabled keeps queued writes pending; a
 * refused write found in the table), queue bounds, the fallback switched off (502, the write
 * lost) and on again (the deployed environment exactly), and the retry mapping switched.
 */
import { GetFunctionConfigurationCommand, LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { env, names } from '#spec';
import type { WriteRecord } from '../../chaos/probes/records';
import { sdkConfig } from '../support/clients';
import { eventually, type OfflineRuntime, runtimeForSuite } from '../support/offline';
import { runTs } from '../support/run-ts';

let runtime: OfflineRuntime;
let lambda: LambdaClient;
runtimeForSuite(
  (started) => {
    runtime = started;
    lambda = new LambdaClient(sdkConfig(started.url));
  },
  { reset: 'chaos-and-breakers' },
);

const dir = mkdtempSync(path.join(os.tmpdir(), 'probe-cli-'));
afterAll(() => {
  lambda?.destroy();
  rmSync(dir, { recursive: true, force: true });
});
const stateFile = (name: string) => path.join(dir, `${name}.jsonl`);

/** Runs a probe command against the runtime: its exit code, its one JSON line, and stderr. */
async function probe(...args: string[]): Promise<{ code: number | null; json: Record<string, unknown>; stderr: string }> {
  const run = await runTs('scripts/probe.ts', [...args, '--endpoint', runtime.url], 60_000);
  const lines = run.stdout.split('\n').filter((line) => line !== '');
  if (lines.length !== 1) throw new Error(`expected one line on stdout, got ${JSON.stringify(run.stdout)} (stderr: ${run.stderr})`);
  return { code: run.code, json: JSON.parse(lines[0]!) as Record<string, unknown>, stderr: run.stderr };
}

const records = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as WriteRecord);

const dynamoDown = { service: 'dynamodb', error: { statusCode: 500, code: 'SomethingWentWrong' } };
const snsDown = { service: 'sns', error: { statusCode: 500, code: 'SomethingWentWrong' } };
const faults = async (rules: unknown[]) => expect((await runtime.chaos('POST', 'faults', rules)).status).toBe(200);

it('writes with expectations met, then writes-hold and queues pass', async () => {
  const state = stateFile('healthy');
  const write = await probe('write', '--state', state, '--products', '3', '--versions', '2', '--prefix', 'healthy');
  expect(write).toMatchObject({ code: 0, json: { sent: 6, statuses: { '200': 6 }, unexpected: 0 }, stderr: '' });

  const lines = records(state);
  expect(lines).toHaveLength(6);
  for (const line of lines) {
    expect(Object.keys(line)).toEqual(['id', 'name', 'version', 'status', 'sentAt', 'answeredAt', 'retryAfter']);
    expect(line).toMatchObject({ status: 200, retryAfter: null, name: `${line.id} v${line.version}` });
    expect(line.answeredAt).toBeGreaterThanOrEqual(line.sentAt);
  }
  // Each product's versions in order, the next sent after the previous one's answer.
  for (const id of ['healthy-1', 'healthy-2', 'healthy-3']) {
    const [v1, v2] = lines.filter((line) => line.id === id);
    expect([v1!.version, v2!.version]).toEqual([1, 2]);
    expect(v2!.sentAt).toBeGreaterThanOrEqual(v1!.answeredAt);
  }
  expect((await runtime.item('healthy-2'))?.name).toEqual({ S: 'healthy-2 v2' });

  const [hold, queues] = await Promise.all([
    probe('writes-hold', '--state', state, '--within', '10'),
    probe('queues', '--queue-max', '0', '--dlq-max', '0', '--within', '10'),
  ]);
  expect(hold).toMatchObject({ code: 0, json: { accepted: 3, holding: 3, pending: 0, refusedInTable: 0 } });
  expect(queues).toMatchObject({ code: 0, json: { queue: 0, dlq: 0 } });
}, 60_000);

it('with the retry mapping disabled, writes queued in an outage stay pending and in the queue; enabled again, they hold', async () => {
  const { EventSourceMappings = [] } = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: names.retryFunction }));
  const disabled = await probe('retry-mapping', '--disable');
  expect(disabled).toMatchObject({ code: 0, json: { uuid: EventSourceMappings[0]?.UUID, state: 'Disabled' } });

  await faults([dynamoDown]);
  const state = stateFile('queued');
  // Expecting only 200: every write is queued instead, so the check fails (exit 1), and says how.
  const write = await probe('write', '--state', state, '--products', '2', '--prefix', 'queued', '--expect', '200');
  expect(write).toMatchObject({ code: 1, json: { sent: 2, statuses: { '202': 2 }, unexpected: 2 } });
  await faults([]);

  const [pending, atLeast, empty] = await Promise.all([
    probe('writes-hold', '--state', state, '--within', '1'),
    probe('queues', '--queue-min', '2', '--within', '5'),
    probe('queues', '--queue-max', '0'),
  ]);
  expect(pending).toMatchObject({ code: 1, json: { accepted: 2, holding: 0, pending: 2, refusedInTable: 0 } });
  expect(atLeast).toMatchObject({ code: 0, json: { queue: 2, dlq: 0 } });
  expect(empty).toMatchObject({ code: 1, json: { queue: 2, dlq: 0 } });

  expect(await probe('retry-mapping', '--enable')).toMatchObject({ code: 0, json: { uuid: EventSourceMappings[0]?.UUID, state: 'Enabled' } });
  const [held, drained] = await Promise.all([
    probe('writes-hold', '--state', state, '--within', '20'),
    probe('queues', '--queue-max', '0', '--dlq-max', '0', '--within', '20'),
  ]);
  expect(held).toMatchObject({ code: 0, json: { accepted: 2, holding: 2, pending: 0, refusedInTable: 0 } });
  expect(drained).toMatchObject({ code: 0, json: { queue: 0, dlq: 0 } });
}, 60_000);

it('checks Retry-After on 503s when DynamoDB and SNS both fail', async () => {
  await faults([dynamoDown, snsDown]);
  const write = await probe('write', '--state', stateFile('refused'), '--products', '2', '--prefix', 'refused', '--expect', '503', '--expect-retry-after');
  expect(write).toMatchObject({ code: 0, json: { sent: 2, statuses: { '503': 2 }, unexpected: 0, missingRetryAfter: 0 } });
  expect(records(stateFile('refused')).map((line) => line.retryAfter)).toEqual([expect.stringMatching(/^\d+$/), expect.stringMatching(/^\d+$/)]);
}, 60_000);

it('fallback --off: a write DynamoDB fails is answered 502 and lost; --on restores the deployed environment exactly', async () => {
  const before = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: names.productFunction }));
  expect(before.Environment?.Variables?.[env.writeFallback]).toBeUndefined();

  expect(await probe('fallback', '--off')).toMatchObject({ code: 0, json: { function: names.productFunction, fallback: 'off' } });
  const off = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: names.productFunction }));
  expect(off.Environment?.Variables).toEqual({ ...before.Environment?.Variables, [env.writeFallback]: 'off' });
  expect(off.LastUpdateStatus).toBe('Successful');

  await faults([dynamoDown]);
  const state = stateFile('lost');
  const lost = await probe('write', '--state', state, '--products', '2', '--prefix', 'lost', '--expect', '502');
  expect(lost).toMatchObject({ code: 0, json: { sent: 2, statuses: { '502': 2 }, unexpected: 0 } });
  // What API Gateway answers for the failed invocation, as the tutorial's app before the fix.
  const answer = await runtime.target.post({ id: 'lost-direct', name: 'x', price: 1, description: '' });
  expect(answer).toMatchObject({ status: 502 });
  expect(JSON.parse(answer.body)).toMatchObject({ message: 'Internal server error' });
  await faults([]);

  // Nothing was published: no queue, no table. The lost writes were refused, so writes-hold has nothing to wait for.
  await runtime.settled();
  expect(await runtime.depth(names.queue)).toBe(0);
  expect(await runtime.item('lost-1')).toBeUndefined();
  expect(runtime.logs.some((line) => line.includes('Write lost: DynamoDB failed and the fallback to the queue is off'))).toBe(true);

  const [hold, on] = await Promise.all([probe('writes-hold', '--state', state, '--within', '0'), probe('fallback', '--on')]);
  expect(hold).toMatchObject({ code: 0, json: { accepted: 0, holding: 0, pending: 0, refusedInTable: 0 } });
  expect(on).toMatchObject({ code: 0, json: { function: names.productFunction, fallback: 'on' } });
  const after = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: names.productFunction }));
  expect(after.Environment).toEqual(before.Environment);

  // The fixed application again: the same outage queues the write.
  await faults([dynamoDown]);
  expect((await runtime.target.post({ id: 'lost-1', name: 'back', price: 1, description: '' })).status).toBe(202);
}, 60_000);

it('writes-hold fails when a product whose every write was refused is in the table with a value from this run', async () => {
  const state = stateFile('refused-in-table');
  const sentAt = Date.now();
  const refused: WriteRecord = {
    id: 'refused-but-there',
    name: 'refused-but-there v1',
    version: 1,
    status: 502,
    sentAt,
    answeredAt: sentAt + 5,
    retryAfter: null,
  };
  writeFileSync(state, `${JSON.stringify(refused)}\n`);
  expect((await runtime.target.post({ id: 'refused-but-there', name: 'refused-but-there v1', price: 1, description: '' })).status).toBe(200);
  await eventually('the product in the table', () => runtime.item('refused-but-there'), 5_000);
  expect(await probe('writes-hold', '--state', state, '--within', '1')).toMatchObject({
    code: 1,
    json: { accepted: 0, holding: 0, pending: 0, refusedInTable: 1 },
  });
}, 60_000);

it('exits 2 with one Error: line for a wrong command line, an unreachable target or a missing state file', async () => {
  const nowhere = 'http://127.0.0.1:1';
  const runs = await Promise.all([
    runTs('scripts/probe.ts', ['queues', '--endpoint', 'http://127.0.0.1:45699']),
    runTs('scripts/probe.ts', ['write', '--state', stateFile('nowhere'), '--products', '1', '--endpoint', 'http://127.0.0.1:45699']),
    runTs('scripts/probe.ts', ['writes-hold', '--state', stateFile('missing'), '--endpoint', nowhere]),
    runTs('scripts/probe.ts', ['fallback', '--endpoint', nowhere]),
    runTs('scripts/probe.ts', ['write', '--state', stateFile('x'), '--products', '2', '--expect', '200,abc']),
    runTs('scripts/probe.ts', ['wrte']),
  ]);
  for (const run of runs) {
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Error: /)]);
  }
  const [queues, write, missing, fallback, expectList, typo] = runs.map((run) => run.stderr.trim());
  expect(queues).toBe('Error: Could not reach SQS at http://127.0.0.1:45699 (ECONNREFUSED). Is LocalStack or the offline runtime (npm start) running?');
  expect(write).toMatch(/^Error: Could not reach the product API at http:\/\/127\.0\.0\.1:45699\/.* \(ECONNREFUSED\)/);
  expect(missing).toContain('does not exist: run the write probe with --state');
  expect(fallback).toBe('Error: fallback needs exactly one of --off or --on (see fallback --help)');
  expect(expectList).toContain('Expected HTTP statuses separated by commas');
  expect(typo).toContain("Unknown command 'wrte' (Did you mean write?)");
}, 60_000);
