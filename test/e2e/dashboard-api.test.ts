/**
 * The dashboard's server over real HTTP, mounted in the offline runtime at /dashboard/: the page
 * and its bundle, the snapshot showing a DynamoDB outage (the service faulted, 202s counted, the
 * queue filling) and its end, controls refused to foreign pages with nothing changed, the event
 * stream giving two pages the same snapshots, no reading of the target while no page is open,
 * and the reports folder served without a way out of it.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import readline from 'node:readline';
import http from 'node:http';
import path from 'node:path';
import { REPO_ROOT } from '../../shared/paths';
import { stopChild } from '../support/processes';
import { runTs } from '../support/run-ts';
import { eventually, type OfflineRuntime, pause, runtimeForSuite } from '../support/offline';
import type { ControlAnswer, ExperimentEntry, Snapshot } from '../../dashboard/wire';

let runtime: OfflineRuntime;
runtimeForSuite((started) => (runtime = started));

const ATTACKER = 'http://attacker.example';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with exactly these headers and this path, as a browser (or an attacker) sends it. */
function raw(method: string, path: string, body = '', headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port: runtime.port, method, path, headers: { 'Content-Length': String(Buffer.byteLength(body)), ...headers } },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function control(action: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; answer: ControlAnswer }> {
  const answer = await raw('POST', `/dashboard/api/${action}`, JSON.stringify(body), { 'Content-Type': 'application/json', ...headers });
  return { status: answer.status, answer: JSON.parse(answer.body) as ControlAnswer };
}

/** A page's event stream: the snapshots it received, in order, until closed. */
function subscribe(): { states: Array<{ text: string; snapshot: Snapshot }>; logs: number; close: () => void } {
  const stream = { states: [] as Array<{ text: string; snapshot: Snapshot }>, logs: 0, close: () => undefined };
  const request = http.get({ host: '127.0.0.1', port: runtime.port, path: '/dashboard/api/events', headers: { Accept: 'text/event-stream' } }, (response) => {
    let buffer = '';
    response.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.+)$/m.exec(message)?.[1];
        const data = /^data: (.*)$/m.exec(message)?.[1];
        if (event === 'state' && data) stream.states.push({ text: data, snapshot: JSON.parse(data) as Snapshot });
        if (event === 'log') stream.logs += 1;
      }
    });
  });
  request.on('error', () => undefined);
  stream.close = () => {
    request.destroy();
    return undefined;
  };
  return stream;
}

/** The runtime's log lines for the dashboard's own readings (debug lines, which the test runtime prints). */
const dashboardReadings = (from = 0) => runtime.logs.slice(from).filter((line) => line.endsWith('(dashboard)'));

