/**
 * The control plane at the edge: IAM, STS, CloudWatch Logs, Lambda and API Gateway answer the
 * real AWS CLI on the runtime's one port, and the Chaos API's faults and latency reach them as
 * they reach every other AWS call.
 */
import { localstack, names } from '#spec';
import { awsCli, chaos, hasAwsCli } from '../support/clients';
import { type OfflineRuntime, runtimeForSuite } from '../support/offline';

let runtime: OfflineRuntime;
runtimeForSuite((started) => (runtime = started));

const cli = async (...args: string[]) => JSON.parse(await awsCli(runtime.url, ...args)) as Record<string, unknown>;

/** The AWS CLI's error line for a failing call. */
async function cliError(...args: string[]): Promise<string> {
  try {
    await awsCli(runtime.url, ...args);
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? error).trim();
  }
  throw new Error(`aws ${args.join(' ')} succeeded`);
}

const trust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

beforeAll(async () => {
  if (!(await hasAwsCli())) throw new Error('the AWS CLI (aws) is needed for this suite');
});

it('lists the control-plane services in its health', async () => {
  const health = (await (await fetch(`${runtime.url}/_localstack/health`)).json()) as { services: Record<string, string> };
  expect(Object.keys(health.services)).toEqual(expect.arrayContaining(['apigateway', 'iam', 'lambda', 'logs', 'sts']));
});

it('answers each control-plane service through the edge, with AWS errors', async () => {
  const role = await cli('iam', 'create-role', '--role-name', 'EdgeRole', '--assume-role-policy-document', trust);
  expect(role).toMatchObject({ Role: { RoleName: 'EdgeRole', Arn: `arn:aws:iam::${localstack.accountId}:role/EdgeRole` } });
  expect(await cliError('iam', 'get-role', '--role-name', 'NoSuchRole')).toMatch(/\(NoSuchEntity\).*NoSuchRole cannot be found/);
  expect(await cli('sts', 'get-caller-identity')).toMatchObject({ Account: localstack.accountId });

  await awsCli(runtime.url, 'logs', 'create-log-group', '--log-group-name', '/aws/lambda/Edge');
  expect(await cli('logs', 'describe-log-groups', '--log-group-name-prefix', '/aws/lambda/Edge')).toMatchObject({
    logGroups: [{ logGroupName: '/aws/lambda/Edge' }],
  });

  // The default start has the app deployed through this control plane.
  const { Functions } = (await cli('lambda', 'list-functions')) as { Functions: { FunctionName: string }[] };
  expect(Functions.map((fn) => fn.FunctionName).sort()).toEqual([names.productFunction, names.retryFunction].sort());
  expect(await cliError('lambda', 'get-function', '--function-name', 'Nope')).toMatch(/\(ResourceNotFoundException\).*Function not found/);
  expect(await cli('apigateway', 'get-rest-apis')).toMatchObject({ items: [{ id: names.restApiId, name: names.restApi }] });
});

it('applies faults and latency to the control plane, in each service format', async () => {
  expect((await chaos(runtime.url, 'POST', 'faults', [{ service: 'iam' }, { service: 'lambda', operation: 'ListFunctions' }])).status).toBe(200);
  expect(await cliError('iam', 'list-roles')).toMatch(/\(ServiceUnavailable\)/);
  expect(await cliError('lambda', 'list-functions')).toMatch(/\(ServiceUnavailable\)/);
  // Only the operation named: another Lambda call goes through.
  expect(await cliError('lambda', 'get-function', '--function-name', 'Nope')).toMatch(/ResourceNotFoundException/);
  await chaos(runtime.url, 'POST', 'faults', []);

  await chaos(runtime.url, 'POST', 'effects', { latency: 400 });
  const started = Date.now();
  await cli('sts', 'get-caller-identity');
  expect(Date.now() - started).toBeGreaterThanOrEqual(400);
  await chaos(runtime.url, 'POST', 'effects', { latency: 0 });
});
