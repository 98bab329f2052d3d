/** The probe CLI's checks on their own: which products hold, queue bounds, the poll loop, the state file and the command line. */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { POLL_EVERY_MS, pollUntil } from '../../chaos/probes/poll';
import { withinBounds } from '../../chaos/probes/queues';
import { readRecords, recordTail, type WriteRecord } from '../../chaos/probes/records';
import { writeProducts, type WriteOptions } from '../../chaos/probes/write';
import { CLOCK_LEEWAY_MS, expectations, holds, summarize, writesHold } from '../../chaos/probes/writes-hold';
import type { StoredValue } from '../../shared/app-client/app-client';
import { ProbeError, runProbe, UsageError } from '../../chaos/cli/probe-command';

const T = 1_800_000_000_000;
const write = (id: string, version: number, status: number, sentAt: number): WriteRecord => ({
  id,
  name: `${id} v${version}`,
  version,
  status,
  sentAt,
  answeredAt: sentAt + 100,
  retryAfter: null,
});
const table = (entries: Array<[string, string, number]>) => new Map<string, StoredValue>(entries.map(([id, name, updatedAt]) => [id, { name, updatedAt }]));

// The poll loop's waits run on jest's clock.
beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('writes-hold', () => {
  it('expects the newest accepted write of each product: a later refused one does not count, a later run does', () => {
    const expected = expectations([write('a', 1, 200, T), write('a', 2, 202, T + 200), write('a', 3, 503, T + 400), write('b', 1, 502, T)]);
    expect(expected.get('a')?.newest?.name).toBe('a v2');
    expect(expected.get('b')?.newest).toBeUndefined();
    // The same names again from a second `write` run: the newer run's v1 is the newest.
    expect(expectations([write('a', 2, 200, T), write('a', 1, 200, T + 5_000)]).get('a')?.newest).toMatchObject({ version: 1, sentAt: T + 5_000 });
  });

  it('holds the write itself, or a write accepted after it; not a value an earlier run left under the same name', () => {
    const newest = write('a', 2, 202, T);
    expect(holds({ name: 'a v2', updatedAt: T + 50 }, newest)).toBe(true);
    expect(holds({ name: 'a v1', updatedAt: T - 10 }, newest)).toBe(false);
    expect(holds(undefined, newest)).toBe(false);
    expect(holds({ name: 'someone else', updatedAt: T + 100 + CLOCK_LEEWAY_MS + 1 }, newest)).toBe(true);
    expect(holds({ name: 'a v2', updatedAt: T - CLOCK_LEEWAY_MS - 1 }, newest)).toBe(false);
  });

  it('counts accepted, holding, pending and refused products found in the table', () => {
    const expected = expectations([write('a', 1, 200, T), write('b', 1, 202, T), write('c', 1, 502, T), write('d', 1, 0, T), write('e', 1, 503, T)]);
    const summary = summarize(
      expected,
      table([
        ['a', 'a v1', T + 10],
        ['b', 'b v0', T - 60_000],
        ['c', 'c v1', T + 10],
        // Left by an earlier run: not this run's refused write.
        ['d', 'd v1', T - 60_000],
      ]),
    );
    expect(summary).toEqual({ accepted: 2, holding: 1, pending: 1, refusedInTable: 1 });
  });

  it('polls until the writes hold, and stops early when a refused write is in the table', async () => {
    const records = [write('a', 1, 202, T)];
    let reads = 0;
    const late = writesHold(records, async () => (++reads < 3 ? table([]) : table([['a', 'a v1', T + 1]])), 5_000);
    await jest.advanceTimersByTimeAsync(POLL_EVERY_MS - 1);
    expect(reads).toBe(1);
    await jest.advanceTimersByTimeAsync(POLL_EVERY_MS + 1);
    expect(await late).toMatchObject({ held: true, summary: { accepted: 1, holding: 1, pending: 0 } });
    expect(reads).toBe(3);

    let refused: Awaited<ReturnType<typeof writesHold>> | undefined;
    void writesHold([write('r', 1, 502, T)], async () => table([['r', 'r v1', T + 1]]), 5_000).then((result) => (refused = result));
    // Settled with no time passing: no poll waited.
    await jest.advanceTimersByTimeAsync(0);
    expect(refused).toMatchObject({ held: false, summary: { refusedInTable: 1 } });
  });
});

