/**
 * The app's resources, created through the runtime's own AWS APIs with the SDK, the way
 * `terraform apply` of infra/stack.ts creates them: the same calls' effects, the same names,
 * settings and policies from the spec. This is how the default `npm start` has the app ready at
 * start (as the tutorial's LocalStack init hook does): one path makes a resource runnable,
 * whether Terraform or this module created it.
 */
import { APIGatewayClient, CreateDeploymentCommand, CreateResourceCommand, CreateRestApiCommand, CreateStageCommand } from '@aws-sdk/client-api-gateway';
import { PutIntegrationCommand, PutMethodCommand } from '@aws-sdk/client-api-gateway';
import { CloudWatchLogsClient, CreateLogGroupCommand, PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { AddPermissionCommand, CreateEventSourceMappingCommand, CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { lambdaInvocationUri } from '../services/apigateway/model';
import { zipSync } from 'fflate';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as spec from '#spec';

export interface ProvisionSettings {
  /** The runtime's URL: every call goes through its edge, as Terraform's would. */
  endpoint: string;
  /** Folder holding each function's bundle folder (dist/product, dist/retry). */
  distDir: string;
  /** The queue's visibility timeout and redrive threshold, scaled down by tests. */
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  /** Extra variables per function, over the stack's: scaled timings, or a test breaking a function on purpose. */
  environment: { product: Record<string, string>; retry: Record<string, string> };
}

/** A value an AWS answer must carry; its absence means the runtime misbehaved. */
function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`The runtime's answer has no ${what}`);
  return value;
}

/** The earliest date a zip entry can hold (MS-DOS time). */
const ZIP_DATE = new Date(1980, 0, 1);

