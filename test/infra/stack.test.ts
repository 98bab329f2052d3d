/** The synthesized stack, checked resource by resource against the spec. */
import 'cdktf/lib/testing/adapters/jest';
import { ApiGatewayDeployment } from '@cdktf/provider-aws/lib/api-gateway-deployment';
import { ApiGatewayIntegration } from '@cdktf/provider-aws/lib/api-gateway-integration';
import { ApiGatewayMethod } from '@cdktf/provider-aws/lib/api-gateway-method';
import { ApiGatewayResource } from '@cdktf/provider-aws/lib/api-gateway-resource';
import { ApiGatewayRestApi } from '@cdktf/provider-aws/lib/api-gateway-rest-api';
import { ApiGatewayStage } from '@cdktf/provider-aws/lib/api-gateway-stage';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { Testing } from 'cdktf';
import { apiBinaryMediaTypes, awsLimits, deadLetterQueues, env, functions, localstack, names, region, retryPath, timing } from '#spec';
import { targetFromEnv } from '../../infra/deploy-target';
import { parse, testStack } from '../support/stack';

let synthesized: string;

beforeAll(async () => {
  synthesized = Testing.synth(testStack());
}, 60_000);

const resources = (type: string) => parse(synthesized).resource[type] ?? {};
const only = (type: string) => {
  const all = Object.values(resources(type));
  expect(all).toHaveLength(1);
  return all[0]!;
};

it('points every service at LocalStack through one endpoint variable, with test credentials', () => {
  expect(synthesized).toHaveProviderWithProperties(AwsProvider, {
    region,
    access_key: localstack.accessKey,
    secret_key: localstack.secretKey,
    skip_credentials_validation: true,
    skip_requesting_account_id: '${var.offline_plan}',
  });
  const endpoints = (parse(synthesized).provider.aws![0]!.endpoints as Array<Record<string, string>>)[0]!;
  expect(Object.keys(endpoints).sort()).toEqual(['apigateway', 'dynamodb', 'iam', 'lambda', 'logs', 'sns', 'sqs', 'sts']);
  expect(new Set(Object.values(endpoints))).toEqual(new Set(['${var.endpoint}']));
  expect(parse(synthesized).variable?.endpoint?.default).toBe(localstack.endpoint);
});

it('declares the Products table with key id and on-demand billing', () => {
  expect(synthesized).toHaveResourceWithProperties(DynamodbTable, {
    name: names.table,
    hash_key: 'id',
    billing_mode: 'PAY_PER_REQUEST',
    attribute: [{ name: 'id', type: 'S' }],
  });
});

it('declares the queue with its DLQ redrive, retention and a visibility timeout of at least 6 × the retry timeout', () => {
  expect(synthesized).toHaveResourceWithProperties(SqsQueue, { name: names.deadLetterQueue });
  const queue = resources('aws_sqs_queue')['product-events-queue']!;
  expect(queue).toMatchObject({ name: names.queue, message_retention_seconds: retryPath.messageRetentionSeconds });
  expect(queue.visibility_timeout_seconds).toBeGreaterThanOrEqual(6 * timing.retryTimeoutSeconds);
  expect(JSON.parse(queue.redrive_policy as string)).toEqual({
    deadLetterTargetArn: '${aws_sqs_queue.product-events-dlq.arn}',
    maxReceiveCount: retryPath.maxReceiveCount,
  });
});