describe('queues', () => {
  it('checks only the bounds given', () => {
    expect(withinBounds({ queue: 3, dlq: 1 }, {})).toBe(true);
    expect(withinBounds({ queue: 3, dlq: 1 }, { queueMax: 3, queueMin: 3, dlqMax: 1 })).toBe(true);
    expect(withinBounds({ queue: 3, dlq: 1 }, { queueMax: 2 })).toBe(false);
    expect(withinBounds({ queue: 3, dlq: 1 }, { queueMin: 4 })).toBe(false);
    expect(withinBounds({ queue: 0, dlq: 1 }, { dlqMax: 0 })).toBe(false);
  });
});

describe('pollUntil', () => {
  it('reads once with no time to wait, retries failed readings, and keeps the last good one', async () => {
    let calls = 0;
    expect(
      await pollUntil(
        async () => ++calls,
        () => false,
        { withinMs: 0 },
      ),
    ).toMatchObject({ held: false, value: 1, readings: 1 });

    let n = 0;
    const flaky = pollUntil(
      async () => {
        n += 1;
        if (n % 2 === 0) throw new Error('fault');
        return n;
      },
      (value) => value >= 5,
      { withinMs: 5_000, everyMs: 10 },
    );
    await jest.advanceTimersByTimeAsync(40);
    expect(await flaky).toMatchObject({ held: true, value: 5, readings: 3 });

    let attempts = 0;
    const never = pollUntil(
      async () => {
        attempts += 1;
        throw new Error('down');
      },
      () => true,
      { withinMs: 50, everyMs: 10 },
    );
    await jest.advanceTimersByTimeAsync(50);
    const failed = await never;
    expect(failed.value).toBeUndefined();
    expect((failed.error as Error).message).toBe('down');
    // A reading at 0, 10, ... 50 ms: every one retried, none after the window.
    expect(attempts).toBe(6);
  });
});

describe('the state file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'probe-records-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads records line by line, skipping blank lines, and names a bad line', () => {
    const file = path.join(dir, 'ok.jsonl');
    writeFileSync(file, `${JSON.stringify(write('a', 1, 200, T))}\n\n${JSON.stringify(write('a', 2, 0, T + 1))}\n`);
    expect(readRecords(file).map((record) => record.name)).toEqual(['a v1', 'a v2']);

    const bad = path.join(dir, 'bad.jsonl');
    writeFileSync(bad, `${JSON.stringify(write('a', 1, 200, T))}\n{"id": "a"}\n`);
    expect(() => readRecords(bad)).toThrow(ProbeError);
    expect(() => readRecords(bad)).toThrow(`Line 2 of ${bad} is not a write record`);
    writeFileSync(bad, 'nope\n');
    expect(() => readRecords(bad)).toThrow(`Line 1 of ${bad} is not JSON: nope`);
    expect(() => readRecords(path.join(dir, 'none.jsonl'))).toThrow('does not exist: run the write probe with --state');
  });

  it('is followed as it grows: each record once, a line still being written (even split inside a character) at the next read', () => {
    const file = path.join(dir, 'tail.jsonl');
    const tail = recordTail(file);
    expect(tail()).toEqual([]);
    const first = { ...write('a', 1, 200, T), activity: 'method:write-é' };
    const second = JSON.stringify(write('b', 1, 202, T + 1));
    const bytes = Buffer.from(`${JSON.stringify(first)}\n${second}`);
    // Cut inside the two bytes of the é: the rest comes with the next append.
    const cut = bytes.indexOf(Buffer.from('é')) + 1;
    writeFileSync(file, bytes.subarray(0, cut));
    expect(tail()).toEqual([]);
    appendFileSync(file, bytes.subarray(cut));
    expect(tail()).toEqual([first]);
    appendFileSync(file, '\nnot a record\n');
    expect(tail().map((record) => record.id)).toEqual(['b']);
    expect(tail()).toEqual([]);
  });
});

