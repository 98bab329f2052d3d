/**
 * A real deploy: terraform apply of the synthesized stack against moto_server (an AWS emulator
 * that accepts every resource here, though it cannot run the Lambdas without Docker), checked with
 * real AWS API calls, then destroyed.
 */
import { APIGatewayClient, GetIntegrationCommand, GetRestApisCommand, GetStagesCommand, GetResourcesCommand } from '@aws-sdk/client-api-gateway';
import { DescribeTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetFunctionConfigurationCommand, GetPolicyCommand, LambdaClient, ListEventSourceMappingsCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { GetSubscriptionAttributesCommand, ListSubscriptionsByTopicCommand, ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, GetQueueUrlCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type ChildProcess, spawn } from 'node:child_process';
import { awsLimits, env, functions, localstack, names, region, retryPath, timing } from '#spec';
import { testStack } from '../support/stack';
import { freePort, motoSkipReason, waitForPort } from '../../shared/terraform/terraform';
import { synthToDir, terraform, terraformSkipReason } from '../support/terraform';
import { scaled } from '../support/time-scale';

const skip = motoSkipReason() ?? terraformSkipReason();
if (skip) console.log(`Skipping the deploy test: ${skip}`);

(skip ? describe.skip : describe)('deploy to an AWS emulator', () => {
  let moto: ChildProcess;
  let dir: string;
  let endpoint: string;
  const clientConfig = () => ({ region, endpoint, credentials: { accessKeyId: localstack.accessKey, secretAccessKey: localstack.secretKey } });

  beforeAll(async () => {
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    await waitForPort(port, scaled(30_000));
    dir = synthToDir(testStack(undefined, { statePath: 'terraform.tfstate' }));
    await terraform(dir, ['init', '-input=false']);
  }, 120_000);

  afterAll(() => {
    moto?.kill();
  });

  it('applies, creates every resource as declared, and destroys them all', async () => {
    await terraform(dir, ['apply', '-input=false', '-auto-approve', '-var', `endpoint=${endpoint}`], 400_000);
    const outputs = JSON.parse(await terraform(dir, ['output', '-json'])) as Record<string, { value: string }>;
    expect(outputs.api_url!.value).toBe(localstack.apiUrl);
    expect(outputs.table_name!.value).toBe(names.table);

    const dynamo = new DynamoDBClient(clientConfig());
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: names.table }));
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');

    const sqs = new SQSClient({ ...clientConfig(), useQueueUrlAsEndpoint: false });
    const queueUrl = (await sqs.send(new GetQueueUrlCommand({ QueueName: names.queue }))).QueueUrl!;
    expect(outputs.queue_url!.value).toBe(queueUrl);
    const { Attributes: queue = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
    expect(Number(queue.VisibilityTimeout)).toBe(retryPath.visibilityTimeoutSeconds);
    expect(JSON.parse(queue.RedrivePolicy!)).toMatchObject({
      deadLetterTargetArn: expect.stringContaining(names.deadLetterQueue),
      maxReceiveCount: retryPath.maxReceiveCount,
    });
    expect(JSON.parse(queue.Policy!).Statement[0].Condition.ArnEquals['aws:SourceArn']).toContain(names.topic);

    const sns = new SNSClient(clientConfig());
    const topicArn = (await sns.send(new ListTopicsCommand({}))).Topics?.find((t) => t.TopicArn?.endsWith(`:${names.topic}`))?.TopicArn;
    expect(topicArn).toBeDefined();
    const [subscription] = (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }))).Subscriptions ?? [];
    expect(subscription).toMatchObject({ Protocol: 'sqs', Endpoint: expect.stringContaining(names.queue) });
    const { Attributes: subscriptionAttributes = {} } = await sns.send(
      new GetSubscriptionAttributesCommand({ SubscriptionArn: subscription!.SubscriptionArn }),
    );
    expect(subscriptionAttributes.RawMessageDelivery).toBe('true');

    const lambda = new LambdaClient(clientConfig());
    const product = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: names.productFunction }));
    expect(product).toMatchObject({ Runtime: functions.runtime, Handler: functions.handler, Timeout: timing.productTimeoutSeconds });
    expect(product.Environment?.Variables).toMatchObject({ [env.tableName]: names.table, [env.topicArn]: topicArn });
    const retry = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: names.retryFunction }));
    expect(retry.Environment?.Variables).toMatchObject({
      [env.tableName]: names.table,
      [env.queueUrl]: queueUrl,
      [env.deadLetterQueueUrl]: outputs.dlq_url!.value,
    });
    // Listed unfiltered: moto's FunctionName filter does not match a plain function name.
    const { EventSourceMappings: allMappings = [] } = await lambda.send(new ListEventSourceMappingsCommand({}));
    const EventSourceMappings = allMappings.filter((m) => m.FunctionArn === retry.FunctionArn);
    expect(EventSourceMappings).toHaveLength(1);
    expect(EventSourceMappings[0]).toMatchObject({ BatchSize: retryPath.batchSize, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    expect(EventSourceMappings[0]!.EventSourceArn).toContain(names.queue);

    // API Gateway may invoke the product function, from this API's /productApi only, with the account id filled in.
    const permission = JSON.parse((await lambda.send(new GetPolicyCommand({ FunctionName: names.productFunction }))).Policy!).Statement[0];
    expect(permission.Principal).toEqual({ Service: 'apigateway.amazonaws.com' });
    expect(JSON.stringify(permission.Condition)).toMatch(new RegExp(`arn:aws:execute-api:${region}:\\d{12}:${names.restApiId}/\\*/\\*/${names.resource}`));

    const apigateway = new APIGatewayClient(clientConfig());
    const api = (await apigateway.send(new GetRestApisCommand({}))).items?.find((a) => a.name === names.restApi);
    expect(api?.tags).toMatchObject({ _custom_id_: names.restApiId });
    const { item: stages = [] } = await apigateway.send(new GetStagesCommand({ restApiId: api!.id }));
    expect(stages.map((s) => s.stageName)).toEqual([names.stage]);
    const { items: apiResources = [] } = await apigateway.send(new GetResourcesCommand({ restApiId: api!.id }));
    const route = apiResources.find((r) => r.path === `/${names.resource}`);
    expect(Object.keys(route?.resourceMethods ?? {}).sort()).toEqual(['GET', 'POST']);
    for (const httpMethod of ['GET', 'POST']) {
      const integration = await apigateway.send(new GetIntegrationCommand({ restApiId: api!.id, resourceId: route!.id, httpMethod }));
      expect(integration.timeoutInMillis).toBe(awsLimits.apiGatewayIntegrationTimeoutMs);
    }

    await terraform(dir, ['destroy', '-input=false', '-auto-approve', '-var', `endpoint=${endpoint}`], 400_000);
    expect((await dynamo.send(new ListTablesCommand({}))).TableNames ?? []).not.toContain(names.table);
    expect((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).toEqual([]);
    expect((await sns.send(new ListTopicsCommand({}))).Topics ?? []).toEqual([]);
    expect((await lambda.send(new ListFunctionsCommand({}))).Functions ?? []).toEqual([]);
    expect((await apigateway.send(new GetRestApisCommand({}))).items ?? []).toEqual([]);
  }, 600_000);
});