describe('the dashboard server, mounted in the offline runtime', () => {
  afterAll(async () => {
    await control('clear-all', {});
  });

  it('serves the page, its bundle and the experiment library', async () => {
    const page = await raw('GET', '/dashboard/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('/dashboard/app.js');
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const script = await raw('GET', '/dashboard/app.js');
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.body.length).toBeGreaterThan(100);
    expect((await raw('GET', '/dashboard')).headers.location).toBe('/dashboard/');
    const library = JSON.parse((await raw('GET', '/dashboard/api/experiments')).body) as ExperimentEntry[];
    expect(library.map((entry) => entry.file)).toContain('experiments/01-tutorial.json');
    expect(library.find((entry) => entry.file === 'experiments/01-tutorial.json')?.title).toMatch(/tutorial/i);
  }, 60_000);

  it('reads nothing from the target while no page is open, and about once a second while one is', async () => {
    // Nothing has opened the event stream yet: over 3 s, no reading at all.
    const before = runtime.logs.length;
    await pause(3_000);
    expect(dashboardReadings(before)).toEqual([]);

    const page = subscribe();
    await eventually('three snapshots', async () => page.states.length >= 3, 10_000);
    page.close();
    // While the page was open, its readings were there to count (the method below sees them).
    expect(dashboardReadings(before).length).toBeGreaterThan(3);

    // A reading under way when the page closed may still finish; after that, none for 3 s.
    await pause(1_500);
    const after = runtime.logs.length;
    await pause(3_000);
    expect(dashboardReadings(after)).toEqual([]);
  }, 30_000);

  it('shows a DynamoDB outage: the service faulted, writes answered 202 and the queue filling, then drained once cleared', async () => {
    const page = subscribe();
    try {
      const added = await control('faults', { op: 'add', rule: { service: 'dynamodb', error: { statusCode: 503, code: 'ServiceUnavailable' } } });
      expect(added.status).toBe(200);
      expect(added.answer).toMatchObject({ ok: true });
      expect(added.answer.command).toMatch(/^curl -X PATCH http:\/\/localhost:\d+\/_localstack\/chaos\/faults .*"service":"dynamodb"/);

      const faulted = await eventually(
        'the outage in a snapshot',
        async () => page.states.map((s) => s.snapshot).find((s) => s.services.dynamodb.faulted),
        10_000,
      );
      expect(faulted.services.dynamodb.rules).toEqual([{ service: 'dynamodb', error: { statusCode: 503, code: 'ServiceUnavailable' } }]);
      expect(faulted.services.sqs.faulted).toBe(false);
      expect(faulted.timeline.at(-1)?.faulted).toBe(true);

      const startDepth = faulted.queue ?? 0;
      for (let i = 1; i <= 3; i += 1) {
        const sent = await control('send', { id: `dash-e2e-${i}`, name: `dash e2e ${i}`, price: i });
        expect(sent.answer).toMatchObject({ ok: true, status: 202 });
        expect(sent.answer.command).toContain('/_aws/execute-api/');
      }
      const filled = await eventually(
        'the queue depth rising in the snapshots',
        async () => page.states.map((s) => s.snapshot).find((s) => (s.queue ?? 0) >= startDepth + 3 && (s.traffic.answers['202'] ?? 0) >= 3),
        15_000,
      );
      expect(filled.traffic.answers['202']).toBeGreaterThanOrEqual(3);
      // The dashboard's own readings are not faulted: the table is still counted during the outage.
      expect(filled.items).not.toBeNull();
      expect(filled.functions.product.invocations).toBeGreaterThanOrEqual(3);
      expect(filled.arrows['product-sns'].calls).toBeGreaterThan(0);
      expect(filled.timeline.some((point) => (point.answers['202'] ?? 0) > 0)).toBe(true);

      const cleared = await control('clear-all', {});
      expect(cleared.answer).toMatchObject({ ok: true });
      expect(cleared.answer.command.split('\n')).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^curl -X POST \S+\/_localstack\/chaos\/faults .*'\[\]'$/),
          expect.stringContaining('scripts/probe.ts fallback --on'),
        ]),
      );
      const drained = await eventually(
        'the queue drained and the writes in the table, through the queue',
        async () => {
          const last = page.states.at(-1)?.snapshot;
          return last && !last.services.dynamodb.faulted && last.queue === 0 && last.products.filter((p) => p.id.startsWith('dash-e2e-')).length === 3 && last;
        },
        30_000,
      );
      expect(drained.products.filter((p) => p.id.startsWith('dash-e2e-')).map((p) => p.via)).toEqual(['queue', 'queue', 'queue']);
      expect(drained.items).toBeGreaterThanOrEqual(3);
    } finally {
      page.close();
    }
  }, 60_000);

  it('refuses controls from a page of another origin, and changes nothing', async () => {
    await runtime.chaos('POST', 'faults', [{ service: 'sqs', operation: 'SendMessage' }]);
    for (const headers of [{ Origin: ATTACKER }, { 'Sec-Fetch-Site': 'cross-site' }, { Origin: 'null' }] as Array<Record<string, string>>) {
      const refused = await control('clear-all', {}, headers);
      expect(refused.status).toBe(403);
      expect(refused.answer.ok).toBe(false);
      const sent = await control('send', { id: 'from-attacker' }, headers);
      expect(sent.status).toBe(403);
    }
    // A foreign page cannot read the state either, and no answer carries CORS headers.
    const read = await raw('GET', '/dashboard/api/state', '', { Origin: ATTACKER });
    expect(read.status).toBe(403);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
    // A page served from another host name (DNS rebinding) is refused too.
    expect((await raw('GET', '/dashboard/api/state', '', { Host: `attacker.example:${runtime.port}` })).status).toBe(403);

    const rules = await runtime.chaos('GET', 'faults');
    expect(rules.json).toEqual([{ service: 'sqs', operation: 'SendMessage' }]);
    expect(await runtime.item('from-attacker')).toBeUndefined();
    // The runtime's own page may.
    const own = await control('faults', { op: 'clear' }, { Origin: `http://localhost:${runtime.port}`, 'Sec-Fetch-Site': 'same-origin' });
    expect(own.status).toBe(200);
    expect((await runtime.chaos('GET', 'faults')).json).toEqual([]);
    const ownState = await raw('GET', '/dashboard/api/state');
    expect(ownState.status).toBe(200);
    expect(ownState.headers['access-control-allow-origin']).toBeUndefined();
  }, 30_000);

  it('gives two open pages the same snapshots', async () => {
    const first = subscribe();
    // The second page joins a stream already under way.
    await eventually('snapshots on the first page', async () => first.states.length >= 2, 10_000);
    const second = subscribe();
    try {
      await eventually('three snapshots on the second page', async () => second.states.length >= 3, 10_000);
      const shared = second.states.filter(({ snapshot }) => first.states.some((other) => other.snapshot.at === snapshot.at));
      expect(shared.length).toBeGreaterThanOrEqual(2);
      for (const { text, snapshot } of shared) expect(first.states.find((other) => other.snapshot.at === snapshot.at)?.text).toBe(text);
    } finally {
      first.close();
      second.close();
    }
  }, 20_000);

  it('answers a bad control with 400 and the reason', async () => {
    expect((await control('faults', { op: 'explode' })).status).toBe(400);
    expect((await control('no-such-control', {})).answer.message).toMatch(/Unknown control/);
    const outside = await control('experiment', { file: '../package.json' });
    expect(outside.status).toBe(400);
    expect(outside.answer.message).toMatch(/library/);
  });

  it('runs an experiment of the library, streams its lines into the snapshot and serves its report', async () => {
    const page = subscribe();
    let folder: string | undefined;
    try {
      const vars = { products: 2, outage_ms: 3_000, settle_seconds: 30 };
      const started = await control('experiment', { file: 'experiments/01-tutorial.json', vars });
      expect(started.answer).toMatchObject({ ok: true });
      expect(started.answer.command).toBe(
        `npm run experiment -- experiments/01-tutorial.json --endpoint http://localhost:${runtime.port} --var products=2 --var outage_ms=3000 --var settle_seconds=30`,
      );
      expect((await control('experiment', { file: 'experiments/01-tutorial.json' })).answer).toMatchObject({
        ok: false,
        message: expect.stringMatching(/running already/),
      });
      const running = await eventually(
        'the run in a snapshot',
        async () => page.states.map((s) => s.snapshot.experiment).find((e) => e?.running) ?? undefined,
        10_000,
      );
      expect(running.file).toBe('experiments/01-tutorial.json');
      const done = await eventually(
        'the run ended',
        async () => page.states.at(-1)?.snapshot.experiment?.running === false && (page.states.at(-1)?.snapshot.experiment ?? undefined),
        90_000,
      );
      expect(done.lines.join('\n')).toMatch(/held/);
      expect(done.exitCode).toBe(0);
      expect(done.reportUrl).toMatch(/^\/dashboard\/reports\/[^/]+\/report\.html$/);
      folder = decodeURIComponent(done.reportUrl!.split('/')[3]!);
      const report = await raw('GET', done.reportUrl!);
      expect(report.status).toBe(200);
      expect(report.headers['content-type']).toMatch(/^text\/html/);
      expect((await raw('GET', done.reportUrl!.replace('report.html', 'journal.json'))).status).toBe(200);
    } finally {
      page.close();
      if (folder) rmSync(path.join(REPO_ROOT, 'reports', folder), { recursive: true, force: true });
    }
  }, 120_000);

  it('serves reports read-only, with no way out of the reports folder', async () => {
    for (const path of [
      '/dashboard/reports/../package.json',
      '/dashboard/reports/%2e%2e/package.json',
      '/dashboard/reports/..%2fpackage.json',
      '/dashboard/reports/%2e%2e%2f%2e%2e%2fetc/passwd',
    ]) {
      const answer = await raw('GET', path);
      expect(answer.status).toBe(404);
      expect(answer.body).not.toContain('"name"');
    }
    expect((await raw('PUT', '/dashboard/reports/x.html', 'x')).status).toBe(405);
  });
});

