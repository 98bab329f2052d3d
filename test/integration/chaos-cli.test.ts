/** The chaos CLI: input checked before anything is sent, then the right Chaos API calls. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { localstack, region, tutorialFault } from '#spec';
import { Chaos } from '../../offline/chaos/chaos';
import { ChaosValidationError } from '../../shared/contracts/chaos-api-validate';
import { runChaosCli, UsageError } from '../../chaos/cli/chaos-command';
import { nearest } from '../../chaos/api/chaos-client';
import { describeMessage, unwrapSnsEnvelope } from '../../chaos/api/redrive';

interface Seen {
  method: string;
  url: string;
  body: unknown;
}

let server: http.Server;
let endpoint: string;
const seen: Seen[] = [];
let chaos: Chaos;
let answer: { status: number; body: unknown } | undefined;
let health: { status: number; body: unknown };
const offlineHealth = {
  status: 200,
  body: { services: { apigateway: 'running', dynamodb: 'running', lambda: 'running', sns: 'running', sqs: 'running', sts: 'running', s3: 'disabled' } },
};

beforeAll(async () => {
  // A stand-in target that records each call and keeps the rules in the runtime's Chaos, so it
  // refuses what LocalStack refuses (a DELETE with two equal rules, for one).
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    req.on('end', () => {
      const body: unknown = raw ? JSON.parse(raw) : undefined;
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      if (req.url === '/_localstack/health') return reply(health.status, health.body);
      if (answer) return reply(answer.status, answer.body);
      const handlers: Record<string, () => unknown> = {
        'GET faults': () => chaos.getFaults(),
        'POST faults': () => chaos.setFaults(body),
        'PATCH faults': () => chaos.addFaults(body),
        'DELETE faults': () => chaos.removeFaults(body),
        'GET effects': () => chaos.getEffects(),
        'POST effects': () => chaos.setEffects(body),
      };
      try {
        reply(200, handlers[`${req.method} ${req.url?.split('/').at(-1)}`]!());
      } catch (error) {
        reply(400, { message: (error as ChaosValidationError).message });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

beforeEach(() => {
  seen.length = 0;
  chaos = new Chaos();
  answer = undefined;
  health = offlineHealth;
});

const cli = async (...args: string[]) => {
  const out: string[] = [];
  await runChaosCli([...args, '--endpoint', endpoint], (line) => out.push(line));
  return out.join('\n');
};
const sent = () => seen.filter((s) => s.url !== '/_localstack/health').map((s) => [s.method, s.url.split('/').at(-1), s.body]);

describe('refuses a wrong command line before sending anything, saying what was wrong and what was meant', () => {
  it.each([
    [['outage'], 'outage needs --service NAME, e.g. --service dynamodb (see outage --help)'],
    [['outage', '--servce', 'dynamodb'], "Unknown option '--servce' (Did you mean --service?) (see --help)"],
    [['outage', '--service', 'dynamdb'], 'Unknown service dynamdb; did you mean dynamodb?'],
    [['outage', '--service', 'DynamoDB'], 'Unknown service DynamoDB; did you mean dynamodb?'],
    [['outage', '--service', 'dyanmodb'], 'Unknown service dyanmodb; did you mean dynamodb?'],
    [['outage', '--service', 'sss'], 'Unknown service sss; did you mean ses, sns or sqs?'],
    [['outage', '--service', 'nosuchthing'], 'Unknown service nosuchthing: not an AWS service name (such as dynamodb, sqs, sns, lambda, events or s3).'],
    [['outage', '--service', 'dynamodb', '--region', 'us-east1'], 'Unknown region us-east1; did you mean us-east-1?'],
    [['outage', '--service', 'dynamodb', '--region', 'mars-1'], `Unknown region mars-1: not an AWS region name (such as ${region} or eu-west-1).`],
    [
      ['outage', '--service', 'dynamodb', '--code', 'Some.Error'],
      `--code "Some.Error" is not valid: must match ^[a-zA-Z0-9]+$ (an error code, letters and digits only, e.g. ${tutorialFault.error.code}).`,
    ],
    [
      ['outage', '--service', 'dynamodb', '--operation', 'put item'],
      '--operation "put item" is not valid: must match ^[a-zA-Z]+$ (an API operation name, letters only, e.g. PutItem).',
    ],
    [
      ['outage', '--service', 'dynamdb', '--region', 'us-east1', '--code', 'Some.Error'],
      `Unknown service dynamdb; did you mean dynamodb? Unknown region us-east1; did you mean us-east-1? --code "Some.Error" is not valid: must match ^[a-zA-Z0-9]+$ (an error code, letters and digits only, e.g. ${tutorialFault.error.code}).`,
    ],
    [
      ['outage', '--service', 'dynamodb', '--probability', '1.5'],
      "Option '--probability <p>' argument '1.5' is invalid. Expected a number from 0 to 1. (see --help)",
    ],
    [
      ['outage', '--service', 'dynamodb', '--probability', 'often'],
      "Option '--probability <p>' argument 'often' is invalid. Expected a number from 0 to 1. (see --help)",
    ],
    [
      ['outage', '--service', 'dynamodb', '--status', '200'],
      "Option '--status <code>' argument '200' is invalid. Expected a whole number from 400 to 599. (see --help)",
    ],
    [['end', '--service', 'dynamdb'], 'Unknown service dynamdb; did you mean dynamodb?'],
    [['latency', 'slow'], "Command-argument value 'slow' is invalid for argument 'ms'. Expected a whole number of at least 0. (see --help)"],
    [['latency', '-5'], "Command-argument value '-5' is invalid for argument 'ms'. Expected a whole number of at least 0. (see --help)"],
    [['latency', '1.5'], "Command-argument value '1.5' is invalid for argument 'ms'. Expected a whole number of at least 0. (see --help)"],
    [['latency'], "Missing required argument 'ms' (see --help)"],
    [['latency', '5', '6'], "Too many arguments for 'latency'. Expected 1 argument but got 2. (see --help)"],
    [['explode'], "Unknown command 'explode' (see --help)"],
    [['reboot'], "Unknown command 'reboot' (Did you mean reset?) (see --help)"],
    [['stauts'], "Unknown command 'stauts' (Did you mean status?) (see --help)"],
    [['rest'], "Unknown command 'rest' (Did you mean reset?) (see --help)"],
    [['redrive', '--dryrun'], "Unknown option '--dryrun' (Did you mean --dry-run?) (see --help)"],
    [['redrive', 'now'], "Too many arguments for 'redrive'. Expected 0 arguments but got 1. (see --help)"],
  ])('%j', async (args, message) => {
    const error = await cli(...args).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(message);
    expect((error as Error).message).not.toMatch(/after '--'|place it/);
    expect(seen).toEqual([]);
  });
});

describe('outage', () => {
  it('appends a rule with exactly the given fields', async () => {
    const { service, probability, error } = tutorialFault;
    const out = await cli('outage', '--service', service, '--probability', String(probability), '--status', String(error.statusCode), '--code', error.code);
    expect(sent()).toEqual([
      ['GET', 'faults', undefined],
      ['PATCH', 'faults', [{ service, probability, error }]],
    ]);
    expect(out).toBe(`Outage started: ${service}: ${probability * 100}% of calls fail with ${error.statusCode} ${error.code}. 1 rule(s) active.`);
  });

  it('scopes an outage to an operation and region', async () => {
    await cli('outage', '--service', 'sqs', '--operation', 'SendMessage', '--region', 'eu-west-1');
    expect(chaos.getFaults()).toEqual([{ service: 'sqs', operation: 'SendMessage', region: 'eu-west-1' }]);
  });

  it('refuses a service the target does not serve, naming those it does', async () => {
    const error = await cli('outage', '--service', 's3').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe(
      `The target at ${endpoint} does not serve s3, so a rule for it would never fire. It serves apigateway, dynamodb, lambda, sns, sqs, sts.`,
    );
    expect(seen.map((s) => [s.method, s.url])).toEqual([['GET', '/_localstack/health']]);
  });

  it.each([
    ['health answers 404', { status: 404, body: { message: 'no' } }],
    ['health does not list services', { status: 200, body: { status: 'ok' } }],
  ])('does not block when %s', async (_label, reply) => {
    health = reply;
    expect(await cli('outage', '--service', 's3')).toBe('Outage started: s3: 100% of calls fail with 503 ServiceUnavailable. 1 rule(s) active.');
  });

  it('warns that a rule with probability 0 never fires, and adds it', async () => {
    expect(await cli('outage', '--service', 'sqs', '--probability', '0')).toBe(
      'Warning: --probability 0: this rule never fires (the Chaos API accepts it all the same).\nOutage started: sqs: 0% of calls fail with 503 ServiceUnavailable. 1 rule(s) active.',
    );
    expect(chaos.getFaults()).toEqual([{ service: 'sqs', probability: 0 }]);
  });

  it('does not add a rule that is already active', async () => {
    await cli('outage', '--service', 'sns');
    seen.length = 0;
    expect(await cli('outage', '--service', 'sns')).toBe(
      'Already active, nothing sent: sns: 100% of calls fail with 503 ServiceUnavailable. 1 rule(s) active.',
    );
    expect(sent()).toEqual([['GET', 'faults', undefined]]);
  });
});

describe('end, reset and status say what remains, latency included', () => {
  it('ends one service’s rules, sending each rule once although it is active twice', async () => {
    chaos.addFaults([{ service: 'sns' }]);
    chaos.addFaults([{ service: 'sns' }]);
    chaos.addFaults([{ service: 'dynamodb' }]);
    expect(await cli('end', '--service', 'sns')).toBe(
      'Ended 2 rule(s). 1 fault rule(s) remain: dynamodb: 100% of calls fail with 503 ServiceUnavailable; no latency is on.',
    );
    expect(sent()).toEqual([
      ['GET', 'faults', undefined],
      ['GET', 'effects', undefined],
      ['DELETE', 'faults', [{ service: 'sns' }]],
    ]);
    expect(chaos.getFaults()).toEqual([{ service: 'dynamodb' }]);
  });

  it('ends every rule and says the latency is still on', async () => {
    chaos.setFaults([{ service: 'dynamodb' }, { service: 'sns' }]);
    chaos.setEffects({ latency: 5000 });
    expect(await cli('end')).toBe('Ended 2 rule(s). No fault rules remain; latency of 5000 ms is still on (chaos latency 0 or chaos reset clears it).');
    expect(sent().at(-1)).toEqual(['POST', 'faults', []]);
    expect(await cli('end')).toBe('No fault rule is active. No fault rules remain; latency of 5000 ms is still on (chaos latency 0 or chaos reset clears it).');
  });

  it('says when the service has no rule', async () => {
    chaos.setFaults([{ service: 'sqs' }]);
    expect(await cli('end', '--service', 'sns')).toBe(
      'No fault rule for sns is active. 1 fault rule(s) remain: sqs: 100% of calls fail with 503 ServiceUnavailable; no latency is on.',
    );
    expect(sent().filter(([method]) => method !== 'GET')).toEqual([]);
  });

  it('reset clears every rule and the latency', async () => {
    chaos.setFaults([{ service: 'dynamodb' }, {}]);
    chaos.setEffects({ latency: 5000 });
    expect(await cli('reset')).toBe('Reset: ended 2 fault rule(s) and cleared latency of 5000 ms. No fault rules remain; no latency is on.');
    expect(sent().filter(([method]) => method !== 'GET')).toEqual([
      ['POST', 'faults', []],
      ['POST', 'effects', { latency: 0 }],
    ]);
    expect([chaos.getFaults(), chaos.getEffects()]).toEqual([[], { latency: 0 }]);
    expect(await cli('reset')).toBe('Reset: nothing was active. No fault rules remain; no latency is on.');
  });

  it('status lists the rules in order and the latency', async () => {
    chaos.setFaults([{ service: 'dynamodb', operation: 'PutItem', probability: 0.5 }, {}]);
    chaos.setEffects({ latency: 5000 });
    expect(await cli('status')).toBe(
      [
        'Fault rules (first match wins):',
        '  1. dynamodb PutItem: 50% of calls fail with 503 ServiceUnavailable',
        '  2. every service: 100% of calls fail with 503 ServiceUnavailable',
        'Latency: 5000 ms on every AWS call (chaos latency 0 or chaos reset clears it).',
      ].join('\n'),
    );
    chaos.setFaults([]);
    chaos.setEffects({ latency: 0 });
    expect(await cli('status')).toBe('No fault rules are active.\nNo latency.');
  });

  it('sets and clears latency', async () => {
    expect(await cli('latency', '5000')).toBe('Every AWS call now takes 5000 ms longer.');
    expect(sent()).toEqual([['POST', 'effects', { latency: 5000 }]]);
    expect(await cli('latency', '0')).toBe('Latency cleared.');
  });
});

describe('help', () => {
  it.each([[['help']], [['--help']], [['-h']], [[]]])('%j shows every command', async (args) => {
    const out = await cli(...args);
    expect(out).toMatch(/^Usage: npm run chaos -- <command> \[options\]/);
    for (const name of ['outage', 'end', 'latency <ms>', 'reset', 'status', 'redrive', 'help [command]'])
      expect(out).toMatch(new RegExp(`^  ${name.replace(/[[\]]/g, '\\$&')} `, 'm'));
    expect(seen).toEqual([]);
  });

  it.each(['outage', 'end', 'latency', 'reset', 'status', 'redrive'])('%s --help and help %s show its usage and options', async (name) => {
    const out = await cli(name, '--help');
    expect(out).toMatch(new RegExp(`^Usage: npm run chaos -- ${name}`));
    expect(out).toContain('--endpoint <url>');
    expect(await cli('help', name)).toBe(out);
    expect(seen).toEqual([]);
  });

  it('outage --help lists its options', async () => {
    const out = await cli('outage', '--help');
    for (const option of ['--service <name>', '--operation <name>', '--region <name>', '--probability <p>', '--status <code>', '--code <code>'])
      expect(out).toContain(option);
  });
});

it('turns an API error into a sentence', async () => {
  answer = { status: 400, body: { message: 'Error validating JSON schema: [0]: unknown key(s) x' } };
  await expect(cli('outage', '--service', 'dynamodb')).rejects.toThrow(
    'The Chaos API refused GET faults: 400 Error validating JSON schema: [0]: unknown key(s) x',
  );
});

it('says when nothing listens at the endpoint', async () => {
  await expect(runChaosCli(['status', '--endpoint', 'http://127.0.0.1:9'])).rejects.toThrow(
    /^Could not reach the Chaos API at http:\/\/127\.0\.0\.1:9\/_localstack\/chaos\/faults \(.+\)\. Is LocalStack or the offline runtime \(npm start\) running\?$/,
  );
});

it('suggests only names close enough to be a typo', () => {
  expect(nearest('dynamdb', ['dynamodb', 'sqs'])).toEqual(['dynamodb']);
  expect(nearest('sq', ['sqs', 'sns'])).toEqual(['sqs']);
  expect(nearest('kafka', ['dynamodb', 'sqs'])).toEqual([]);
});

describe('redrive', () => {
  const product = JSON.stringify({ id: 'p-1', name: 'n', price: 1, description: '', updatedAt: 1700000000000, requestId: 'r' });

  it('unwraps an SNS envelope to its Message and leaves anything else as it is', () => {
    expect(unwrapSnsEnvelope(JSON.stringify({ Type: 'Notification', TopicArn: `arn:aws:sns:${region}:${localstack.accountId}:T`, Message: product }))).toEqual({
      body: product,
      enveloped: true,
    });
    expect(unwrapSnsEnvelope(product)).toEqual({ body: product, enveloped: false });
    for (const body of [
      'not json',
      '[1]',
      'null',
      JSON.stringify({ Type: 'Notification', Message: { id: 'p' } }),
      JSON.stringify({ Type: 'SubscriptionConfirmation', Message: 'x' }),
    ]) {
      expect(unwrapSnsEnvelope(body)).toEqual({ body, enveloped: false });
    }
  });

  it('describes a message for --dry-run: product, envelope, receives and reason', () => {
    expect(
      describeMessage({
        MessageId: 'm-1',
        Body: JSON.stringify({ Type: 'Notification', Message: product }),
        Attributes: { ApproximateReceiveCount: '2' },
        MessageAttributes: { reason: { DataType: 'String', StringValue: 'DynamoDB rejected the write' } },
      }),
    ).toBe('m-1: product "p-1" updatedAt 1700000000000; in an SNS envelope; received 2 time(s); reason: DynamoDB rejected the write');
    expect(describeMessage({ MessageId: 'm-2', Body: '{oops' })).toBe('m-2: not JSON (5 characters)');
  });
});