describe('the write probe', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'probe-write-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => jest.restoreAllMocks());

  /** The API answers each write with the next status; `slowMs` is how long the answer takes (on jest's clock). */
  function api(statuses: number[], slowMs = 0) {
    jest.useFakeTimers({ now: T });
    jest.spyOn(global, 'fetch').mockImplementation(async () => {
      jest.setSystemTime(Date.now() + slowMs);
      return new Response('{}', { status: statuses.shift() ?? 200 });
    });
  }
  afterEach(() => jest.useRealTimers());
  const options = (name: string, extra: Partial<WriteOptions> = {}): WriteOptions => ({
    apiUrl: 'http://api.test/products',
    state: path.join(dir, `${name}.jsonl`),
    products: 2,
    versions: 1,
    prefix: name,
    expect: [200, 202],
    expectRetryAfter: false,
    ...extra,
  });

  it('with --expect-queued holds only when a write was queued (202)', async () => {
    api([200, 200]);
    expect((await writeProducts(options('none-queued', { expectQueued: true }))).held).toBe(false);
    api([200, 202]);
    expect((await writeProducts(options('one-queued', { expectQueued: true }))).held).toBe(true);
    api([200, 200]);
    expect((await writeProducts(options('not-asked'))).held).toBe(true);
  });

  it('with --within counts the answers that took longer, and does not hold', async () => {
    api([200, 202], 3_000);
    expect(await writeProducts(options('slow', { withinMs: 2_000 }))).toEqual({
      summary: { sent: 2, statuses: { '200': 1, '202': 1 }, unexpected: 0, slow: 2 },
      held: false,
    });
    api([200, 202], 1_000);
    expect((await writeProducts(options('in-time', { withinMs: 2_000 }))).held).toBe(true);
  });

  it('records the activity that sent each write', async () => {
    api([200, 202]);
    await writeProducts(options('from-activity', { activity: 'method:write-during-the-outage' }));
    expect(readRecords(path.join(dir, 'from-activity.jsonl')).map((record) => record.activity)).toEqual([
      'method:write-during-the-outage',
      'method:write-during-the-outage',
    ]);
  });
});

describe('the command line', () => {
  const run = (...argv: string[]) => runProbe(argv, () => undefined);

  it.each<[string[], string]>([
    [[], 'Name a command'],
    [['write', '--products', '1'], "Required option '--state <file>' not specified"],
    [['write', '--state', 'f', '--products', '0'], 'Expected a whole number from 1 to 10000'],
    [['write', '--state', 'f', '--products', '1', '--expect', '200,99'], 'Expected HTTP statuses separated by commas'],
    [['write', '--state', 'f', '--products', '1', '--prefix', 'a b'], 'Expected 1 to 100 letters, digits or . _ : -'],
    [['queues', '--endpoint', 'localhost:4566'], 'Expected an http:// or https:// URL'],
    [['queues', '--queue-max', '-1'], 'Expected a whole number of at least 0'],
    [['writes-hold', '--state', 'f', '--within', 'soon'], 'Expected a number from 0 to 3600'],
    [['fallback', '--on', '--off'], 'fallback needs exactly one of --off or --on, not both'],
    [['retry-mapping'], 'retry-mapping needs exactly one of --disable or --enable'],
    [['queue'], "Unknown command 'queue' (Did you mean queues?)"],
  ])('refuses %j (exit 2)', async (argv, message) => {
    const refused = run(...argv);
    await expect(refused).rejects.toThrow(UsageError);
    await expect(refused).rejects.toThrow(message);
  });

  it('prints the help of each command and exits 0', async () => {
    for (const name of ['write', 'writes-hold', 'queues', 'fallback', 'retry-mapping']) {
      const out: string[] = [];
      expect(await runProbe([name, '--help'], (line) => out.push(line))).toBe(0);
      expect(out.join('\n')).toContain(`Usage: node --import tsx scripts/probe.ts ${name} [options]`);
      expect(out.join('\n')).toContain('--endpoint <url>');
    }
  });
});
