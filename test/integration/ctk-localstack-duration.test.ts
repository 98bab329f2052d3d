/**
 * Against LocalStack (here a stand-in server that says it is not the offline runtime), a rule's
 * durationMs and seed are stripped before sending, and the runner DELETEs the rule itself once
 * the duration is over, or at the end of the run if that comes first; the journal records it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { loadExperiment } from '../../chaos/runner/cli';
import { runOne } from '../../chaos/runner/run-one';

interface Seen {
  method: string;
  url: string;
  body: unknown;
  at: number;
}

let server: Server;
let endpoint: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString()));
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', body: text === '' ? undefined : (JSON.parse(text) as unknown), at: Date.now() });
      response.setHeader('Content-Type', 'application/json');
      response.end(request.url === '/_localstack/health' ? JSON.stringify({ edition: 'community' }) : '[]');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => (seen.length = 0));

const dir = mkdtempSync(path.join(os.tmpdir(), 'ctk-ls-'));

async function runWith(durationMs: number, waitSeconds: number) {
  const rule = { service: 'dynamodb', probability: 0.5, durationMs, seed: 3 };
  const file = path.join(dir, `d${durationMs}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      title: 't',
      description: 'd',
      method: [
        {
          type: 'action',
          name: 'inject',
          provider: {
            type: 'http',
            url: `${endpoint}/_localstack/chaos/faults`,
            method: 'PATCH',
            headers: { 'Content-Type': 'application/json' },
            arguments: [rule],
          },
        },
        { type: 'probe', name: 'wait', provider: { type: 'http', url: `${endpoint}/wait` }, pauses: { after: waitSeconds } },
      ],
    }),
  );
  const lines: string[] = [];
  const { entry } = await runOne(loadExperiment(file), path.join(dir, `r${durationMs}`), {
    endpoint,
    kind: 'localstack',
    seed: 1,
    vars: {},
    print: (line) => lines.push(line),
    tty: false,
    env: {},
    sampleEveryMs: 100_000,
  });
  const journal = JSON.parse(readFileSync(path.join(dir, `r${durationMs}`, 'journal.json'), 'utf8')) as {
    'x-serverless-chaos': { followUps?: Array<{ method: string; body: unknown; t: number; status: number; early?: boolean }> };
  };
  return { entry, journal, faultCalls: seen.filter((s) => s.url === '/_localstack/chaos/faults') };
}

it('strips durationMs and seed, and DELETEs the stripped rule when the duration is over', async () => {
  const { entry, journal, faultCalls } = await runWith(300, 0.8);
  expect(entry.outcome).toBe('held');
  const stripped = { service: 'dynamodb', probability: 0.5 };
  expect(faultCalls.map(({ method, body }) => ({ method, body }))).toEqual([
    { method: 'PATCH', body: [stripped] },
    { method: 'DELETE', body: [stripped] },
  ]);
  const [patch, remove] = faultCalls as [Seen, Seen];
  expect(remove.at - patch.at).toBeGreaterThanOrEqual(290);
  expect(journal['x-serverless-chaos'].followUps).toEqual([
    { method: 'DELETE', url: `${endpoint}/_localstack/chaos/faults`, body: [stripped], t: expect.any(Number), status: 200 },
  ]);
}, 20_000);

it('a rule whose duration outlasts the run is DELETEd at its end, marked early', async () => {
  const { faultCalls, journal } = await runWith(60_000, 0);
  expect(faultCalls.map(({ method }) => method)).toEqual(['PATCH', 'DELETE']);
  expect(journal['x-serverless-chaos'].followUps).toMatchObject([{ method: 'DELETE', status: 200, early: true }]);
}, 20_000);
