/**
 * The Chaos API contract over real HTTP into the offline runtime: it refuses exactly what
 * LocalStack's schema refuses (with a 400 naming the field), and `{}`, probability 0 and
 * `DELETE []` do what they do on LocalStack. Then the chaos CLI against it, as a user runs it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { names, tutorialFault } from '#spec';
import { runChaosCli } from '../../chaos/cli/chaos-command';
import { type OfflineRuntime, runtimeForSuite } from '../support/offline';
import { REPO_ROOT } from '../../shared/paths';

const run = promisify(execFile);
let runtime: OfflineRuntime;
runtimeForSuite((started) => (runtime = started), { reset: 'chaos' });

const message = (answer: { json: unknown }) => (answer.json as { message?: string }).message;
const schemaError = (problem: string) => `Error validating JSON schema: ${problem}`;

describe('refuses what LocalStack refuses, with 400 and the field, keeping the rules', () => {
  const active = [{ service: 'sns', operation: 'Publish', probability: 0.5 }];

  // [body, the problem named, a label for a body too long to print]
  const refused: Array<[unknown, string, string?]> = [
    [[{ service: 'dynamo db' }], '[0].service: must match ^[a-zA-Z0-9-_]+$'],
    [[{ region: 'us_east_1' }], '[0].region: must match ^[a-zA-Z0-9-]+$'],
    [[{ operation: 'Put1' }], '[0].operation: must match ^[a-zA-Z]+$'],
    [[{ error: { code: 'Some.Error' } }], '[0].error.code: must match ^[a-zA-Z0-9]+$'],
    [[{ error: { statusCode: 600 } }], '[0].error.statusCode: must be from 400 to 599'],
    [[{ error: { statusCode: 503.5 } }], '[0].error.statusCode: expected integer, received number'],
    [[{ probability: -0.5 }], '[0].probability: must be from 0 to 1'],
    [[{ description: 'x'.repeat(8193) }], '[0].description: must be at most 8192 characters', '[{"description": 8193 characters}]'],
    [[{ service: 'sqs', latency: 5 }], '[0]: unknown key(s) latency (allowed: region, service, operation, probability, description, error)'],
    [[{ error: { code: 'X', message: 'y' } }], '[0].error: unknown key(s) message (allowed: statusCode, code)'],
    [{ service: 'sqs' }, 'body: expected array, received object'],
    [[{ service: 'sqs' }, { service: 'sqs' }], '[1]: duplicate of [0]: the list must have unique items (uniqueItems)'],
  ];

  it.each(refused.map(([body, problem, label]) => [label ?? JSON.stringify(body), problem, body]))(
    'POST, PATCH and DELETE of %s: %s',
    async (_label, problem, body) => {
      await runtime.chaos('POST', 'faults', active);
      for (const method of ['POST', 'PATCH', 'DELETE']) {
        const answer = await runtime.chaos(method, 'faults', body);
        expect({ method, status: answer.status, message: message(answer) }).toEqual({ method, status: 400, message: schemaError(problem as string) });
      }
      expect((await runtime.chaos('GET', 'faults')).json).toEqual(active);
    },
  );

  it.each([
    [{}, 'latency: required'],
    [{ latency: -1 }, 'latency: must be >= 0'],
    [{ latency: 1.5 }, 'latency: expected integer, received number'],
    [{ latency: 5, jitter: 1 }, 'body: unknown key(s) jitter (allowed: latency)'],
  ])('POST effects %j: %s', async (body, problem) => {
    await runtime.chaos('POST', 'effects', { latency: 7 });
    expect(await runtime.chaos('POST', 'effects', body)).toEqual({ status: 400, json: { message: schemaError(problem) } });
    expect((await runtime.chaos('GET', 'effects')).json).toEqual({ latency: 7 });
  });
});

describe('what {}, probability 0 and DELETE [] do', () => {
  it('an empty rule fails every AWS call of every service with 503 ServiceUnavailable', async () => {
    expect(await runtime.chaos('POST', 'faults', [{}])).toEqual({ status: 200, json: [{}] });
    await expect(runtime.scan()).rejects.toMatchObject({ name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
    await expect(runtime.queueUrl(names.queue)).rejects.toMatchObject({ name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
    // The health check and the Chaos API are not AWS calls: they still answer.
    expect((await runtime.get('/_localstack/health')).status).toBe(200);
    expect(await runtime.chaos('POST', 'faults', [])).toEqual({ status: 200, json: [] });
    await expect(runtime.scan()).resolves.toEqual(expect.any(Array));
  });

  it('probability 0 is accepted and never fires', async () => {
    const rule = { service: 'dynamodb', probability: 0 };
    expect(await runtime.chaos('POST', 'faults', [rule])).toEqual({ status: 200, json: [rule] });
    for (let i = 0; i < 20; i += 1) await runtime.scan();
  });

  it('DELETE [] is accepted, removes nothing and answers the current list', async () => {
    const rules = [
      { service: 'sqs', operation: 'ReceiveMessage' },
      { service: 'sns', probability: 0.1 },
    ];
    await runtime.chaos('POST', 'faults', rules);
    expect(await runtime.chaos('DELETE', 'faults', [])).toEqual({ status: 200, json: rules });
    expect((await runtime.chaos('GET', 'faults')).json).toEqual(rules);
  });

  it('PATCH appends a rule equal to an active one; DELETE of it removes every copy', async () => {
    const rule = { service: 'sns', probability: 0.1 };
    await runtime.chaos('PATCH', 'faults', [rule]);
    expect((await runtime.chaos('PATCH', 'faults', [rule])).json).toEqual([rule, rule]);
    expect(await runtime.chaos('DELETE', 'faults', [rule])).toEqual({ status: 200, json: [] });
  });
});

describe('the chaos CLI against the runtime', () => {
  const cli = async (...args: string[]) => {
    const out: string[] = [];
    await runChaosCli([...args, '--endpoint', runtime.url], (line) => out.push(line));
    return out.join('\n');
  };

  it('refuses a service the runtime does not serve, from its health check', async () => {
    await expect(cli('outage', '--service', 's3')).rejects.toThrow(
      /^The target at http:\/\/\S+ does not serve s3, so a rule for it would never fire\. It serves .*\bdynamodb, .*\bsqs\b/,
    );
    expect((await runtime.chaos('GET', 'faults')).json).toEqual([]);
  });

  it('ends rules that are active twice (one DELETE, each rule once) and says the latency is still on', async () => {
    await runtime.chaos('PATCH', 'faults', [{ service: 'dynamodb' }]);
    await runtime.chaos('PATCH', 'faults', [{ service: 'dynamodb' }]);
    expect(await cli('latency', '50')).toBe('Every AWS call now takes 50 ms longer.');
    expect(await cli('end', '--service', 'dynamodb')).toBe(
      'Ended 2 rule(s). No fault rules remain; latency of 50 ms is still on (chaos latency 0 or chaos reset clears it).',
    );
    expect(await cli('reset')).toBe('Reset: cleared latency of 50 ms. No fault rules remain; no latency is on.');
    expect((await runtime.chaos('GET', 'effects')).json).toEqual({ latency: 0 });
  });

  it('starts an outage once, however often it is asked', async () => {
    expect(await cli('outage', '--service', 'dynamodb', '--operation', 'PutItem')).toBe(
      'Outage started: dynamodb PutItem: 100% of calls fail with 503 ServiceUnavailable. 1 rule(s) active.',
    );
    expect(await cli('outage', '--service', 'dynamodb', '--operation', 'PutItem')).toBe(
      'Already active, nothing sent: dynamodb PutItem: 100% of calls fail with 503 ServiceUnavailable. 1 rule(s) active.',
    );
    expect((await runtime.chaos('GET', 'faults')).json).toEqual([{ service: 'dynamodb', operation: 'PutItem' }]);
  });

  it('as a process: a usage error is one "Error:" line on stderr and exit code 2; help exits 0', async () => {
    const chaos = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'scripts/chaos.ts', ...args, '--endpoint', runtime.url], { cwd: REPO_ROOT });
    const failed = (await chaos('outage', '--service', 'dynamodb', '--code', 'Some.Error').catch((e: unknown) => e)) as {
      code: number;
      stdout: string;
      stderr: string;
    };
    expect(failed).toMatchObject({
      code: 2,
      stdout: '',
      stderr: `Error: --code "Some.Error" is not valid: must match ^[a-zA-Z0-9]+$ (an error code, letters and digits only, e.g. ${tutorialFault.error.code}).\n`,
    });
    const help = await chaos('help');
    expect(help.stdout).toMatch(/^Usage: npm run chaos -- <command> \[options\]/);
    expect((await runtime.chaos('GET', 'faults')).json).toEqual([]);
  }, 30_000);
});
