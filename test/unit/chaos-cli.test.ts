/** The chaos CLI: input checked before anything is sent, then the right Chaos API calls. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runChaosCli, UsageError } from '../../scripts/chaos';

interface Seen {
  method: string;
  url: string;
  body: unknown;
}

let server: http.Server;
let endpoint: string;
const seen: Seen[] = [];
let rules: unknown[] = [];
let answer: { status: number; body: unknown } | undefined;

beforeAll(async () => {
  // A stand-in Chaos API that records each call and keeps the rules, as LocalStack does.
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const body: unknown = raw ? JSON.parse(raw) : undefined;
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      const effects = req.url?.endsWith('/effects');
      if (!effects && req.method === 'POST') rules = body as unknown[];
      else if (!effects && req.method === 'PATCH') rules = [...rules, ...(body as unknown[])];
      else if (!effects && req.method === 'DELETE') rules = rules.filter((r) => !(body as unknown[]).some((b) => JSON.stringify(b) === JSON.stringify(r)));
      res.writeHead(answer?.status ?? 200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answer?.body ?? (effects ? (body ?? { latency: 0 }) : rules)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

beforeEach(() => {
  seen.length = 0;
  rules = [];
  answer = undefined;
});

const cli = async (...args: string[]) => {
  const out: string[] = [];
  await runChaosCli([...args, '--endpoint', endpoint], (line) => out.push(line));
  return out.join('\n');
};

it.each([
  [['outage'], /needs --service/],
  [['outage', '--service', 'dynamodb', '--probability', '1.5'], /probability must be a number from 0 to 1/],
  [['outage', '--service', 'dynamodb', '--probability', 'often'], /--probability must be a number/],
  [['outage', '--service', 'dynamodb', '--status', '200'], /status code must be a whole number from 400 to 599/],
  [['outage', '--service', 'DynamoDB!'], /should be an AWS service name/],
  [['outage', '--service', 'dynamodb', '--operation', 'put item'], /should be an API operation name/],
  [['latency', 'slow'], /latency must be a number/],
  [['latency', '-5'], /Unknown option '-5'/],
  [['latency', '1.5'], /whole number of milliseconds/],
  [['latency'], /whole number of milliseconds/],
  [['reboot'], /Unknown command "reboot"/],
])('rejects %j before sending anything', async (args, message) => {
  await expect(cli(...args)).rejects.toThrow(UsageError);
  await expect(cli(...args)).rejects.toThrow(message);
  expect(seen).toEqual([]);
});

it('starts an outage by appending a rule with exactly the given fields', async () => {
  const out = await cli('outage', '--service', 'dynamodb', '--probability', '0.8', '--status', '500', '--code', 'SomethingWentWrong');
  expect(seen).toEqual([
    { method: 'PATCH', url: '/_localstack/chaos/faults', body: [{ service: 'dynamodb', probability: 0.8, error: { statusCode: 500, code: 'SomethingWentWrong' } }] },
  ]);
  expect(out).toBe('Outage started: dynamodb: 80% of calls fail with 500 SomethingWentWrong. 1 rule(s) active.');
});

it('scopes an outage to an operation and region', async () => {
  await cli('outage', '--service', 'sqs', '--operation', 'SendMessage', '--region', 'eu-west-1');
  expect(seen[0]?.body).toEqual([{ service: 'sqs', operation: 'SendMessage', region: 'eu-west-1' }]);
});

it('ends every outage, or only one service’s', async () => {
  rules = [{ service: 'dynamodb' }, { service: 'sns' }];
  expect(await cli('end', '--service', 'sns')).toBe('Ended 1 rule(s); 1 still active.');
  expect(seen.map((s) => [s.method, s.body])).toEqual([
    ['GET', undefined],
    ['DELETE', [{ service: 'sns' }]],
  ]);
  expect(await cli('end')).toBe('Ended 1 rule(s); 0 still active.');
  expect(seen.at(-1)).toMatchObject({ method: 'POST', body: [] });
  expect(await cli('end')).toBe('No outage is active.');
});

it('sets and clears latency', async () => {
  expect(await cli('latency', '5000')).toBe('Every AWS call now takes 5000 ms longer.');
  expect(seen[0]).toEqual({ method: 'POST', url: '/_localstack/chaos/effects', body: { latency: 5000 } });
  expect(await cli('latency', '0')).toBe('Latency cleared.');
});

it('shows what is active', async () => {
  rules = [{ service: 'dynamodb', operation: 'PutItem', probability: 0.5 }];
  const out = await cli('status');
  expect(out).toContain('1. dynamodb PutItem: 50% of calls fail with 503 ServiceUnavailable');
  expect(out).toContain('No latency.');
});

it('turns an API error into a sentence', async () => {
  answer = { status: 400, body: { message: 'Error validating JSON schema: [0]: unknown key(s) x' } };
  await expect(cli('outage', '--service', 'dynamodb')).rejects.toThrow('The Chaos API refused PATCH faults: 400 Error validating JSON schema: [0]: unknown key(s) x');
});

it('says when nothing listens at the endpoint', async () => {
  await expect(runChaosCli(['status', '--endpoint', 'http://127.0.0.1:9'])).rejects.toThrow(/^Could not reach the Chaos API at http:\/\/127\.0\.0\.1:9\/_localstack\/chaos\/faults \(.+\)\. Is LocalStack or the offline runtime \(npm start\) running\?$/);
});

it('prints help', async () => {
  expect(await cli('--help')).toMatch(/Usage: npm run chaos -- <command>/);
});
