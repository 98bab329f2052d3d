/**
 * The whole application as one CDK for Terraform stack: table, topic, queues, both functions with
 * least-privilege roles, the event source mapping and the REST API. Every name and setting comes
 * from the spec (spec/index.ts).
 */
import { ApiGatewayDeployment } from '@cdktf/provider-aws/lib/api-gateway-deployment';
import { ApiGatewayIntegration } from '@cdktf/provider-aws/lib/api-gateway-integration';
import { ApiGatewayMethod } from '@cdktf/provider-aws/lib/api-gateway-method';
import { ApiGatewayResource } from '@cdktf/provider-aws/lib/api-gateway-resource';
import { ApiGatewayRestApi } from '@cdktf/provider-aws/lib/api-gateway-rest-api';
import { ApiGatewayStage } from '@cdktf/provider-aws/lib/api-gateway-stage';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { AssetType, Fn, LocalBackend, TerraformAsset, TerraformLocal, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import path from 'node:path';
import {
  apiBinaryMediaTypes,
  apiInvokeSourceArn,
  apiMethods,
  apiPermissionStatementId,
  awsLimits,
  functionEnvironment,
  functionRoles,
  functions,
  lambdaTrustPolicy,
  localstack,
  names,
  policyDocument,
  type PolicyStatement,
  queueRedrivePolicy,
  retryPath,
  subscriptionRedrivePolicy,
  timing,
  topicMaySendPolicy,
} from '#spec';
import { endpointServices, type DeployTarget } from './deploy-target';
import { REPO_ROOT } from '../shared/paths';

export interface StackOptions {
  /**
   * Where Terraform keeps state, relative to the synthesized stack folder where terraform runs.
   * The default, the project root, survives a new synth and is the same path inside the compose
   * deploy container, which mounts the project.
   */
  statePath?: string;
  /**
   * The folder the bundle folders (dist/product, dist/retry) are read from; the project root by
   * default. A test of the stack's resources alone gives one with empty bundle folders: no build.
   */
  bundleRoot?: string;
}

export class ProductStack extends TerraformStack {
  private readonly bundleRoot: string;

  constructor(scope: Construct, id: string, target: DeployTarget, options: StackOptions = {}) {
    super(scope, id);
    this.bundleRoot = options.bundleRoot ?? REPO_ROOT;

    new LocalBackend(this, { path: options.statePath ?? `../../../terraform.${id}.tfstate` });
    this.provider(target);

    const table = new DynamodbTable(this, 'products-table', {
      name: names.table,
      billingMode: 'PAY_PER_REQUEST',
      hashKey: 'id',
      attribute: [{ name: 'id', type: 'S' }],
    });

    const topic = new SnsTopic(this, 'product-events-topic', { name: names.topic });

    // Only the topic may send to the queue, and to the DLQ (its subscription's dead letters). Each
    // queue carries its policy itself rather than through an aws_sqs_queue_policy: the provider
    // waits 25 s after every change to a queue's attributes, so a separate policy would add 25 s
    // to each apply and each destroy. A queue's own ARN cannot be referenced while it is created,
    // so it is built from the topic's partition, region and account (a local: the policy then
    // reads `${local.queue_arn_prefix}:<name>`, without an expression's quotes inside its JSON).
    const [partition, arnRegion, account] = [1, 3, 4].map((index) => Fn.element(Fn.split(':', topic.arn), index) as string);
    const queueArnPrefix = new TerraformLocal(this, 'queue_arn_prefix', `arn:${partition}:sqs:${arnRegion}:${account}`);
    const topicMaySend = (name: string) => topicMaySendPolicy(`${queueArnPrefix.asString}:${name}`, topic.arn);

    const deadLetterQueue = new SqsQueue(this, 'product-events-dlq', {
      name: names.deadLetterQueue,
      messageRetentionSeconds: retryPath.messageRetentionSeconds,
      maxMessageSize: retryPath.maxMessageBytes,
      policy: topicMaySend(names.deadLetterQueue),
    });

    const queue = new SqsQueue(this, 'product-events-queue', {
      name: names.queue,
      visibilityTimeoutSeconds: retryPath.visibilityTimeoutSeconds,
      messageRetentionSeconds: retryPath.messageRetentionSeconds,
      receiveWaitTimeSeconds: retryPath.receiveWaitTimeSeconds,
      maxMessageSize: retryPath.maxMessageBytes,
      redrivePolicy: queueRedrivePolicy(deadLetterQueue.arn),
      policy: topicMaySend(names.queue),
    });

    new SnsTopicSubscription(this, 'product-events-subscription', {
      topicArn: topic.arn,
      protocol: 'sqs',
      endpoint: queue.arn,
      // The retry Lambda reads the product JSON itself, not an SNS envelope.
      rawMessageDelivery: true,
      // A delivery SNS gives up on lands in the DLQ instead of being dropped: AWS retries SQS
      // deliveries for days, but LocalStack tries once and drops a failed delivery unless this is
      // set. The same DLQ as the retry path's, so one queue holds, counts and redrives every write
      // that could not be applied (npm run chaos -- redrive).
      // The DLQ, created with its policy, accepts the topic's dead letters before the first delivery can fail.
      redrivePolicy: subscriptionRedrivePolicy(deadLetterQueue.arn),
    });

    const environment = functionEnvironment({
      tableName: table.name,
      topicArn: topic.arn,
      queueUrl: queue.url,
      deadLetterQueueUrl: deadLetterQueue.url,
    });

    const roles = functionRoles({ tableArn: table.arn, topicArn: topic.arn, queueArn: queue.arn, deadLetterQueueArn: deadLetterQueue.arn });
    const product = this.lambda('product', {
      functionName: names.productFunction,
      bundleDir: functions.productBundleDir,
      timeoutSeconds: timing.productTimeoutSeconds,
      environment: environment.product,
      role: roles.product,
    });

    const retry = this.lambda('retry', {
      functionName: names.retryFunction,
      bundleDir: functions.retryBundleDir,
      timeoutSeconds: timing.retryTimeoutSeconds,
      environment: environment.retry,
      role: roles.retry,
    });

    new LambdaEventSourceMapping(this, 'retry-event-source', {
      eventSourceArn: queue.arn,
      functionName: retry.arn,
      batchSize: retryPath.batchSize,
      functionResponseTypes: ['ReportBatchItemFailures'],
      scalingConfig: { maximumConcurrency: retryPath.maximumConcurrency },
    });

    const api = this.restApi(product);

    new TerraformOutput(this, 'api_url', {
      value: target.kind === 'localstack' ? localstack.apiUrl : `${api.invokeUrl}/${names.resource}`,
      description: 'POST products here',
    });
    new TerraformOutput(this, 'table_name', { value: table.name });
    new TerraformOutput(this, 'queue_url', { value: queue.url });
    new TerraformOutput(this, 'dlq_url', { value: deadLetterQueue.url });
  }

  private provider(target: DeployTarget): void {
    if (target.kind === 'aws') {
      new AwsProvider(this, 'aws', { region: target.region });
      return;
    }
    // A variable, so one synthesized stack deploys to LocalStack on the host, to the compose
    // network (http://localstack:4566) or to another emulator: `terraform apply -var endpoint=...`.
    const endpoint = new TerraformVariable(this, 'endpoint', {
      type: 'string',
      default: target.endpoint,
      description: 'URL of LocalStack, or of another emulator that speaks its API',
    });
    const offlinePlan = new TerraformVariable(this, 'offline_plan', {
      type: 'bool',
      default: false,
      description: 'Skip the account id look-up so plan works with no endpoint up. ARNs then lack the account id: never apply with it.',
    });
    new AwsProvider(this, 'aws', {
      region: target.region,
      skipRequestingAccountId: offlinePlan.booleanValue,
      accessKey: localstack.accessKey,
      secretKey: localstack.secretKey,
      skipCredentialsValidation: true,
      skipMetadataApiCheck: 'true',
      s3UsePathStyle: true,
      endpoints: [Object.fromEntries(endpointServices.map((service) => [service, endpoint.stringValue]))],
    });
  }

  private lambda(
    id: string,
    options: {
      functionName: string;
      bundleDir: string;
      timeoutSeconds: number;
      environment: Record<string, string>;
      role: { roleName: string; policyName: string; statements: (logGroupArn: string) => PolicyStatement[] };
    },
  ): LambdaFunction {
    const logGroup = new CloudwatchLogGroup(this, `${id}-logs`, {
      name: `/aws/lambda/${options.functionName}`,
      retentionInDays: functions.logRetentionDays,
    });
    const role = new IamRole(this, `${id}-role`, { name: options.role.roleName, assumeRolePolicy: lambdaTrustPolicy });
    new IamRolePolicy(this, `${id}-policy`, {
      role: role.name,
      name: options.role.policyName,
      policy: policyDocument(options.role.statements(logGroup.arn)),
    });
    const bundle = new TerraformAsset(this, `${id}-bundle`, {
      path: path.join(this.bundleRoot, options.bundleDir),
      type: AssetType.ARCHIVE,
    });
    return new LambdaFunction(this, `${id}-function`, {
      functionName: options.functionName,
      role: role.arn,
      runtime: functions.runtime,
      handler: functions.handler,
      filename: bundle.path,
      sourceCodeHash: Fn.filebase64sha256(bundle.path),
      memorySize: functions.memoryMb,
      timeout: options.timeoutSeconds,
      environment: { variables: options.environment },
      dependsOn: [logGroup],
    });
  }

  private restApi(product: LambdaFunction): ApiGatewayStage {
    const api = new ApiGatewayRestApi(this, 'product-api', {
      name: names.restApi,
      binaryMediaTypes: [...apiBinaryMediaTypes],
      // LocalStack takes the API id from this tag, so the tutorial's URL works; AWS ignores it.
      tags: { _custom_id_: names.restApiId },
    });
    const resource = new ApiGatewayResource(this, 'product-api-resource', {
      restApiId: api.id,
      parentId: api.rootResourceId,
      pathPart: names.resource,
    });
    const routes = apiMethods.map((httpMethod) => {
      const method = new ApiGatewayMethod(this, `product-api-${httpMethod.toLowerCase()}`, {
        restApiId: api.id,
        resourceId: resource.id,
        httpMethod,
        authorization: 'NONE',
      });
      const integration = new ApiGatewayIntegration(this, `product-api-${httpMethod.toLowerCase()}-integration`, {
        restApiId: api.id,
        resourceId: resource.id,
        httpMethod: method.httpMethod,
        type: 'AWS_PROXY',
        integrationHttpMethod: 'POST',
        uri: product.invokeArn,
        // The product Lambda's time budget is planned against this limit (see timing in the spec).
        timeoutMilliseconds: awsLimits.apiGatewayIntegrationTimeoutMs,
      });
      return { method, integration };
    });
    const deployment = new ApiGatewayDeployment(this, 'product-api-deployment', {
      restApiId: api.id,
      // A new deployment whenever the routes change; the stage then points at it.
      triggers: {
        redeployment: Fn.sha1(
          Fn.jsonencode([
            resource.id,
            ...routes.flatMap(({ method, integration }) => [method.id, integration.id, integration.uri, integration.timeoutMilliseconds]),
          ]),
        ),
      },
      lifecycle: { createBeforeDestroy: true },
      dependsOn: routes.map(({ integration }) => integration),
    });
    new LambdaPermission(this, 'product-api-permission', {
      statementId: apiPermissionStatementId,
      action: 'lambda:InvokeFunction',
      functionName: product.functionName,
      principal: 'apigateway.amazonaws.com',
      sourceArn: apiInvokeSourceArn(api.executionArn),
    });
    return new ApiGatewayStage(this, 'product-api-stage', {
      restApiId: api.id,
      deploymentId: deployment.id,
      stageName: names.stage,
    });
  }
}
