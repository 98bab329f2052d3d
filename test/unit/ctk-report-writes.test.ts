/**
 * What a run's writes did and where its products ended, as the reports and the runner's summary
 * say it: a row per activity, not yet applied told from lost, when the faults and latency were
 * on (from what the activities sent to the Chaos API), and when the products recovered.
 */
import type { WriteRecord } from '../../chaos/probes/records';
import { productsAtEnd } from '../../chaos/runner/end-state';
import type { ChaosCall } from '../../chaos/runner/journal';
import { faultWindows, recoveryOf } from '../../chaos/report/windows';
import { endStateRows, summaryLines, writeTable } from '../../chaos/report/writes';
import type { StoredValue } from '../../shared/app-client/app-client';
import { FAULTS_URL, journal, OUTAGE_RULE, START } from '../support/ctk-journals';

const write = (id: string, version: number, status: number, sent: number, ms: number, activity?: string): WriteRecord => ({
  id,
  name: `${id} v${version}`,
  version,
  status,
  sentAt: START + sent,
  answeredAt: START + sent + ms,
  retryAfter: null,
  ...(activity ? { activity } : {}),
});

const writes = [
  write('p', 1, 200, 100, 300, 'before:writes-are-accepted'),
  write('a', 1, 202, 900, 5000, 'method:write-during-the-outage'),
  write('b', 1, 200, 1000, 200, 'method:write-during-the-outage'),
  write('b', 2, 202, 1300, 200, 'method:write-during-the-outage'),
  write('c', 1, 503, 1400, 100, 'method:write-during-the-outage'),
  write('d', 1, 0, 1500, 35_000, 'method:write-during-the-outage'),
];
const products = { at: 12_000, accepted: 3, holding: 1, pending: 2, deadLettered: 0, lost: 0, queue: 3, dlq: 0, behind: ['a', 'b'] };

describe('the write table', () => {
  it('counts each activity apart, failures by status, and how many of its products held their newest value at the end', () => {
    const { head, rows } = writeTable(journal('held', { writes, products }));
    expect(head).toEqual(['writes of', 'sent', '200 stored', '202 queued', 'failed', 'p50/p95/max ms', 'products holding newest value']);
    expect(rows).toEqual([
      ['hypothesis before: writes-are-accepted', '1', '1', '0', '0', '300/300/300', '1 of 1'],
      ['method: write-during-the-outage', '5', '1', '2', '2 (503: 1, no answer: 1)', '200/35000/35000', '0 of 2'],
    ]);
  });

  it('tells the products not yet applied (still in a queue) from the lost ones, and the time to recover', () => {
    const rows = endStateRows(journal('held', { writes, products }));
    expect(rows).toEqual([
      ['products accepted (200 or 202)', '3'],
      ['hold their newest value', '1'],
      ['not yet applied (still in a queue)', '2'],
      ['dead-lettered (in the DLQ, needs a redrive)', '0'],
      ['lost (no message left to bring them)', '0'],
      ['queue / DLQ at the end', '3 / 0 messages (at 12.0 s)'],
      ['time to recover', 'not before the run ended'],
    ]);
    expect(summaryLines(journal('held', { writes, products }))).toContain('  not yet applied (still in a queue)           2');
  });

  it('says where it stands unknown when the table could not be read, and prints nothing for a run that wrote nothing', () => {
    const unread = { ...products, holding: null, pending: null, deadLettered: null, lost: null, behind: null };
    expect(endStateRows(journal('held', { writes, products: unread }))[1]).toEqual(['where they stand', 'unknown: the target could not be read at the end']);
    expect(writeTable(journal('held', { writes, products: unread })).rows[1]?.[6]).toBe('? of 2');
    expect(summaryLines(journal('held', { writes: [] }))).toEqual([]);
  });
});

describe('the end state, read after the run', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());
  const table = new Map<string, StoredValue>([
    ['p', { name: 'p v1', updatedAt: START + 200 }],
    ['b', { name: 'b v1', updatedAt: START + 1100 }],
  ]);
  const readings = (queue: number, dlq: number) => ({ queue: async () => queue, dlq: async () => dlq, table: async () => table });

  it('counts a product behind as not yet applied while the queue can bring it, dead-lettered while the DLQ can, lost beyond both', async () => {
    // a and b (its v2) are behind; c and d were never accepted.
    expect(await productsAtEnd(readings(1, 0), writes, START)).toMatchObject({
      accepted: 3,
      holding: 1,
      pending: 1,
      deadLettered: 0,
      lost: 1,
      behind: ['a', 'b'],
    });
    expect(await productsAtEnd(readings(0, 1), writes, START)).toMatchObject({ pending: 0, deadLettered: 1, lost: 1 });
    expect(await productsAtEnd(readings(5, 0), writes, START)).toMatchObject({ pending: 2, deadLettered: 0, lost: 0 });
  });

  it('says null, not 0, for what it could not read', async () => {
    const failing = { ...readings(0, 0), table: async (): Promise<Map<string, StoredValue>> => Promise.reject(new Error('500 SomethingWentWrong')) };
    expect(await productsAtEnd(failing, writes, START)).toMatchObject({ accepted: 3, holding: null, pending: null, lost: null, queue: 0, behind: null });
  });
});

