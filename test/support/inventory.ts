/**
 * What a target runs, as its own AWS APIs report it, without the ids and timestamps each
 * deployment generates: functions (handler, runtime, environment, timeout, memory, role and its
 * policy), the event source mapping's settings, the API's routes and integrations, the table, the
 * queues' and the subscription's attributes, the log groups. Two deployments of the same stack
 * (Terraform, or the runtime's own provisioning) must report the same inventory.
 */
import { APIGatewayClient, GetResourcesCommand, GetRestApisCommand, GetStagesCommand } from '@aws-sdk/client-api-gateway';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, GetPolicyCommand, LambdaClient, ListEventSourceMappingsCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { GetSubscriptionAttributesCommand, ListSubscriptionsCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { names } from '#spec';
import { sdkConfig } from './clients';

/** Attributes that change on their own (counts, timestamps) or name one deployment (ids). */
const VOLATILE = /Timestamp|Approximate|LastModified|RevisionId|CodeSha256|CodeSize|SubscriptionArn|EventSourceMappingArn|^(id|UUID|RoleId|cacheNamespace)$/;

const byName = <T>(items: T[], key: (item: T) => string) => [...items].sort((a, b) => key(a).localeCompare(key(b)));

/** A JSON policy document parsed, so two serialisations of one policy compare equal. */
const parsed = (document: string | undefined) => (document === undefined ? undefined : (JSON.parse(decodeURIComponent(document)) as unknown));

function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key, item]) => !VOLATILE.test(key) && item !== undefined && key !== '$metadata')
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, item]) => [key, stable(item)]),
  );
}

export async function inventoryOf(url: string): Promise<unknown> {
  const config = sdkConfig(url);
  const lambda = new LambdaClient(config);
  const iam = new IAMClient(config);
  const apigateway = new APIGatewayClient(config);
  const sqs = new SQSClient({ ...config, useQueueUrlAsEndpoint: false });
  const sns = new SNSClient(config);
  const dynamodb = new DynamoDBClient(config);
  const logs = new CloudWatchLogsClient(config);
  try {
    const functions = await Promise.all(
      byName((await lambda.send(new ListFunctionsCommand({}))).Functions ?? [], (fn) => fn.FunctionName ?? '').map(async ({ FunctionName }) => {
        const configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName }));
        const roleName = configuration.Role?.split('/').pop();
        const policyNames = (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
        const policies = await Promise.all(
          policyNames.map(async (PolicyName) => {
            const { PolicyDocument } = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName }));
            return { PolicyName, PolicyDocument: parsed(PolicyDocument) };
          }),
        );
        const resourcePolicy = await lambda.send(new GetPolicyCommand({ FunctionName })).then(
          ({ Policy }) => parsed(Policy),
          () => undefined,
        );
        return { configuration, policies, resourcePolicy };
      }),
    );
    const mappings = byName((await lambda.send(new ListEventSourceMappingsCommand({}))).EventSourceMappings ?? [], (m) => m.EventSourceArn ?? '');

    const apis = await Promise.all(
      ((await apigateway.send(new GetRestApisCommand({}))).items ?? []).map(async (api) => {
        const resources = (await apigateway.send(new GetResourcesCommand({ restApiId: api.id, embed: ['methods'] }))).items ?? [];
        const stages = (await apigateway.send(new GetStagesCommand({ restApiId: api.id }))).item ?? [];
        return {
          id: api.id,
          name: api.name,
          stages: stages.map((stage) => stage.stageName),
          routes: byName(resources, (resource) => resource.path ?? '').map((resource) => ({
            path: resource.path,
            methods: Object.fromEntries(
              Object.entries(resource.resourceMethods ?? {}).map(([method, detail]) => [
                method,
                { authorizationType: detail.authorizationType, integration: detail.methodIntegration },
              ]),
            ),
          })),
        };
      }),
    );

    const queues = await Promise.all(
      ((await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []).sort().map(async (QueueUrl) => {
        const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
        return { QueueUrl, ...Attributes, Policy: parsed(Attributes.Policy), RedrivePolicy: parsed(Attributes.RedrivePolicy) };
      }),
    );
    const subscriptions = await Promise.all(
      ((await sns.send(new ListSubscriptionsCommand({}))).Subscriptions ?? []).map(async ({ SubscriptionArn }) => {
        const { Attributes = {} } = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn }));
        return { ...Attributes, RedrivePolicy: parsed(Attributes.RedrivePolicy) };
      }),
    );
    const table = (await dynamodb.send(new DescribeTableCommand({ TableName: names.table }))).Table;
    const logGroups = ((await logs.send(new DescribeLogGroupsCommand({}))).logGroups ?? []).map(({ logGroupName, retentionInDays }) => ({
      logGroupName,
      retentionInDays,
    }));

    return stable({
      functions,
      mappings,
      apis,
      queues,
      subscriptions,
      table: {
        TableName: table?.TableName,
        KeySchema: table?.KeySchema,
        AttributeDefinitions: table?.AttributeDefinitions,
        BillingMode: table?.BillingModeSummary,
      },
      logGroups,
    });
  } finally {
    for (const client of [lambda, iam, apigateway, sqs, sns, dynamodb, logs]) client.destroy();
  }
}
