/** IAM identity-policy evaluation: the generic rules, then the stack's own role policies. */
import { Testing } from 'cdktf';
import { localstack, names } from '#spec';
import { deniedMessage, evaluate, firstDenial, policyProblem, type Decision, type PolicyDocument, type Statement } from '../../offline/services/iam/policy';
import { arn } from '../support/clients';
import { parse, stackWithoutCode } from '../support/stack';

const table = arn('dynamodb', `table/${names.table}`);
const queue = arn('sqs', names.queue);
const deadLetterQueue = arn('sqs', names.deadLetterQueue);
const topic = arn('sns', names.topic);
const logGroup = (fn: string) => arn('logs', `log-group:/aws/lambda/${fn}`);
const logStream = (fn: string) => `${logGroup(fn)}:log-stream:2026/11/27/[$LATEST]0123456789abcdef`;

const allow = (Action: Statement['Action'], Resource: Statement['Resource'] = '*', extra: Statement = {}): Statement => ({
  Effect: 'Allow',
  Action,
  Resource,
  ...extra,
});
const deny = (Action: Statement['Action'], Resource: Statement['Resource'] = '*', extra: Statement = {}): Statement => ({
  Effect: 'Deny',
  Action,
  Resource,
  ...extra,
});
const doc = (...statements: Statement[]): PolicyDocument => ({ Version: '2012-10-17', Statement: statements });