const call = (method: string, body: unknown, t: number, status = 200, url = FAULTS_URL): ChaosCall => ({ activity: 'method:x', method, url, body, t, status });
const effects = FAULTS_URL.replace('faults', 'effects');
const windowsOf = (chaosCalls: ChaosCall[], extra = {}) =>
  faultWindows(journal('held', { chaosCalls, ...extra })).map((w) => [w.kind, w.start, w.end, w.label]);
const OUTAGE = 'the fault rule on dynamodb (80% of calls fail with 500 SomethingWentWrong)';
const SQS = 'the fault rule on sqs (100% of calls fail with 503 ServiceUnavailable)';

describe('the fault and latency windows', () => {
  const other = { service: 'sqs' };

  it('open when the adding call was answered and close at the DELETE of the same rule; other rules keep theirs', () => {
    expect(windowsOf([call('PATCH', [OUTAGE_RULE], 1000), call('PATCH', [other], 1500), call('DELETE', [OUTAGE_RULE], 4000)])).toEqual([
      ['fault', 1000, 4000, OUTAGE],
      ['fault', 1500, 9300, SQS],
    ]);
  });

  it('close at the end of a rule’s durationMs, or when a POST replaces the rules; a refused call changes nothing', () => {
    expect(windowsOf([call('PATCH', [{ ...OUTAGE_RULE, durationMs: 2000 }], 1000), call('PATCH', [OUTAGE_RULE], 3500)])).toEqual([
      ['fault', 1000, 3000, OUTAGE],
      ['fault', 3500, 9300, OUTAGE],
    ]);
    expect(windowsOf([call('POST', [OUTAGE_RULE], 1000), call('POST', [other], 2000), call('POST', [], 3000), call('PATCH', [other], 3500, 400)])).toEqual([
      ['fault', 1000, 2000, OUTAGE],
      ['fault', 2000, 3000, SQS],
    ]);
  });

  it('on LocalStack, close at the DELETE the runner sent itself when the duration was over', () => {
    const followUps = [{ method: 'DELETE', url: FAULTS_URL, body: [OUTAGE_RULE], t: 2500, status: 200 }];
    expect(windowsOf([call('PATCH', [OUTAGE_RULE], 1000)], { followUps })).toEqual([['fault', 1000, 2500, OUTAGE]]);
  });

  it('take latency from a POST of effects to a latency of 0, and Lambda faults from their own endpoint', () => {
    const lambda = FAULTS_URL.replace('/_localstack/chaos/faults', '/_offline/chaos/lambda-faults');
    const fault = { functionName: 'RetryFunction', action: 'aws:lambda:invocation-error' };
    expect(
      windowsOf([
        call('POST', { latency: 300 }, 500, 200, effects),
        call('POST', { latency: 0 }, 1500, 200, effects),
        call('PATCH', [fault], 2000, 200, lambda),
      ]),
    ).toEqual([
      ['latency', 500, 1500, '+300 ms on every AWS call'],
      ['fault', 2000, 9300, 'errors in 100% of RetryFunction invocations'],
    ]);
  });
});

describe('recovery', () => {
  const sample = (t: number, accepted: number, holding: number | null, queue: number | null) => ({ t, queue, dlq: 0, accepted, holding });
  const chaosCalls = [call('PATCH', [OUTAGE_RULE], 1000), call('DELETE', [OUTAGE_RULE], 4000)];

  it('is the first reading after the last fault with every accepted product holding and the queues back where they started', () => {
    // At 5.5 s every product holds, but the queue still holds messages: not recovered yet.
    const series = [sample(0, 0, 0, 0), sample(3500, 5, 5, 0), sample(4500, 5, null, 3), sample(5000, 5, 4, 1), sample(5500, 5, 5, 2), sample(6000, 5, 5, 0)];
    expect(recoveryOf(journal('held', { chaosCalls, series }))).toEqual({ faultsEnded: 4000, recoveredAt: 6000 });
    expect(endStateRows(journal('held', { chaosCalls, series })).at(-1)).toEqual(['time to recover', '2.0 s after the last fault ended']);
  });

  it('is not measured without a fault, and null when the products never caught up', () => {
    expect(recoveryOf(journal('held', { chaosCalls: [], series: [sample(0, 1, 1, 0)] }))).toBeUndefined();
    expect(recoveryOf(journal('held', { chaosCalls, series: [sample(5000, 5, 4, 1)] }))).toEqual({ faultsEnded: 4000, recoveredAt: null });
  });
});
