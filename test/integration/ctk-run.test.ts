/**
 * The runner's semantics against a tiny local HTTP server and `node -e` processes: the gate on
 * the hypothesis before, deviation after, aborted versus deviated, rollbacks always, interruption,
 * the safeguard stop, pauses, background activities, the providers' outputs and the exit codes.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exitCode, JOURNAL_EXTRAS, type Journal } from '../../chaos/runner/journal';
import { runExperiment } from '../../chaos/runner/run';

interface Seen {
  method: string;
  path: string;
  body: string;
  contentType: string | undefined;
}

/** What the server answers: `healthy` and `safe` are switched by the experiments themselves. */
let healthy = true;
let safe = true;
let hanging = false;
let seen: Seen[] = [];
let onRequest: (path: string) => void = () => undefined;
let server: Server;
let base: string;

const read = async (request: IncomingMessage) => {
  let body = '';
  for await (const chunk of request) body += String(chunk);
  return body;
};

beforeAll(async () => {
  server = createServer((request, response) => {
    void read(request).then((body) => {
      const url = new URL(request.url ?? '/', 'http://x');
      seen.push({ method: request.method ?? '', path: url.pathname + url.search, body, contentType: request.headers['content-type'] });
      onRequest(url.pathname);
      const answer = (status: number, text = '', type = 'text/plain') => response.writeHead(status, { 'Content-Type': type }).end(text);
      switch (url.pathname) {
        case '/health':
          return answer(healthy ? 200 : 500, healthy ? 'fine' : 'broken');
        case '/break':
          healthy = false;
          return answer(200);
        case '/repair':
          healthy = true;
          return answer(200);
        case '/safe':
          return answer(safe ? 200 : 500);
        case '/unsafe':
          safe = false;
          return answer(200);
        case '/json':
          return answer(200, JSON.stringify({ name: 'Ultimate Gadget', query: url.search }), 'application/json');
        case '/hang-from-now-on':
          hanging = true;
          return answer(200);
        case '/maybe':
          return hanging ? undefined : answer(200);
        case '/hang':
          return undefined;
        default:
          return answer(Number(url.pathname.slice(1)) || 200, body);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  healthy = true;
  safe = true;
  hanging = false;
  seen = [];
  onRequest = () => undefined;
});

const paths = () => seen.map((s) => `${s.method} ${s.path}`);
const http = (name: string, path: string, extra: object = {}) => ({ name, provider: { type: 'http', url: `\${base}${path}`, timeout: 5 }, ...extra });
const action = (name: string, path: string, extra: object = {}) => ({ type: 'action', ...http(name, path), ...extra });
const probe = (name: string, path: string, extra: object = {}) => ({ type: 'probe', ...http(name, path), ...extra });
const nodeProbe = (name: string, script: string, extra: object = {}) => ({
  type: 'probe',
  name,
  provider: { type: 'process', path: process.execPath, arguments: ['-e', script], timeout: 10 },
  ...extra,
});
const healthProbe = probe('service-is-healthy', '/health', { tolerance: 200 });
const rollback = action('repair', '/repair');

function experiment(parts: object): object {
  return {
    title: 'test',
    description: 'a test experiment',
    configuration: { base: { type: 'env', key: 'CTK_TEST_BASE' } },
    'steady-state-hypothesis': { title: 'healthy', probes: [healthProbe] },
    method: [],
    rollbacks: [rollback],
    ...parts,
  };
}

const run = (parts: object, options: Parameters<typeof runExperiment>[1] = {}) =>
  runExperiment(experiment(parts), { env: { CTK_TEST_BASE: base }, ...options });
const names = (runs: Journal['run']) => runs.map((r) => (r.activity as { name: string }).name);

describe('a run that holds', () => {
  it('checks the hypothesis, runs the method in order, checks again, rolls back; exit 0', async () => {
    const journal = await run({ method: [action('inject', '/inject'), nodeProbe('look', 'console.log("looked")')] });
    expect(paths()).toEqual(['GET /health', 'GET /inject', 'GET /health', 'GET /repair']);
    expect(journal).toMatchObject({
      status: 'completed',
      deviated: false,
      steady_states: { before: { steady_state_met: true }, after: { steady_state_met: true }, during: [] },
    });
    expect(names(journal.run)).toEqual(['inject', 'look']);
    expect(journal.run[1]).toMatchObject({ status: 'succeeded', output: { status: 0, stdout: 'looked\n', stderr: '' } });
    expect(journal.rollbacks).toHaveLength(1);
    expect(exitCode(journal)).toBe(0);
  });

  it("carries Chaos Toolkit's journal fields, the experiment as given, and its own key", async () => {
    const given = experiment({ method: [action('inject', '/inject')] });
    const journal = await runExperiment(given, { env: { CTK_TEST_BASE: base } });
    expect(journal.experiment).toBe(given);
    expect(Object.keys(journal)).toEqual(
      expect.arrayContaining(['platform', 'node', 'experiment', 'start', 'end', 'duration', 'status', 'deviated', 'steady_states', 'run', 'rollbacks']),
    );
    expect(Date.parse(journal.end) - Date.parse(journal.start)).toBeGreaterThanOrEqual(0);
    const probeRun = journal.steady_states.before?.probes[0];
    expect(probeRun).toMatchObject({ status: 'succeeded', tolerance_met: true, output: { status: 200, body: 'fine' } });
    expect(Object.keys(probeRun ?? {})).toEqual(['activity', 'status', 'start', 'end', 'duration', 'output', 'tolerance_met']);
    expect(probeRun?.activity).toMatchObject({ provider: { url: '${base}/health' } });
    expect(journal[JOURNAL_EXTRAS]).toMatchObject({ runner: expect.any(String), safeguards: [] });
    expect(journal).not.toHaveProperty('chaoslib-version');
  });
});

describe('the hypothesis before gates the method', () => {
  it('a probe outside its tolerance: status failed, no method activity runs, rollbacks still run; exit 1', async () => {
    healthy = false;
    const journal = await run({ method: [action('inject', '/inject')] });
    expect(paths()).toEqual(['GET /health', 'GET /repair']);
    expect(journal).toMatchObject({ status: 'failed', deviated: false, run: [], steady_states: { before: { steady_state_met: false }, after: null } });
    expect(journal.steady_states.before?.probes[0]).toMatchObject({ status: 'succeeded', tolerance_met: false });
    expect(journal[JOURNAL_EXTRAS].reason).toBe('before the method, the probe "service-is-healthy" was outside its tolerance: nothing was injected');
    expect(exitCode(journal)).toBe(1);
  });

  it('stops at the first probe that misses', async () => {
    healthy = false;
    const journal = await run({ 'steady-state-hypothesis': { title: 'h', probes: [healthProbe, probe('second', '/200', { tolerance: 200 })] } });
    expect(journal.steady_states.before?.probes).toHaveLength(1);
  });

  it('a probe that cannot run is a target error: status aborted; exit 2', async () => {
    const journal = await run({
      'steady-state-hypothesis': {
        title: 'h',
        probes: [{ ...probe('unreachable', '/x', { tolerance: 200 }), provider: { type: 'http', url: 'http://127.0.0.1:1/' } }],
      },
      method: [action('inject', '/inject')],
    });
    expect(journal.status).toBe('aborted');
    expect(journal.steady_states.before?.probes[0]).toMatchObject({
      status: 'failed',
      tolerance_met: false,
      exception: expect.stringContaining('failed to connect to http://127.0.0.1:1/'),
    });
    expect(paths()).toEqual(['GET /repair']);
    expect(exitCode(journal)).toBe(2);
  });
});

describe('deviation after the method', () => {
  it('a probe outside its tolerance after the method: deviated, status completed, rolled back; exit 1', async () => {
    const journal = await run({ method: [action('break', '/break')] });
    expect(journal).toMatchObject({ status: 'completed', deviated: true, steady_states: { after: { steady_state_met: false } } });
    expect(journal[JOURNAL_EXTRAS].reason).toContain('after the method, the probe "service-is-healthy" was outside its tolerance');
    expect(paths().at(-1)).toBe('GET /repair');
    expect(healthy).toBe(true);
    expect(exitCode(journal)).toBe(1);
  });

  it('a probe that cannot run after the method is aborted, not deviated; exit 2', async () => {
    const answers = probe('answers-in-time', '/maybe', { tolerance: 200, provider: { type: 'http', url: '${base}/maybe', timeout: 0.3 } });
    const journal = await run({ 'steady-state-hypothesis': { title: 'h', probes: [answers] }, method: [action('slow-down', '/hang-from-now-on')] });
    expect(journal).toMatchObject({ status: 'aborted', deviated: false });
    expect(journal.steady_states.after?.probes[0]).toMatchObject({ status: 'failed', tolerance_met: false, exception: 'activity took too long to complete' });
    expect(journal[JOURNAL_EXTRAS].reason).toBe('after the method, the probe "answers-in-time" could not run: activity took too long to complete');
    expect(paths().at(-1)).toBe('GET /repair');
    expect(exitCode(journal)).toBe(2);
  });
});

describe('a tool or target error in the method', () => {
  it('an action that cannot connect stops the method: aborted, no hypothesis after, rolled back; exit 2', async () => {
    const journal = await run({
      method: [{ ...action('inject', '/x'), provider: { type: 'http', url: 'http://127.0.0.1:1/faults' } }, action('never', '/never')],
    });
    expect(journal).toMatchObject({ status: 'aborted', deviated: false, steady_states: { after: null } });
    expect(names(journal.run)).toEqual(['inject']);
    expect(journal.run[0]).toMatchObject({ status: 'failed', output: null, exception: expect.stringContaining('failed to connect') });
    expect(journal[JOURNAL_EXTRAS].reason).toMatch(/^the action "inject" failed: failed to connect/);
    expect(paths()).toEqual(['GET /health', 'GET /repair']);
    expect(exitCode(journal)).toBe(2);
  });

  it('an unexpected status (expected_status) is a failure, with the output kept', async () => {
    const journal = await run({ method: [action('inject', '/500', { provider: { type: 'http', url: '${base}/500', expected_status: 200 } })] });
    expect(journal.status).toBe('aborted');
    expect(journal.run[0]).toMatchObject({ status: 'failed', exception: 'expected HTTP status 200, got 500', output: { status: 500 } });
  });

  it('a process past its timeout is a failure; a non-zero exit code is not', async () => {
    const slow = await run({
      method: [
        nodeProbe('slow', 'setTimeout(() => {}, 10000)', {
          provider: { type: 'process', path: process.execPath, arguments: ['-e', 'setTimeout(() => {}, 10000)'], timeout: 0.3 },
        }),
      ],
    });
    expect(slow.status).toBe('aborted');
    expect(slow.run[0]).toMatchObject({ status: 'failed', exception: 'process activity took too long to complete' });
    expect(slow.run[0]?.duration).toBeLessThan(5);
    const exits = await run({ method: [nodeProbe('exits-3', 'process.exit(3)')] });
    expect(exits.status).toBe('completed');
    expect(exits.run[0]).toMatchObject({ status: 'succeeded', output: { status: 3 } });
  });

  it('a process that cannot start is a failure', async () => {
    const journal = await run({ method: [{ type: 'action', name: 'missing', provider: { type: 'process', path: '/no/such/program' } }] });
    expect(journal.status).toBe('aborted');
    expect(journal.run[0]?.exception).toContain('could not run /no/such/program');
  });

  it('a failed rollback does not stop the ones after it', async () => {
    const journal = await run({ rollbacks: [{ ...action('unreachable', '/x'), provider: { type: 'http', url: 'http://127.0.0.1:1/' } }, rollback] });
    expect(journal.rollbacks.map((r) => r.status)).toEqual(['failed', 'succeeded']);
    expect(journal.status).toBe('completed');
  });
});

describe('interruption', () => {
  it('stops the activity under way, skips the rest and the hypothesis after, still rolls back; exit 130', async () => {
    const controller = new AbortController();
    onRequest = (path) => path === '/hang' && controller.abort();
    const journal = await run(
      { method: [action('hangs', '/hang', { provider: { type: 'http', url: '${base}/hang' } }), action('never', '/never')] },
      { signal: controller.signal, env: { CTK_TEST_BASE: base } },
    );
    expect(journal).toMatchObject({ status: 'interrupted', steady_states: { after: null } });
    expect(journal.run[0]).toMatchObject({ status: 'failed', exception: expect.stringContaining('interrupted') });
    expect(paths()).toEqual(['GET /health', 'GET /hang', 'GET /repair']);
    expect(exitCode(journal)).toBe(130);
  });

  it.each([
    ['a pause', action('then-wait', '/200', { pauses: { after: 30 } })],
    ['a running process', nodeProbe('sleeps', 'setTimeout(() => {}, 30000)')],
  ])('cuts %s short', async (_, activity) => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 300);
    const journal = await run({ method: [activity, action('never', '/never')] }, { signal: controller.signal, env: { CTK_TEST_BASE: base } });
    expect(journal.status).toBe('interrupted');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(paths()).not.toContain('GET /never');
    expect(journal.rollbacks).toHaveLength(1);
  });

  it('before it starts: nothing runs but the rollbacks', async () => {
    const journal = await run({ method: [action('inject', '/inject')] }, { signal: AbortSignal.abort(), env: { CTK_TEST_BASE: base } });
    expect(journal.status).toBe('interrupted');
    expect(paths()).toEqual(['GET /repair']);
  });
});

describe('the safeguard', () => {
  const safeguard = (frequency?: number) => ({
    name: 'safeguard',
    provider: {
      type: 'python',
      module: 'chaosaddons.controls.safeguards',
      arguments: { probes: [probe('nothing-lost', '/safe', { tolerance: 200, ...(frequency ? { frequency } : {}) })] },
    },
  });

  it('checked throughout the method: its first miss stops the method, rolls back, aborted naming it; exit 2', async () => {
    const started = Date.now();
    const journal = await run({
      controls: [safeguard(0.1)],
      method: [action('break-safety', '/unsafe'), nodeProbe('long-step', 'setTimeout(() => {}, 20000)'), action('never', '/never')],
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(journal).toMatchObject({ status: 'aborted', deviated: false, steady_states: { after: null } });
    expect(journal[JOURNAL_EXTRAS]).toMatchObject({
      safeguard: 'nothing-lost',
      reason: 'the safeguard "nothing-lost" was outside its tolerance, so the method was stopped',
    });
    expect(names(journal.run)).toEqual(['break-safety', 'long-step']);
    expect(journal.run[1]).toMatchObject({ status: 'failed', exception: expect.stringContaining('the safeguard "nothing-lost" stopped the method') });
    expect(journal[JOURNAL_EXTRAS].safeguards.map((r) => r.tolerance_met).at(-1)).toBe(false);
    expect(paths()).not.toContain('GET /never');
    expect(paths().at(-1)).toBe('GET /repair');
    expect(exitCode(journal)).toBe(2);
  });

  it('gates the method: a safeguard that fails at the start lets no activity run', async () => {
    safe = false;
    const journal = await run({ controls: [safeguard()], method: [action('inject', '/inject')] });
    expect(journal.status).toBe('aborted');
    expect(journal.run).toEqual([]);
    expect(paths()).toEqual(['GET /health', 'GET /safe', 'GET /repair']);
  });

  it('holding, it lets the run complete', async () => {
    const journal = await run({ controls: [safeguard(0.05)], method: [nodeProbe('a-while', 'setTimeout(() => {}, 300)')] });
    expect(journal.status).toBe('completed');
    expect(journal[JOURNAL_EXTRAS].safeguards.length).toBeGreaterThan(1);
    expect(journal[JOURNAL_EXTRAS].safeguards.every((r) => r.tolerance_met)).toBe(true);
  });
});

describe('pauses, background activities and configuration', () => {
  it('pauses before and after an activity, for seconds from the configuration', async () => {
    // vars override the declared 30 s, as `chaos run --var` does.
    const journal = await run(
      {
        configuration: { base: { type: 'env', key: 'CTK_TEST_BASE' }, wait: 30 },
        method: [action('a', '/200', { pauses: { before: '${wait}', after: 0.2 } }), action('b', '/200')],
      },
      { env: { CTK_TEST_BASE: base }, vars: { wait: 0.2 } },
    );
    const [a, b] = journal.run;
    expect(Date.parse(a?.start ?? '') - Date.parse(journal.steady_states.before?.probes[0]?.end ?? '')).toBeGreaterThanOrEqual(190);
    expect(Date.parse(b?.start ?? '') - Date.parse(a?.end ?? '')).toBeGreaterThanOrEqual(190);
  });

  it('a background activity does not block the next one, and the method waits for it', async () => {
    const journal = await run({ method: [nodeProbe('slow', 'setTimeout(() => console.log("done"), 300)', { background: true }), action('quick', '/200')] });
    expect(names(journal.run)).toEqual(['quick', 'slow']);
    expect(journal.run[1]).toMatchObject({ output: { stdout: 'done\n' } });
    expect(journal.status).toBe('completed');
  });

  it('substitutes the configuration into urls, headers, arguments and process arguments', async () => {
    const journal = await run(
      {
        configuration: { base: { type: 'env', key: 'CTK_TEST_BASE' }, id: 'p-1', token: { type: 'env', key: 'CTK_TEST_TOKEN', default: 'none' } },
        method: [
          {
            type: 'action',
            name: 'post',
            provider: {
              type: 'http',
              url: '${base}/201',
              method: 'post',
              headers: { 'Content-Type': 'application/json', 'X-Token': '${token}' },
              arguments: { id: '${id}', n: 2 },
            },
          },
          { type: 'probe', name: 'get', provider: { type: 'http', url: '${base}/json', arguments: { id: '${id}' } } },
          { type: 'action', name: 'form', provider: { type: 'http', url: '${base}/200', method: 'PUT', arguments: { id: '${id}' } } },
          { type: 'probe', name: 'shell', provider: { type: 'process', path: 'echo', arguments: 'id=${id}' } },
        ],
      },
      { env: { CTK_TEST_BASE: base, CTK_TEST_TOKEN: 'secret' } },
    );
    expect(journal.status).toBe('completed');
    expect(seen.find((s) => s.path === '/201')).toMatchObject({ method: 'POST', body: '{"id":"p-1","n":2}', contentType: 'application/json' });
    expect(seen.find((s) => s.path === '/200')).toMatchObject({ method: 'PUT', body: 'id=p-1', contentType: 'application/x-www-form-urlencoded' });
    expect(journal.run[0]?.output).toMatchObject({ status: 201, headers: { 'content-type': 'text/plain' } });
    expect(journal.run[1]?.output).toMatchObject({ status: 200, body: { name: 'Ultimate Gadget', query: '?id=p-1' } });
    expect(journal.run[3]?.output).toEqual({ status: 0, stdout: 'id=p-1\n', stderr: '' });
  });
});

describe('exitCode', () => {
  it.each<[Pick<Journal, 'status' | 'deviated'>, number]>([
    [{ status: 'completed', deviated: false }, 0],
    [{ status: 'completed', deviated: true }, 1],
    [{ status: 'failed', deviated: false }, 1],
    [{ status: 'aborted', deviated: false }, 2],
    [{ status: 'interrupted', deviated: false }, 130],
  ])('%j → %d', (journal, code) => {
    expect(exitCode(journal)).toBe(code);
  });
});