describe('evaluate', () => {
  it.each<[string, PolicyDocument[], string, string, Decision['result']]>([
    ['no policies', [], 'dynamodb:PutItem', table, 'implicitly-denied'],
    ['an exact action and resource', [doc(allow('dynamodb:PutItem', table))], 'dynamodb:PutItem', table, 'allowed'],
    ['another action', [doc(allow('dynamodb:PutItem', table))], 'dynamodb:DeleteItem', table, 'implicitly-denied'],
    ['another resource', [doc(allow('dynamodb:PutItem', table))], 'dynamodb:PutItem', arn('dynamodb', 'table/Other'), 'implicitly-denied'],
    ['a list of actions', [doc(allow(['sqs:SendMessage', 'dynamodb:PutItem'], table))], 'dynamodb:PutItem', table, 'allowed'],
    ['a list of resources', [doc(allow('sqs:SendMessage', [queue, deadLetterQueue]))], 'sqs:SendMessage', deadLetterQueue, 'allowed'],
    ['an empty list of actions', [doc(allow([], '*'))], 'sqs:SendMessage', queue, 'implicitly-denied'],
    ['the action wildcard', [doc(allow('*'))], 'iam:CreateRole', arn('iam', 'role/X'), 'allowed'],
    ['a service wildcard', [doc(allow('dynamodb:*', table))], 'dynamodb:Scan', table, 'allowed'],
    ['a service wildcard, other service', [doc(allow('dynamodb:*'))], 'sqs:SendMessage', queue, 'implicitly-denied'],
    ['a prefix wildcard', [doc(allow('dynamodb:Get*', table))], 'dynamodb:GetItem', table, 'allowed'],
    ['a prefix wildcard, no match', [doc(allow('dynamodb:Get*', table))], 'dynamodb:PutItem', table, 'implicitly-denied'],
    ['a ? wildcard in an action', [doc(allow('dynamodb:?etItem', table))], 'dynamodb:GetItem', table, 'allowed'],
    ['a ? wildcard needs one character', [doc(allow('dynamodb:?GetItem', table))], 'dynamodb:GetItem', table, 'implicitly-denied'],
    ['actions ignore case', [doc(allow('DynamoDB:putitem', table))], 'dynamodb:PutItem', table, 'allowed'],
    ['resources keep case', [doc(allow('dynamodb:PutItem', table.toLowerCase()))], 'dynamodb:PutItem', table, 'implicitly-denied'],
    ['a resource wildcard', [doc(allow('dynamodb:PutItem', arn('dynamodb', 'table/*')))], 'dynamodb:PutItem', table, 'allowed'],
    ['a resource wildcard across segments', [doc(allow('sqs:SendMessage', 'arn:aws:sqs:*'))], 'sqs:SendMessage', queue, 'allowed'],
    ['a ? wildcard in a resource', [doc(allow('sqs:SendMessage', arn('sqs', 'ProductEvents???')))], 'sqs:SendMessage', deadLetterQueue, 'allowed'],
    ['regex characters are literal', [doc(allow('s3:GetObject', 'arn:aws:s3:::a.b+(c)'))], 's3:GetObject', 'arn:aws:s3:::axb+(c)', 'implicitly-denied'],
    ['regex characters match themselves', [doc(allow('s3:GetObject', 'arn:aws:s3:::a.b+(c)'))], 's3:GetObject', 'arn:aws:s3:::a.b+(c)', 'allowed'],
    ['NotAction allows the rest', [doc({ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' })], 'dynamodb:PutItem', table, 'allowed'],
    ['NotAction excludes its actions', [doc({ Effect: 'Allow', NotAction: ['iam:*'], Resource: '*' })], 'iam:CreateRole', '*', 'implicitly-denied'],
    ['NotResource allows the rest', [doc({ Effect: 'Allow', Action: 'sqs:*', NotResource: deadLetterQueue })], 'sqs:SendMessage', queue, 'allowed'],
    [
      'NotResource excludes its resources',
      [doc({ Effect: 'Allow', Action: 'sqs:*', NotResource: [deadLetterQueue] })],
      'sqs:SendMessage',
      deadLetterQueue,
      'implicitly-denied',
    ],
    ['Deny wins over Allow', [doc(allow('*'), deny('sqs:SendMessage', queue))], 'sqs:SendMessage', queue, 'explicitly-denied'],
    ['Deny elsewhere leaves Allow', [doc(allow('*'), deny('sqs:SendMessage', queue))], 'sqs:SendMessage', deadLetterQueue, 'allowed'],
    ['Deny in another policy', [doc(allow('sqs:*')), doc(deny('sqs:Send*'))], 'sqs:SendMessage', queue, 'explicitly-denied'],
    ['Deny alone still denies', [doc(deny('sqs:ReceiveMessage'))], 'sqs:SendMessage', queue, 'implicitly-denied'],
    ['NotAction Deny', [doc(allow('*'), { Effect: 'Deny', NotAction: 'dynamodb:*', Resource: '*' })], 'sqs:SendMessage', queue, 'explicitly-denied'],
    [
      'a conditional Allow never grants',
      [doc(allow('sqs:SendMessage', queue, { Condition: { Bool: { 'aws:SecureTransport': 'true' } } }))],
      'sqs:SendMessage',
      queue,
      'implicitly-denied',
    ],
    [
      'a conditional Deny always applies',
      [doc(allow('*'), deny('sqs:*', '*', { Condition: { Bool: { 'aws:SecureTransport': 'false' } } }))],
      'sqs:SendMessage',
      queue,
      'explicitly-denied',
    ],
    ['an effect other than Allow or Deny', [doc({ Effect: 'allow', Action: '*', Resource: '*' })], 'sqs:SendMessage', queue, 'implicitly-denied'],
    ['a statement without resources', [doc({ Effect: 'Allow', Action: '*' })], 'sqs:SendMessage', queue, 'implicitly-denied'],
    ['a statement without actions', [doc({ Effect: 'Deny', Resource: '*' }, allow('*'))], 'sqs:SendMessage', queue, 'allowed'],
    ['a single statement object', [{ Version: '2012-10-17', Statement: allow('sqs:SendMessage', queue) }], 'sqs:SendMessage', queue, 'allowed'],
    ['no statements', [{ Version: '2012-10-17' }], 'sqs:SendMessage', queue, 'implicitly-denied'],
    ['policy variables are literal', [doc(allow('sqs:SendMessage', arn('sqs', '${aws:username}')))], 'sqs:SendMessage', queue, 'implicitly-denied'],
  ])('%s', (_case, policies, action, resource, result) => {
    expect(evaluate(policies, action, resource).result).toBe(result);
    // The same documents as IAM stores them, JSON text.
    expect(
      evaluate(
        policies.map((policy) => JSON.stringify(policy)),
        action,
        resource,
      ).result,
    ).toBe(result);
  });

  it('names the statement that decided', () => {
    const granting = allow('sqs:*', '*', { Sid: 'Queues' });
    const denying = deny('sqs:SendMessage', deadLetterQueue, { Sid: 'NoDeadLetters' });
    expect(evaluate([doc(granting, denying)], 'sqs:SendMessage', queue)).toEqual({ result: 'allowed', statement: granting });
    expect(evaluate([doc(granting, denying)], 'sqs:SendMessage', deadLetterQueue)).toEqual({ result: 'explicitly-denied', statement: denying });
    expect(evaluate([doc(granting)], 'sns:Publish', topic)).toEqual({ result: 'implicitly-denied' });
  });
});

describe("the stack's role policies", () => {
  // The ARNs Terraform puts in for the references of the synthesized policies.
  const arns: Record<string, string> = {
    'aws_dynamodb_table.products-table.arn': table,
    'aws_sns_topic.product-events-topic.arn': topic,
    'aws_sqs_queue.product-events-queue.arn': queue,
    'aws_sqs_queue.product-events-dlq.arn': deadLetterQueue,
    'aws_cloudwatch_log_group.product-logs.arn': logGroup(names.productFunction),
    'aws_cloudwatch_log_group.retry-logs.arn': logGroup(names.retryFunction),
  };
  const policies: Record<string, string> = {};

  beforeAll(() => {
    const synthesized = parse(Testing.synth(stackWithoutCode())).resource.aws_iam_role_policy ?? {};
    for (const { name, policy } of Object.values(synthesized) as Array<{ name: string; policy: string }>) {
      policies[name] = policy.replace(/\$\{([^}]+)\}/g, (_reference, address: string) => {
        const resolved = arns[address];
        if (!resolved) throw new Error(`no ARN for ${address}`);
        return resolved;
      });
    }
  });

  const product = `${names.productFunction}Access`;
  const retry = `${names.retryFunction}Access`;

  it('has one inline policy per function', () => {
    expect(Object.keys(policies).sort()).toEqual([product, retry]);
    for (const policy of Object.values(policies)) expect(policyProblem(policy, 'identity')).toBeUndefined();
  });

  it.each<[string, string, string, Decision['result']]>([
    [product, 'dynamodb:PutItem', table, 'allowed'],
    [product, 'dynamodb:GetItem', table, 'allowed'],
    [product, 'dynamodb:Scan', table, 'allowed'],
    [product, 'dynamodb:DeleteItem', table, 'implicitly-denied'],
    [product, 'dynamodb:PutItem', arn('dynamodb', 'table/Other'), 'implicitly-denied'],
    [product, 'sns:Publish', topic, 'allowed'],
    [product, 'sns:Publish', arn('sns', 'OtherTopic'), 'implicitly-denied'],
    [product, 'sqs:SendMessage', queue, 'implicitly-denied'],
    [product, 'logs:CreateLogStream', logStream(names.productFunction), 'allowed'],
    [product, 'logs:PutLogEvents', logStream(names.productFunction), 'allowed'],
    [product, 'logs:PutLogEvents', logStream(names.retryFunction), 'implicitly-denied'],
    [product, 'logs:CreateLogGroup', logGroup(names.productFunction), 'implicitly-denied'],
    [retry, 'dynamodb:PutItem', table, 'allowed'],
    [retry, 'dynamodb:GetItem', table, 'allowed'],
    [retry, 'dynamodb:Scan', table, 'implicitly-denied'],
    [retry, 'sqs:ReceiveMessage', queue, 'allowed'],
    [retry, 'sqs:DeleteMessage', queue, 'allowed'],
    [retry, 'sqs:GetQueueAttributes', queue, 'allowed'],
    [retry, 'sqs:ChangeMessageVisibility', queue, 'allowed'],
    [retry, 'sqs:SendMessage', queue, 'allowed'],
    [retry, 'sqs:SendMessage', deadLetterQueue, 'allowed'],
    [retry, 'sqs:ReceiveMessage', deadLetterQueue, 'implicitly-denied'],
    [retry, 'sqs:PurgeQueue', queue, 'implicitly-denied'],
    [retry, 'sns:Publish', topic, 'implicitly-denied'],
    [retry, 'logs:PutLogEvents', logStream(names.retryFunction), 'allowed'],
    [retry, 'logs:PutLogEvents', logStream(names.productFunction), 'implicitly-denied'],
  ])('%s: %s on %s is %s', (policy, action, resource, result) => {
    expect(evaluate([policies[policy]!], action, resource).result).toBe(result);
  });

  it('denies the retry role SendMessage once that statement is gone, as the IAM test does with put-role-policy', () => {
    const document = JSON.parse(policies[retry]!) as { Statement: Statement[] };
    const without = { ...document, Statement: document.Statement.filter((statement) => ![statement.Action].flat().includes('sqs:SendMessage')) };
    expect(evaluate([without], 'sqs:SendMessage', queue).result).toBe('implicitly-denied');
    expect(evaluate([without], 'sqs:ReceiveMessage', queue).result).toBe('allowed');
  });
});

describe('deniedMessage', () => {
  const session = `arn:aws:sts::${localstack.accountId}:assumed-role/${names.retryFunction}Role/${names.retryFunction}`;

  it('says why, as IAM does', () => {
    expect(deniedMessage(session, 'sqs:SendMessage', queue, { result: 'implicitly-denied' })).toBe(
      `User: ${session} is not authorized to perform: sqs:SendMessage on resource: ${queue} because no identity-based policy allows the sqs:SendMessage action`,
    );
    expect(deniedMessage(session, 'sqs:SendMessage', queue, { result: 'explicitly-denied', statement: deny('sqs:*') })).toBe(
      `User: ${session} is not authorized to perform: sqs:SendMessage on resource: ${queue} with an explicit deny in an identity-based policy`,
    );
  });
});

describe('firstDenial', () => {
  const session = `arn:aws:sts::${localstack.accountId}:assumed-role/${names.retryFunction}Role/${names.retryFunction}`;
  const send = { action: 'sqs:SendMessage', resource: queue };
  const receive = { action: 'sqs:ReceiveMessage', resource: queue };
  const call = 'sqs POST /';

  it('allows a call only when every action it needs is allowed', () => {
    expect(firstDenial([doc(allow('sqs:*', queue))], session, [receive, send], call)).toBeUndefined();
    expect(firstDenial([doc(allow('sqs:ReceiveMessage', queue))], session, [receive, send], call)).toEqual({
      message: deniedMessage(session, 'sqs:SendMessage', queue, { result: 'implicitly-denied' }),
      summary: `sqs:SendMessage on ${queue} (no identity-based policy allows it)`,
    });
  });

  it('lets an explicit Deny win over an Allow', () => {
    expect(firstDenial([doc(allow('sqs:*')), doc(deny('sqs:SendMessage', queue))], session, [send], call)).toEqual({
      message: deniedMessage(session, 'sqs:SendMessage', queue, { result: 'explicitly-denied', statement: deny('sqs:SendMessage', queue) }),
      summary: `sqs:SendMessage on ${queue} (an identity-based policy denies it)`,
    });
  });

  it('refuses everything to a role with no policies (or no longer there)', () => {
    expect(firstDenial([], session, [receive], call)?.summary).toBe(`sqs:ReceiveMessage on ${queue} (no identity-based policy allows it)`);
  });

  it('allows a call that needs no permission (GetCallerIdentity)', () => {
    expect(firstDenial([], session, [], 'sts POST /')).toBeUndefined();
  });

  it('refuses a call whose action it cannot name, even under a grant of everything', () => {
    const denial = firstDenial([doc(allow('*'))], session, [{ action: 'lambda:', resource: '*' }], 'lambda GET /2015-03-31/nothing');
    expect(denial).toEqual({
      message: `User: ${session} is not authorized to perform: lambda GET /2015-03-31/nothing: the offline runtime cannot name the IAM action it needs, so a role session may not make it`,
      summary: 'lambda GET /2015-03-31/nothing (no IAM action names it)',
    });
  });
});

describe('policyProblem', () => {
  it.each<[string, string, 'identity' | 'trust', string | undefined]>([
    ['a well-formed policy', JSON.stringify(doc(allow('sqs:*'))), 'identity', undefined],
    ['not JSON', '{', 'identity', 'Syntax errors in policy.'],
    ['not an object', '[]', 'identity', 'Syntax errors in policy.'],
    ['no statement', '{"Version":"2012-10-17"}', 'identity', 'Policy document must contain at least one statement.'],
    ['a bad effect', JSON.stringify(doc({ Effect: 'Maybe', Action: '*', Resource: '*' })), 'identity', 'Invalid effect: the effect must be Allow or Deny.'],
    ['no actions', JSON.stringify(doc({ Effect: 'Allow', Resource: '*' })), 'identity', 'Policy statement must contain actions.'],
    ['no resources', JSON.stringify(doc({ Effect: 'Allow', Action: '*' })), 'identity', 'Policy statement must contain resources.'],
    ['a trust policy without resources', JSON.stringify(doc({ Effect: 'Allow', Action: 'sts:AssumeRole' })), 'trust', undefined],
  ])('%s', (_case, document, kind, problem) => {
    expect(policyProblem(document, kind)).toBe(problem);
  });
});