describe('npm run dashboard: the same server on its own port, for any target', () => {
  it('explains itself with --help', async () => {
    const help = await runTs('scripts/dashboard.ts', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--endpoint <url>/);
    expect(help.stdout).toMatch(/--port <N>/);
    expect(help.stdout).toMatch(/with no page open the dashboard makes no call at all/);
    const wrong = await runTs('scripts/dashboard.ts', ['--port', 'x']);
    expect(wrong.code).toBe(2);
  }, 30_000);

  it('reads and drives the runtime through its public APIs only, from its own origin', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts/dashboard.ts'), '--endpoint', runtime.url, '--port', '0'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        readline.createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`scripts/dashboard.ts exited with ${code}`)));
      });
      const pageUrl = /on (http:\/\/localhost:\d+\/dashboard\/)/.exec(line)?.[1];
      expect(pageUrl).toBeDefined();
      const origin = new URL(pageUrl!).origin;
      const post = (action: string, body: unknown, headers: Record<string, string> = {}) =>
        fetch(`${origin}/dashboard/api/${action}`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

      expect((await fetch(pageUrl!)).status).toBe(200);
      const snapshot = (await (await fetch(`${origin}/dashboard/api/state`)).json()) as Snapshot;
      expect(snapshot.target).toEqual({ endpoint: runtime.url.replace('127.0.0.1', 'localhost'), kind: 'offline' });
      expect(snapshot.mapping?.state).toBe('Enabled');

      // Its own page (its port, not the runtime's) may use the controls; the runtime's origin may not.
      expect((await post('faults', { op: 'clear' }, { Origin: `http://localhost:${runtime.port}` })).status).toBe(403);
      const sent = (await (await post('send', { id: 'standalone-1' }, { Origin: origin })).json()) as ControlAnswer;
      expect(sent).toMatchObject({ ok: true, status: 200 });
      // Without the runtime's log, the functions' lines come from CloudWatch Logs.
      const stream = await fetch(`${origin}/dashboard/api/events`);
      const reader = stream.body!.getReader();
      let text = '';
      await eventually(
        'the write seen as direct through the functions’ log group',
        async () => {
          const { value } = await reader.read();
          text += Buffer.from(value ?? new Uint8Array()).toString();
          return /"id":"standalone-1","name":"[^"]*","updatedAt":\d+,"via":"direct"/.test(text);
        },
        15_000,
      );
      await reader.cancel();
    } finally {
      await stopChild(child);
    }
    expect(child.exitCode).toBe(0);
  }, 45_000);
});
