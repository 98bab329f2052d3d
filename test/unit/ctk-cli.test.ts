/**
 * The CTK side of `npm run experiment`: files and --all on the command line (the tutorial
 * without either), --var typing, --seed, the offline extensions' request hook, which experiments
 * are skipped on LocalStack, and the progress lines with their live state.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { experimentCommand, filesRequest } from '../../chaos/cli/experiment-command';
import { parse, UsageError } from '../../shared/cli/command';
import { outcomeOf } from '../../chaos/report/model';
import { libraryFiles, loadExperiment, parseVar } from '../../chaos/runner/cli';
import { liveText, progressLines } from '../../chaos/runner/lines';
import { declaredExtension, offlineFeatures, prepareRequest, ruleSeed, skipReason } from '../../chaos/runner/offline-extensions';

async function request(argv: string[]) {
  const cmd = await parse(
    experimentCommand(() => undefined),
    argv,
  );
  return filesRequest(cmd!);
}

async function refusal(argv: string[]): Promise<string> {
  const error = await request(argv).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UsageError);
  return (error as Error).message;
}

describe('the command line with experiment files', () => {
  it('no file and no --all: the tutorial, with --seed and --var as for any file', async () => {
    expect(await request(['--seed', '3', '--var', 'products=4'])).toEqual({
      files: ['experiments/01-tutorial.json'],
      all: false,
      seed: 3,
      vars: { products: 4 },
    });
  });

  it('takes files in order, with --seed, --var and --report-dir', async () => {
    expect(await request(['a.json', 'b.json', '--seed', '42', '--var', 'n=3', '--var', 'name=x', '--report-dir', '/tmp/r'])).toEqual({
      files: ['a.json', 'b.json'],
      all: false,
      seed: 42,
      vars: { n: 3, name: 'x' },
      reportDir: '/tmp/r',
    });
  });

  it('--all runs every experiments/*.json in name order', async () => {
    const listed = libraryFiles();
    expect(listed.length).toBeGreaterThan(0);
    expect([...listed].sort()).toEqual(listed);
    expect(await request(['--all'])).toMatchObject({ files: listed, all: true });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ctk-lib-'));
    for (const name of ['02-b.json', '01-a.json', 'notes.md', '10-c.json']) writeFileSync(path.join(dir, name), '{}');
    expect(libraryFiles(dir)).toEqual(['01-a.json', '02-b.json', '10-c.json'].map((name) => path.join(dir, name)));
  });

  it('types --var values: JSON numbers and booleans become ones, the rest stays text', () => {
    expect(parseVar('a=1')).toEqual({ a: 1 });
    expect(parseVar('a=-2.5')).toEqual({ a: -2.5 });
    expect(parseVar('a=true')).toEqual({ a: true });
    expect(parseVar('a=false')).toEqual({ a: false });
    expect(parseVar('a=null')).toEqual({ a: 'null' });
    expect(parseVar('a="quoted"')).toEqual({ a: '"quoted"' });
    expect(parseVar('a=x=y')).toEqual({ a: 'x=y' });
    expect(parseVar('a=')).toEqual({ a: '' });
    expect(parseVar('b=2', { a: 1 })).toEqual({ a: 1, b: 2 });
    expect(() => parseVar('novalue')).toThrow('Expected key=value');
    expect(() => parseVar('endpoint=http://x')).toThrow('use --endpoint');
  });

  it('files and --all together are refused', async () => {
    expect(await refusal(['a.json', '--all'])).toBe('give experiment files or --all, not both (see --help)');
  });

  it('--seed must be a 32-bit whole number', async () => {
    await expect(request(['a.json', '--seed', '-1'])).rejects.toThrow("Option '--seed <n>' argument '-1' is invalid.");
    await expect(request(['a.json', '--seed', String(2 ** 32)])).rejects.toThrow('is invalid');
  });

  it('--help names the files, --all, --var, --seed and the exit codes of both modes', () => {
    let text = '';
    experimentCommand((t) => (text += t)).outputHelp();
    for (const part of ['[files...]', '--all', '--var <key=value>', '--seed <n>', 'experiments/*.json', '130 interrupted', 'reports/index.html'])
      expect(text).toContain(part);
  });
});

describe('loading an experiment file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ctk-load-'));
  const file = (name: string, content: string) => {
    writeFileSync(path.join(dir, name), content);
    return path.join(dir, name);
  };
  const valid = { title: 't', description: 'd', method: [] };

  it('reads the title and the extension block', () => {
    const loaded = loadExperiment(file('ok.json', JSON.stringify({ ...valid, extensions: [{ name: 'serverless-chaos', expect: 'deviated', why: 'w' }] })));
    expect(loaded).toMatchObject({ title: 't', declared: { requires: [], expect: 'deviated', why: 'w' } });
  });

  it.each([
    ['missing.json', undefined, 'cannot read the experiment'],
    ['bad.json', '{', 'is not JSON'],
    ['invalid.json', JSON.stringify({ title: 't' }), 'is not a valid Chaos Toolkit experiment'],
    ['ext.json', JSON.stringify({ ...valid, extensions: [{ name: 'serverless-chaos', expect: 'maybe' }] }), 'expect must be "held" or "deviated"'],
    ['env.json', JSON.stringify({ ...valid, configuration: { x: { type: 'env', key: 'CTK_TEST_SURELY_UNSET' } } }), 'CTK_TEST_SURELY_UNSET is not set'],
  ])('%s is a usage error (exit 2)', (name, content, message) => {
    const where = content === undefined ? path.join(dir, name) : file(name, content);
    expect(() => loadExperiment(where, {})).toThrow(UsageError);
    expect(() => loadExperiment(where, {})).toThrow(message);
  });

  it('the runner values count as set: endpoint and state_file need no environment', () => {
    const configuration = { endpoint: { type: 'env', key: 'CTK_NOPE_1' }, state_file: { type: 'env', key: 'CTK_NOPE_2' } };
    expect(() => loadExperiment(file('runner.json', JSON.stringify({ ...valid, configuration })), {})).not.toThrow();
  });
});

describe('the request hook of the offline extensions', () => {
  const faults = 'http://localhost:4566/_localstack/chaos/faults';
  const flaky = { service: 'dynamodb', probability: 0.5, error: { statusCode: 500, code: 'X' } };

  it('offline: a rule with probability < 1 and no seed gets one from the run seed; others go as they are', () => {
    const body = [flaky, { service: 'sqs' }, { ...flaky, seed: 7 }, { ...flaky, probability: 1 }, { ...flaky, durationMs: 1000 }];
    const prepared = prepareRequest('offline', 42, { method: 'PATCH', url: faults, body });
    expect(prepared.followUps).toEqual([]);
    expect(prepared.body).toEqual([
      { ...flaky, seed: ruleSeed(42, flaky) },
      { service: 'sqs' },
      { ...flaky, seed: 7 },
      { ...flaky, probability: 1 },
      { ...flaky, durationMs: 1000, seed: ruleSeed(42, { ...flaky, durationMs: 1000 }) },
    ]);
  });

  it('offline: the seed depends on the run seed and the rule, not on the order of its keys; a DELETE of the rule gets the same', () => {
    expect(ruleSeed(42, flaky)).toBe(ruleSeed(42, { error: { code: 'X', statusCode: 500 }, probability: 0.5, service: 'dynamodb' }));
    expect(ruleSeed(42, flaky)).not.toBe(ruleSeed(43, flaky));
    expect(ruleSeed(42, flaky)).not.toBe(ruleSeed(42, { ...flaky, operation: 'PutItem' }));
    expect(Number.isInteger(ruleSeed(1, flaky)) && ruleSeed(1, flaky) >= 0 && ruleSeed(1, flaky) < 2 ** 32).toBe(true);
    const added = prepareRequest('offline', 42, { method: 'POST', url: faults, body: [flaky] }).body;
    expect(prepareRequest('offline', 42, { method: 'DELETE', url: faults, body: [flaky] }).body).toEqual(added);
  });

  it('offline: durationMs is sent as it is', () => {
    const rule = { service: 'dynamodb', durationMs: 1500 };
    expect(prepareRequest('offline', 1, { method: 'POST', url: faults, body: [rule] })).toEqual({ body: [rule], followUps: [] });
  });

  it('LocalStack: durationMs and seed are stripped, and a DELETE of the stripped rule is scheduled after the duration', () => {
    const rule = { service: 'dynamodb', probability: 0.5, durationMs: 1500, seed: 3 };
    const prepared = prepareRequest('localstack', 1, { method: 'PATCH', url: `${faults}/`, body: [rule, { service: 'sqs', seed: 9 }] });
    expect(prepared.body).toEqual([{ service: 'dynamodb', probability: 0.5 }, { service: 'sqs' }]);
    expect(prepared.followUps).toEqual([{ afterMs: 1500, method: 'DELETE', url: `${faults}/`, body: [{ service: 'dynamodb', probability: 0.5 }] }]);
  });

  it('LocalStack: a DELETE is stripped too (to match the stored rule) and schedules nothing', () => {
    const prepared = prepareRequest('localstack', 1, { method: 'DELETE', url: faults, body: [{ service: 'dynamodb', durationMs: 1500 }] });
    expect(prepared).toEqual({ body: [{ service: 'dynamodb' }], followUps: [] });
  });

  it('anything else goes as it is', () => {
    const effects = { latency: 100, jitterMs: 5 };
    for (const kind of ['offline', 'localstack'] as const) {
      expect(prepareRequest(kind, 1, { method: 'POST', url: 'http://localhost:4566/_localstack/chaos/effects', body: effects }).body).toBe(effects);
      expect(prepareRequest(kind, 1, { method: 'GET', url: faults, body: undefined }).body).toBeUndefined();
      expect(prepareRequest(kind, 1, { method: 'POST', url: 'http://x/_aws/execute-api/12345/dev/productApi', body: [flaky] }).body).toEqual([flaky]);
    }
  });
});

describe('skipping on a target without the offline extensions', () => {
  const http = (url: string, args?: unknown) => ({ type: 'action', name: 'a', provider: { type: 'http', url, method: 'POST', arguments: args } });
  const experiment = (method: unknown[], extensions?: unknown) => ({ title: 't', description: 'd', method, ...(extensions ? { extensions } : {}) });

  it('an experiment that declares requires ["offline"] is skipped on LocalStack, with its why, and runs offline', () => {
    const declared = experiment([], [{ name: 'serverless-chaos', requires: ['offline'], why: 'it needs jitter' }]);
    expect(skipReason(declared, 'localstack')).toBe('it requires the offline runtime (npm start): it needs jitter');
    expect(skipReason(declared, 'offline')).toBeUndefined();
  });

  it('calling /_offline/ or sending jitterMs or services effects is offline-only, named in the reason', () => {
    const lambda = experiment([http('${endpoint}/_offline/chaos/lambda-faults', [])]);
    expect(offlineFeatures(lambda)).toEqual(["the offline runtime's own endpoints (/_offline/...)"]);
    expect(skipReason(lambda, 'localstack')).toMatch(/^it uses the offline runtime's own endpoints \(\/_offline\/\.\.\.\), which only the offline runtime/);
    const jitter = experiment([http('${endpoint}/_localstack/chaos/effects', { latency: 100, jitterMs: 50 })]);
    expect(skipReason(jitter, 'localstack')).toContain('latency jitter (jitterMs)');
    const services = {
      type: 'probe',
      name: 'p',
      provider: { type: 'http', url: 'http://x/_localstack/chaos/effects/', arguments: { latency: 0, services: { dynamodb: { latency: 9 } } } },
    };
    expect(skipReason({ ...experiment([]), rollbacks: [services] }, 'localstack')).toContain('latency per service (services)');
    const viaProcess = experiment([
      { type: 'action', name: 'p', provider: { type: 'process', path: 'curl', arguments: ['http://x/_offline/chaos/lambda-faults'] } },
    ]);
    expect(skipReason(viaProcess, 'localstack')).toContain('/_offline/');
    for (const one of [lambda, jitter, viaProcess]) expect(skipReason(one, 'offline')).toBeUndefined();
  });

  it('durationMs and seeded rules are not offline-only (the runner stands in for them), nor plain latency', () => {
    const plain = experiment([
      http('http://x/_localstack/chaos/faults', [{ service: 'dynamodb', durationMs: 5, seed: 1 }]),
      http('http://x/_localstack/chaos/effects', { latency: 5 }),
    ]);
    expect(skipReason(plain, 'localstack')).toBeUndefined();
  });

  it('the extension block: defaults, and only the serverless-chaos entry counts', () => {
    expect(declaredExtension({})).toEqual({ requires: [], expect: 'held' });
    expect(declaredExtension({ extensions: [{ name: 'other', expect: 'deviated' }] })).toEqual({ requires: [], expect: 'held' });
    expect(declaredExtension({ extensions: [{ name: 'serverless-chaos', requires: ['offline'] }] })).toEqual({ requires: ['offline'], expect: 'held' });
    expect(() => declaredExtension({ extensions: [{ name: 'serverless-chaos', requires: 'offline' }] })).toThrow('requires must be a list');
  });
});

describe('outcomes and progress lines', () => {
  it('maps a journal to its outcome', () => {
    expect(outcomeOf({ status: 'completed', deviated: false })).toBe('held');
    expect(outcomeOf({ status: 'completed', deviated: true })).toBe('deviated');
    for (const status of ['failed', 'aborted', 'interrupted'] as const) expect(outcomeOf({ status, deviated: false })).toBe(status);
  });

  const activity = { type: 'action' as const, name: 'inject', provider: { type: 'http' as const, url: 'http://x' } };
  const run = { activity, status: 'succeeded' as const, start: '', end: '', duration: 0.25, output: null };

  it('prints a line per activity and ✔/✘ per probe check; in a pipe no \\r, on a terminal each line drawn at its start completes in place', () => {
    for (const tty of [false, true]) {
      const lines: string[] = [];
      let raw = '';
      const on = progressLines(
        (line) => lines.push(line),
        tty,
        (text) => (raw += text),
      );
      on({ kind: 'start', phase: 'before', name: 'probe-1', activity });
      on({ kind: 'end', phase: 'before', name: 'probe-1', run: { ...run, tolerance_met: true } });
      on({ kind: 'start', phase: 'method', name: 'inject', activity });
      on({ kind: 'end', phase: 'method', name: 'inject', run });
      on({ kind: 'end', phase: 'after', name: 'probe-1', run: { ...run, tolerance_met: false } });
      on({ kind: 'end', phase: 'rollback', name: 'undo', run: { ...run, status: 'failed', exception: 'boom' } });
      expect(lines).toEqual([
        '  ✔ before the method: probe-1',
        '▶ inject … succeeded (0.3 s)',
        '  ✘ after the method: probe-1 (outside its tolerance)',
        '↩ rollback undo … failed: boom (0.3 s)',
      ]);
      expect(raw).toBe(tty ? '  … before the method: probe-1\r\x1b[K▶ inject …\r\x1b[K' : '');
    }
  });

  describe('while an activity runs', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());
    let state: string | undefined;
    const live = () => state;

    it('in a pipe: its live state as a line of its own every interval, only when it changed, and nothing once it ended', async () => {
      const lines: string[] = [];
      const on = progressLines(
        (line) => lines.push(line),
        false,
        () => undefined,
        { live, everyMs: 100 },
      );
      state = undefined;
      on({ kind: 'start', phase: 'method', name: 'write', activity });
      await jest.advanceTimersByTimeAsync(100);
      state = '3 writes answered';
      await jest.advanceTimersByTimeAsync(200);
      state = '5 writes answered';
      await jest.advanceTimersByTimeAsync(100);
      on({ kind: 'end', phase: 'method', name: 'write', run });
      state = '9 writes answered';
      await jest.advanceTimersByTimeAsync(300);
      expect(lines).toEqual(['  … write: 3 writes answered', '  … write: 5 writes answered', '▶ write … succeeded (0.3 s)']);
    });

    it('on a terminal: redrawn on the activity’s own line, which its result then replaces', async () => {
      let raw = '';
      const lines: string[] = [];
      const on = progressLines(
        (line) => lines.push(line),
        true,
        (text) => (raw += text),
        { live, everyMs: 100 },
      );
      state = '1 writes answered';
      on({ kind: 'start', phase: 'after', name: 'holds', activity });
      await jest.advanceTimersByTimeAsync(100);
      on({ kind: 'end', phase: 'after', name: 'holds', run: { ...run, tolerance_met: true } });
      expect(raw).toBe('  … after the method: holds\r\x1b[K  … after the method: holds 1 writes answered\r\x1b[K');
      expect(lines).toEqual(['  ✔ after the method: holds']);
    });
  });

  it("says the sampler's newest reading in words, ? for a reading that failed", () => {
    expect(liveText(undefined)).toBeUndefined();
    expect(liveText({ writes: 12, accepted: 5, holding: null, queue: 3, dlq: 0 })).toBe(
      '12 writes answered; ?/5 products hold their newest value; queue 3, DLQ 0',
    );
  });
});