/** The folder's files in a zip, as Terraform's archive of a TerraformAsset holds them. */
export function zipFolder(folder: string): Uint8Array {
  const files = readdirSync(folder, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  return zipSync(
    Object.fromEntries(
      files.map((entry) => {
        const file = path.join(entry.parentPath, entry.name);
        return [path.relative(folder, file).split(path.sep).join('/'), readFileSync(file)];
      }),
    ),
    // Stored, not deflated: the zip never leaves this machine, and the runtime unpacks it at once.
    // A fixed date, so the same code makes the same zip (and CodeSha256), and is unpacked once.
    { level: 0, mtime: ZIP_DATE },
  );
}

/** The table, as the stack declares it; answers its ARN. */
export async function createTable(dynamodb: DynamoDBClient): Promise<{ arn: string }> {
  const { TableDescription } = await dynamodb.send(
    new CreateTableCommand({
      TableName: spec.names.table,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return { arn: must(TableDescription?.TableArn, 'TableArn') };
}

export interface Queue {
  url: string;
  arn: string;
}

export interface Messaging {
  topicArn: string;
  queue: Queue;
  deadLetterQueue: Queue;
}

/** The topic → queue (raw delivery) with the DLQ behind both redrive policies, and the queue policies letting only the topic send. */
export async function createMessaging(
  sqs: SQSClient,
  sns: SNSClient,
  settings: Pick<ProvisionSettings, 'visibilityTimeoutSeconds' | 'maxReceiveCount'>,
): Promise<Messaging> {
  const createQueue = async (name: string, attributes: Record<string, string>): Promise<Queue> => {
    const url = must((await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl, 'QueueUrl');
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
    return { url, arn: must(Attributes?.QueueArn, 'QueueArn') };
  };
  const retention = { MessageRetentionPeriod: String(spec.retryPath.messageRetentionSeconds), MaximumMessageSize: String(spec.retryPath.maxMessageBytes) };
  const deadLetterQueue = await createQueue(spec.names.deadLetterQueue, retention);
  const queue = await createQueue(spec.names.queue, {
    ...retention,
    VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
    ReceiveMessageWaitTimeSeconds: String(spec.retryPath.receiveWaitTimeSeconds),
    RedrivePolicy: spec.queueRedrivePolicy(deadLetterQueue.arn, settings.maxReceiveCount),
  });
  const topicArn = must((await sns.send(new CreateTopicCommand({ Name: spec.names.topic }))).TopicArn, 'TopicArn');
  for (const target of [queue, deadLetterQueue]) {
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: target.url, Attributes: { Policy: spec.topicMaySendPolicy(target.arn, topicArn) } }));
  }
  await sns.send(
    new SubscribeCommand({
      TopicArn: topicArn,
      Protocol: 'sqs',
      Endpoint: queue.arn,
      Attributes: { RawMessageDelivery: 'true', RedrivePolicy: spec.subscriptionRedrivePolicy(deadLetterQueue.arn) },
    }),
  );
  return { topicArn, queue, deadLetterQueue };
}

/** The product API as the stack declares it, proxying to `productArn`: its resource, methods and integrations, deployed to the stage. */
export async function createProductApi(
  apigateway: APIGatewayClient,
  productArn: string,
): Promise<{ restApiId: string; resourceId: string; deploymentId: string }> {
  // The REST API with the id from its _custom_id_ tag, as LocalStack gives it.
  const api = await apigateway.send(
    new CreateRestApiCommand({ name: spec.names.restApi, binaryMediaTypes: [...spec.apiBinaryMediaTypes], tags: { _custom_id_: spec.names.restApiId } }),
  );
  const restApiId = must(api.id, 'id');
  const root = must(api.rootResourceId, 'rootResourceId');
  const resourceId = must((await apigateway.send(new CreateResourceCommand({ restApiId, parentId: root, pathPart: spec.names.resource }))).id, 'resource id');
  for (const httpMethod of spec.apiMethods) {
    await apigateway.send(new PutMethodCommand({ restApiId, resourceId, httpMethod, authorizationType: 'NONE' }));
    await apigateway.send(
      new PutIntegrationCommand({
        restApiId,
        resourceId,
        httpMethod,
        type: 'AWS_PROXY',
        integrationHttpMethod: 'POST',
        uri: lambdaInvocationUri(spec.region, productArn),
        timeoutInMillis: spec.awsLimits.apiGatewayIntegrationTimeoutMs,
      }),
    );
  }
  const deploymentId = must((await apigateway.send(new CreateDeploymentCommand({ restApiId }))).id, 'deployment id');
  await apigateway.send(new CreateStageCommand({ restApiId, deploymentId, stageName: spec.names.stage }));
  return { restApiId, resourceId, deploymentId };
}

export async function provisionApp(settings: ProvisionSettings): Promise<void> {
  const client = {
    region: spec.region,
    endpoint: settings.endpoint,
    credentials: { accessKeyId: spec.localstack.accessKey, secretAccessKey: spec.localstack.secretKey },
  };
  const accountArn = (service: string, resource: string) => `arn:aws:${service}:${spec.region}:${spec.localstack.accountId}:${resource}`;
  const dynamodb = new DynamoDBClient(client);
  const sqs = new SQSClient({ ...client, useQueueUrlAsEndpoint: false });
  const sns = new SNSClient(client);
  const logs = new CloudWatchLogsClient(client);
  const iam = new IAMClient(client);
  const lambda = new LambdaClient(client);
  const apigateway = new APIGatewayClient(client);
  try {
    const table = await createTable(dynamodb);
    const { topicArn, queue, deadLetterQueue } = await createMessaging(sqs, sns, settings);

    const stackEnvironment = spec.functionEnvironment({ tableName: spec.names.table, topicArn, queueUrl: queue.url, deadLetterQueueUrl: deadLetterQueue.url });
    const roles = spec.functionRoles({ tableArn: table.arn, topicArn, queueArn: queue.arn, deadLetterQueueArn: deadLetterQueue.arn });
    const createFunction = async (key: 'product' | 'retry', functionName: string, bundleDir: string, timeoutSeconds: number) => {
      const logGroup = `/aws/lambda/${functionName}`;
      await logs.send(new CreateLogGroupCommand({ logGroupName: logGroup }));
      await logs.send(new PutRetentionPolicyCommand({ logGroupName: logGroup, retentionInDays: spec.functions.logRetentionDays }));
      const role = roles[key];
      const { Role } = await iam.send(new CreateRoleCommand({ RoleName: role.roleName, AssumeRolePolicyDocument: spec.lambdaTrustPolicy }));
      await iam.send(
        new PutRolePolicyCommand({
          RoleName: role.roleName,
          PolicyName: role.policyName,
          PolicyDocument: spec.policyDocument(role.statements(accountArn('logs', `log-group:${logGroup}`))),
        }),
      );
      const created = await lambda.send(
        new CreateFunctionCommand({
          FunctionName: functionName,
          Role: must(Role?.Arn, 'Role.Arn'),
          Runtime: spec.functions.runtime,
          Handler: spec.functions.handler,
          Code: { ZipFile: zipFolder(path.join(settings.distDir, path.basename(bundleDir))) },
          MemorySize: spec.functions.memoryMb,
          Timeout: timeoutSeconds,
          Environment: { Variables: { ...stackEnvironment[key], ...settings.environment[key] } },
        }),
      );
      return must(created.FunctionArn, 'FunctionArn');
    };
    const productArn = await createFunction('product', spec.names.productFunction, spec.functions.productBundleDir, spec.timing.productTimeoutSeconds);
    const retryArn = await createFunction('retry', spec.names.retryFunction, spec.functions.retryBundleDir, spec.timing.retryTimeoutSeconds);

    await lambda.send(
      new CreateEventSourceMappingCommand({
        EventSourceArn: queue.arn,
        FunctionName: retryArn,
        BatchSize: spec.retryPath.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: spec.retryPath.maximumConcurrency },
      }),
    );

    const { restApiId } = await createProductApi(apigateway, productArn);
    await lambda.send(
      new AddPermissionCommand({
        FunctionName: spec.names.productFunction,
        StatementId: spec.apiPermissionStatementId,
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        SourceArn: spec.apiInvokeSourceArn(accountArn('execute-api', restApiId)),
      }),
    );
  } finally {
    for (const sdk of [dynamodb, sqs, sns, logs, iam, lambda, apigateway]) sdk.destroy();
  }
}