it('subscribes the queue to the topic with raw delivery, and lets only that topic send to it', () => {
  expect(synthesized).toHaveResourceWithProperties(SnsTopic, { name: names.topic });
  expect(synthesized).toHaveResourceWithProperties(SnsTopicSubscription, {
    protocol: 'sqs',
    raw_message_delivery: true,
    topic_arn: '${aws_sns_topic.product-events-topic.arn}',
    endpoint: '${aws_sqs_queue.product-events-queue.arn}',
  });
  const policy = JSON.parse(resources('aws_sqs_queue')['product-events-queue']!.policy as string);
  expect(policy.Statement).toEqual([
    expect.objectContaining({
      Effect: 'Allow',
      Principal: { Service: 'sns.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: queueArnFromTopic(names.queue),
      Condition: { ArnEquals: { 'aws:SourceArn': '${aws_sns_topic.product-events-topic.arn}' } },
    }),
  ]);
});

/** A queue's own ARN as its policy names it: the topic's partition, region and account, and the queue's name. */
const queueArnFromTopic = (name: string) => `\${local.queue_arn_prefix}:${name}`;

it('sets each queue policy on the queue itself, so no separate policy resource waits on its own', () => {
  // The provider waits 25 s after each change to a queue's attributes (docs/deploy.md, "How long a deploy takes").
  expect(resources('aws_sqs_queue_policy')).toEqual({});
  for (const queue of Object.values(resources('aws_sqs_queue'))) expect(queue.policy).toEqual(expect.stringContaining(`:${queue.name as string}"`));
  const topicArnPart = (index: number) => `\${element(split(":", aws_sns_topic.product-events-topic.arn), ${index})}`;
  expect(parse(synthesized).locals).toEqual({ queue_arn_prefix: `arn:${topicArnPart(1)}:sqs:${topicArnPart(3)}:${topicArnPart(4)}` });
});

it('dead-letters a failed SNS delivery to the DLQ, which lets only the topic send to it', () => {
  // LocalStack drops a failed SNS → SQS delivery unless the subscription has a redrive policy.
  const subscription = only('aws_sns_topic_subscription');
  expect(JSON.parse(subscription.redrive_policy as string)).toEqual({ deadLetterTargetArn: '${aws_sqs_queue.product-events-dlq.arn}' });

  const dlq = resources('aws_sqs_queue')['product-events-dlq']!;
  expect(JSON.parse(dlq.policy as string).Statement).toEqual([
    {
      Sid: 'AllowProductEventsTopic',
      Effect: 'Allow',
      Principal: { Service: 'sns.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: queueArnFromTopic(names.deadLetterQueue),
      Condition: { ArnEquals: { 'aws:SourceArn': '${aws_sns_topic.product-events-topic.arn}' } },
    },
  ]);
  // Every DLQ the tooling counts and redrives is one the stack declares.
  const queueNames = Object.values(resources('aws_sqs_queue')).map((queue) => queue.name);
  for (const name of deadLetterQueues) expect(queueNames).toContain(name);
});

it('retries a queued write at least every few seconds, so recovery after any outage is quick', () => {
  // Worst case after an outage ends: the breaker's cooldown, then one backoff, then a poll.
  expect(timing.backoffCapSeconds * 1000 + timing.breakerCooldownMs).toBeLessThanOrEqual(8_000);
  expect(timing.backoffBaseSeconds).toBeLessThanOrEqual(timing.backoffCapSeconds);
  // A write waiting out an outage is re-queued near maxReceiveCount, not dead-lettered; at the cap that is every ~33 min.
  expect(retryPath.maxReceiveCount * timing.backoffCapSeconds).toBeGreaterThanOrEqual(30 * 60);
});

it('deploys both functions from the bundles with the spec runtime, timeouts and environment', () => {
  const fns = resources('aws_lambda_function');
  expect(fns['product-function']).toMatchObject({
    function_name: names.productFunction,
    runtime: functions.runtime,
    handler: functions.handler,
    timeout: timing.productTimeoutSeconds,
    environment: {
      variables: {
        [env.tableName]: '${aws_dynamodb_table.products-table.name}',
        [env.topicArn]: '${aws_sns_topic.product-events-topic.arn}',
        NODE_OPTIONS: '--enable-source-maps',
      },
    },
  });
  expect(fns['retry-function']).toMatchObject({
    function_name: names.retryFunction,
    runtime: functions.runtime,
    timeout: timing.retryTimeoutSeconds,
    environment: {
      variables: {
        [env.tableName]: '${aws_dynamodb_table.products-table.name}',
        [env.queueUrl]: '${aws_sqs_queue.product-events-queue.url}',
        [env.deadLetterQueueUrl]: '${aws_sqs_queue.product-events-dlq.url}',
        [env.maxReceiveCount]: String(retryPath.maxReceiveCount),
      },
    },
  });
  for (const fn of Object.values(fns)) {
    expect(fn.filename).toMatch(/^assets\/(product|retry)-bundle\/.+\/archive\.zip$/);
    expect(fn.source_code_hash).toContain('filebase64sha256');
  }
  // The product function must give up before API Gateway does (29 s).
  expect(timing.productTimeoutSeconds).toBeLessThan(29);
  expect(timing.dynamoBudgetMs + timing.requestTimeoutMs + timing.safetyMarginMs).toBeLessThanOrEqual(timing.productTimeoutSeconds * 1000);
});

it('gives each function a log group with retention', () => {
  for (const fn of [names.productFunction, names.retryFunction]) {
    expect(synthesized).toHaveResourceWithProperties(CloudwatchLogGroup, { name: `/aws/lambda/${fn}`, retention_in_days: functions.logRetentionDays });
  }
});

it('maps the queue to the retry function with partial batch responses and the spec batch size and concurrency', () => {
  expect(synthesized).toHaveResourceWithProperties(LambdaEventSourceMapping, {
    event_source_arn: '${aws_sqs_queue.product-events-queue.arn}',
    function_name: '${aws_lambda_function.retry-function.arn}',
    batch_size: retryPath.batchSize,
    function_response_types: ['ReportBatchItemFailures'],
    scaling_config: { maximum_concurrency: retryPath.maximumConcurrency },
  });
});

it('serves POST and GET /productApi through Lambda proxy integration on the dev stage, with the custom id tag and JSON bodies as bytes', () => {
  expect(synthesized).toHaveResourceWithProperties(ApiGatewayRestApi, {
    name: names.restApi,
    binary_media_types: [...apiBinaryMediaTypes],
    tags: { _custom_id_: names.restApiId },
  });
  expect(synthesized).toHaveResourceWithProperties(ApiGatewayResource, { path_part: names.resource });
  for (const method of ['GET', 'POST']) {
    expect(synthesized).toHaveResourceWithProperties(ApiGatewayMethod, { http_method: method, authorization: 'NONE' });
  }
  const integrations = Object.values(resources('aws_api_gateway_integration'));
  expect(integrations).toHaveLength(2);
  for (const integration of integrations) {
    expect(integration).toMatchObject({ type: 'AWS_PROXY', integration_http_method: 'POST', uri: '${aws_lambda_function.product-function.invoke_arn}' });
    expect(integration.timeout_milliseconds).toBe(awsLimits.apiGatewayIntegrationTimeoutMs);
  }
  expect(synthesized).toHaveResource(ApiGatewayIntegration);
  expect(synthesized).toHaveResourceWithProperties(ApiGatewayStage, { stage_name: names.stage });
  expect(synthesized).toHaveResourceWithProperties(LambdaPermission, {
    principal: 'apigateway.amazonaws.com',
    action: 'lambda:InvokeFunction',
    function_name: '${aws_lambda_function.product-function.function_name}',
  });
});

it('redeploys the API when its routes change', () => {
  expect(synthesized).toHaveResource(ApiGatewayDeployment);
  const deployment = only('aws_api_gateway_deployment');
  expect(deployment.lifecycle).toEqual({ create_before_destroy: true });
  const trigger = (deployment.triggers as { redeployment: string }).redeployment;
  for (const part of ['aws_api_gateway_resource', 'aws_api_gateway_method.product-api-post', 'aws_api_gateway_integration.product-api-get-integration']) {
    expect(trigger).toContain(part);
  }
});

it('outputs the tutorial URL, the table and both queue URLs', () => {
  const outputs = parse(synthesized).output;
  expect(outputs.api_url!.value).toBe(localstack.apiUrl);
  expect(outputs.table_name!.value).toBe('${aws_dynamodb_table.products-table.name}');
  expect(outputs.queue_url!.value).toBe('${aws_sqs_queue.product-events-queue.url}');
  expect(outputs.dlq_url!.value).toBe('${aws_sqs_queue.product-events-dlq.url}');
});

describe('IAM', () => {
  type PolicyStatement = { Effect: string; Action: string | string[]; Resource: string | string[] };
  const policies = () =>
    Object.fromEntries(Object.entries(resources('aws_iam_role_policy')).map(([id, p]) => [id, JSON.parse(p.policy as string).Statement as PolicyStatement[]]));
  const list = (value: string | string[]) => (Array.isArray(value) ? value : [value]);
  // The one wildcard AWS leaves no way around: Lambda names its log streams at run time.
  const allowedWildcardResource = /^\$\{aws_cloudwatch_log_group\.(product|retry)-logs\.arn\}:log-stream:\*$/;

  it('has no wildcard action, and no wildcard resource but log streams', () => {
    const statements = Object.values(policies()).flat();
    expect(statements.length).toBeGreaterThan(0);
    for (const statement of statements) {
      for (const action of list(statement.Action)) expect(action).not.toContain('*');
      for (const resource of list(statement.Resource)) {
        if (resource.includes('*')) expect(resource).toMatch(allowedWildcardResource);
      }
    }
  });

  it('grants each function only the calls it makes, on its own resources', () => {
    const grants = (id: string) => Object.fromEntries(policies()[id]!.flatMap((s) => list(s.Action).map((action) => [action, list(s.Resource)])));
    expect(grants('product-policy')).toEqual({
      'dynamodb:PutItem': ['${aws_dynamodb_table.products-table.arn}'],
      'dynamodb:GetItem': ['${aws_dynamodb_table.products-table.arn}'],
      'dynamodb:Scan': ['${aws_dynamodb_table.products-table.arn}'],
      'sns:Publish': ['${aws_sns_topic.product-events-topic.arn}'],
      'logs:CreateLogStream': ['${aws_cloudwatch_log_group.product-logs.arn}:log-stream:*'],
      'logs:PutLogEvents': ['${aws_cloudwatch_log_group.product-logs.arn}:log-stream:*'],
    });
    expect(grants('retry-policy')).toEqual({
      'dynamodb:PutItem': ['${aws_dynamodb_table.products-table.arn}'],
      'dynamodb:GetItem': ['${aws_dynamodb_table.products-table.arn}'],
      'sqs:ReceiveMessage': ['${aws_sqs_queue.product-events-queue.arn}'],
      'sqs:DeleteMessage': ['${aws_sqs_queue.product-events-queue.arn}'],
      'sqs:GetQueueAttributes': ['${aws_sqs_queue.product-events-queue.arn}'],
      'sqs:ChangeMessageVisibility': ['${aws_sqs_queue.product-events-queue.arn}'],
      'sqs:SendMessage': ['${aws_sqs_queue.product-events-queue.arn}', '${aws_sqs_queue.product-events-dlq.arn}'],
      'logs:CreateLogStream': ['${aws_cloudwatch_log_group.retry-logs.arn}:log-stream:*'],
      'logs:PutLogEvents': ['${aws_cloudwatch_log_group.retry-logs.arn}:log-stream:*'],
    });
  });

  it('lets only Lambda assume the roles', () => {
    for (const role of Object.values(resources('aws_iam_role'))) {
      expect(JSON.parse(role.assume_role_policy as string).Statement).toEqual([
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ]);
    }
  });
});

describe('targets', () => {
  it('deploys the same resources to AWS, with the default credential chain and endpoints', async () => {
    const aws = Testing.synth(testStack(targetFromEnv({ DEPLOY_TARGET: 'aws', AWS_REGION: 'eu-west-1' })));
    const provider = parse(aws).provider.aws![0]!;
    expect(provider).toEqual({ region: 'eu-west-1' });
    const types = (json: string) => Object.fromEntries(Object.entries(parse(json).resource).map(([type, all]) => [type, Object.keys(all).sort()]));
    expect(types(aws)).toEqual(types(synthesized));
    expect(parse(aws).output.api_url!.value).toBe(`${'${aws_api_gateway_stage.product-api-stage.invoke_url}'}/${names.resource}`);
  });

  it('reads the target from the environment and rejects an unknown one', () => {
    expect(targetFromEnv({})).toEqual({ kind: 'localstack', region, endpoint: localstack.endpoint });
    const dockerEndpoint = `http://localstack:${localstack.port}`;
    expect(targetFromEnv({ LOCALSTACK_ENDPOINT: dockerEndpoint }).endpoint).toBe(dockerEndpoint);
    expect(() => targetFromEnv({ DEPLOY_TARGET: 'gcp' })).toThrow('DEPLOY_TARGET must be "localstack" or "aws", got "gcp"');
  });
});
