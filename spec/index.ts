/**
 * The single source of names and settings. The CDKTF stack, the Lambdas' defaults and the
 * offline runtime all read this module, so they cannot drift apart.
 */

export const names = {
  table: 'Products',
  topic: 'ProductEventsTopic',
  queue: 'ProductEventsQueue',
  /**
   * Where the retry Lambda parks what can never succeed, where SQS redrives a message received
   * maxReceiveCount times, and where SNS dead-letters a delivery to the queue that failed (the
   * subscription's redrive policy): one queue to count, alarm on and redrive from.
   */
  deadLetterQueue: 'ProductEventsDLQ',
  productFunction: 'ProductFunction',
  retryFunction: 'ProductRetryFunction',
  restApi: 'ProductApi',
  /** LocalStack gives the REST API this id through the `_custom_id_` tag (the tutorial's URLs use it). */
  restApiId: '12345',
  stage: 'dev',
  resource: 'productApi',
} as const;

/**
 * Every dead-letter queue of the stack: what the experiment's recovery check, the randomized
 * invariants and `npm run chaos -- redrive` count and drain. One today (see names.deadLetterQueue).
 */
export const deadLetterQueues: readonly string[] = [names.deadLetterQueue];

/** Environment variable names shared by the stack (which sets them) and the Lambdas (which read them). */
export const env = {
  tableName: 'TABLE_NAME',
  topicArn: 'TOPIC_ARN',
  queueUrl: 'QUEUE_URL',
  deadLetterQueueUrl: 'DLQ_URL',
  requestTimeoutMs: 'AWS_REQUEST_TIMEOUT_MS',
  connectTimeoutMs: 'AWS_CONNECT_TIMEOUT_MS',
  dynamoBudgetMs: 'DYNAMODB_BUDGET_MS',
  breakerThreshold: 'BREAKER_FAILURE_THRESHOLD',
  breakerCooldownMs: 'BREAKER_COOLDOWN_MS',
  backoffBaseSeconds: 'RETRY_BACKOFF_BASE_SECONDS',
  backoffCapSeconds: 'RETRY_BACKOFF_CAP_SECONDS',
  maxReceiveCount: 'MAX_RECEIVE_COUNT',
  requeueWindow: 'RETRY_REQUEUE_WINDOW',
  requeueHoldBaseSeconds: 'RETRY_REQUEUE_HOLD_BASE_SECONDS',
  requeueHoldCapSeconds: 'RETRY_REQUEUE_HOLD_CAP_SECONDS',
  clockSkewSeconds: 'RETRY_CLOCK_SKEW_SECONDS',
  maxWriteAgeDays: 'RETRY_MAX_WRITE_AGE_DAYS',
  /**
   * The product Lambda's fallback to the queue: "on" (the default, unset) or "off". Off, a write
   * DynamoDB fails is lost with a failed invocation (API Gateway 502), as in the tutorial's app
   * before the fix; `scripts/probe.ts fallback --off|--on` switches it for an experiment.
   */
  writeFallback: 'WRITE_FALLBACK',
} as const;

/**
 * The time budget. API Gateway gives an integration 29 s. The product Lambda must answer 200 or
 * 202 even when every AWS call is 5 s slower (the tutorial's latency effect), so one attempt may
 * take up to 6 s, DynamoDB gets at most 8 s in all, and what remains of the 20 s Lambda timeout
 * (minus a safety margin) goes to the SNS fallback.
 */
export const timing = {
  productTimeoutSeconds: 20,
  retryTimeoutSeconds: 30,
  connectTimeoutMs: 1_000,
  requestTimeoutMs: 6_000,
  dynamoMaxAttempts: 2,
  dynamoBudgetMs: 8_000,
  snsMaxAttempts: 3,
  sqsMaxAttempts: 3,
  /** Kept free at the end of an invocation to build and return the response. */
  safetyMarginMs: 500,
  /** Consecutive transient DynamoDB failures that open the breaker, and how long it stays open. */
  breakerThreshold: 3,
  breakerCooldownMs: 5_000,
  /**
   * Retry backoff: base × 2^(receiveCount-1) seconds, capped. The cap bounds recovery after an
   * outage of any length: a queued write is received at least every `backoffCapSeconds`, and the
   * retry Lambda's breaker turns all but one probe per `breakerCooldownMs` into no DynamoDB call,
   * so the worst wait after an outage ends is about cooldown + cap + one poll (5 + 2 + ~1 s, under
   * the 10 s target), while DynamoDB sees one probe per cooldown per retry environment.
   * The price is SQS and Lambda requests during the outage (see docs/performance.md, "Recovery after a long outage").
   */
  backoffBaseSeconds: 1,
  backoffCapSeconds: 2,
} as const;

/**
 * The retry path. The queue hides a message for 6 × the retry Lambda's timeout (AWS's advice for
 * event source mappings). maxReceiveCount is SQS's maximum, and a valid write that reaches it
 * during an outage is re-queued by the retry Lambda as a fresh message, so no outage is long
 * enough to dead-letter it; the redrive still catches messages whose invocations keep crashing.
 * Poison messages do not wait for this: the retry Lambda moves them to the DLQ at once. At the
 * backoff cap (2 s) a write queued through an outage nears the threshold after about 33 minutes
 * and is re-queued then, once per 33 minutes of outage.
 */
export const retryPath = {
  visibilityTimeoutSeconds: 6 * timing.retryTimeoutSeconds,
  maxReceiveCount: 1000,
  messageRetentionSeconds: 14 * 24 * 60 * 60,
  batchSize: 10,
  maximumConcurrency: 2,
  receiveWaitTimeSeconds: 20,
  /**
   * Both queues' largest message, body plus attributes, in bytes: 256 KiB, the most the Terraform
   * AWS provider 5.100 accepts for max_message_size (SQS itself allows 1 MiB since 2025). Stated,
   * so every way of deploying sets it, and the retry Lambda cuts DLQ copies to fit it.
   */
  maxMessageBytes: 262_144,
} as const;

/**
 * The retry Lambda's guards: how long it keeps re-queueing a write SQS will not take, and which
 * writes it trusts. A write DynamoDB refuses (ValidationException and the like) passed our
 * validation, so it is retried like one DynamoDB cannot take now, never dead-lettered for that.
 */
export const retryGuards = {
  /**
   * 16 receives: the first failed re-queue hides the write for one backoff cap, each further one
   * twice as long up to 15 minutes, so SQS must refuse SendMessage for hours (while DynamoDB is
   * down and ReceiveMessage works) before the queue's redrive can take a valid write.
   */
  requeueWindow: 16,
  requeueHoldCapSeconds: 900,
  /**
   * Lambda environments keep NTP time; five minutes is far beyond their skew and bounds how long
   * a stamp ahead of the clock can hold an id: the retry Lambda refuses a queued write beyond it,
   * and on both write paths a stored updatedAt beyond it does not count (lambdas/domain/ordering.ts).
   */
  clockSkewSeconds: 300,
  /**
   * The end of a write's retry window. A write is re-queued before the redrive threshold, so it
   * can wait out an outage (or refusals) of any length; a year is far beyond any outage and the
   * queues' 14-day retention.
   */
  maxWriteAgeDays: 365,
} as const;

/** AWS's own limits that the stack, the Lambdas and the offline runtime rely on. */
export const awsLimits = {
  /** API Gateway's maximum integration timeout for a REST API (set on the integration, enforced offline). */
  apiGatewayIntegrationTimeoutMs: 29_000,
  /** API Gateway's largest request body (10 MiB); the offline edge refuses larger ones with 413. */
  apiGatewayMaxPayloadBytes: 10 * 1024 * 1024,
  /** SQS: the longest DelaySeconds of a message. */
  sqsMaxDelaySeconds: 900,
  /** SQS: the most entries of one batch call (DeleteMessageBatch). */
  sqsMaxBatchEntries: 10,
  /** SQS: the longest visibility timeout (12 hours). */
  sqsMaxVisibilitySeconds: 43_200,
  /** DynamoDB: the largest partition key value, in bytes. */
  dynamoMaxKeyBytes: 2_048,
  /** Lambda: a CreateFunction or UpdateFunctionCode request must be smaller (the base64 of a 50 MiB zip); 413 RequestEntityTooLargeException. */
  lambdaRequestLimitBytes: 69_905_067,
  /** Lambda: a function's code must unzip smaller (250 MiB); 400 InvalidParameterValueException. */
  lambdaUnzippedLimitBytes: 262_144_000,
} as const;

/**
 * What the offline runtime decides where AWS or LocalStack would. The product function's
 * concurrency limit: the execution environments it gets, as AWS gives a function with this
 * reserved concurrency; beyond it an invocation is throttled at once (Lambda 429, API Gateway
 * 500 "Internal server error"). The retry function's limit is retryPath.maximumConcurrency.
 * The event source's long poll is shorter than the queue's 20 s so a stop is quick.
 * Each execution environment's young generation (V8's new objects) is V8's smallest, 1 MB
 * semi-spaces, instead of its 48 MB default: up to productConcurrency environments share the
 * runtime's one process, and an invocation's short-lived objects die young in a small one too.
 */
export const offline = {
  productConcurrency: 10,
  pollWaitSeconds: 5,
  /**
   * The deepest nesting of arrays and objects a JSON request body may have (the Chaos API, the
   * dashboard, the AWS APIs): what reads it recurses. DynamoDB's own limit, 32 levels of nested
   * attribute values, is about 70 in the request's JSON.
   */
  maxJsonDepth: 100,
  lambdaYoungGenerationMb: 3,
  /**
   * How long the edge keeps an idle connection open. Node's default (5 s) races clients that
   * reuse a pooled connection after about that long: the request meets the closing socket and
   * fails with "socket hang up". AWS's endpoints and load balancers keep idle connections for a minute.
   */
  idleConnectionSeconds: 65,
} as const;

/** The tutorial's fault: DynamoDB fails 80% of calls with 500 SomethingWentWrong. */
export const tutorialFault = {
  service: 'dynamodb',
  probability: 0.8,
  error: { statusCode: 500, code: 'SomethingWentWrong' },
} as const;

export const region = 'us-east-1';

/** Settings of the deployed functions. */
export const functions = {
  runtime: 'nodejs22.x',
  handler: 'index.handler',
  memoryMb: 256,
  logRetentionDays: 14,
  /** Where `npm run build` puts each bundle; the stack zips these folders. */
  productBundleDir: 'dist/product',
  retryBundleDir: 'dist/retry',
} as const;

const localstackPort = 4566;

/** LocalStack's defaults: where it listens and the account and credentials it accepts. */
export const localstack = {
  /** LocalStack's edge port, which the offline runtime takes too. */
  port: localstackPort,
  endpoint: `http://localhost:${localstackPort}`,
  accountId: '000000000000',
  accessKey: 'test',
  secretKey: 'test',
  /** The tutorial's URL: LocalStack serves the REST API with the id from its `_custom_id_` tag. */
  apiUrl: `http://${names.restApiId}.execute-api.localhost.localstack.cloud:${localstackPort}/${names.stage}/${names.resource}`,
} as const;

export interface ResourceRefs {
  tableName: string;
  topicArn: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
}

/** The environment each function gets, wherever it runs (stack or offline runtime). */
export function functionEnvironment(refs: ResourceRefs): { product: Record<string, string>; retry: Record<string, string> } {
  // Stack traces point into the TypeScript through the bundles' source maps.
  const common = { NODE_OPTIONS: '--enable-source-maps' };
  return {
    product: { ...common, [env.tableName]: refs.tableName, [env.topicArn]: refs.topicArn },
    retry: {
      ...common,
      [env.tableName]: refs.tableName,
      [env.queueUrl]: refs.queueUrl,
      [env.deadLetterQueueUrl]: refs.deadLetterQueueUrl,
      // The queue's redrive threshold: near it, the retry Lambda re-queues a valid write instead of letting SQS dead-letter it.
      [env.maxReceiveCount]: String(retryPath.maxReceiveCount),
    },
  };
}

/** An identity-policy statement, as both the stack and the offline runtime's provisioning write it. */
export interface PolicyStatement {
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
}

export const policyDocument = (statements: readonly object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

/** Who may assume the functions' roles: Lambda. */
export const lambdaTrustPolicy = policyDocument([{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }]);

export interface PolicyRefs {
  tableArn: string;
  topicArn: string;
  queueArn: string;
  deadLetterQueueArn: string;
}

/** Each function's role: its name, its inline policy's name and statements (least privilege), given its log group's ARN. */
export function functionRoles(refs: PolicyRefs) {
  const logs = (logGroupArn: string): PolicyStatement => ({
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    // Log stream names are chosen by Lambda at run time, so the stream part must be a wildcard.
    Resource: [`${logGroupArn}:log-stream:*`],
  });
  const role = (functionName: string, statements: (logGroupArn: string) => PolicyStatement[]) => ({
    roleName: `${functionName}Role`,
    policyName: `${functionName}Access`,
    statements: (logGroupArn: string) => [...statements(logGroupArn), logs(logGroupArn)],
  });
  return {
    product: role(names.productFunction, () => [
      { Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:Scan'], Resource: [refs.tableArn] },
      { Effect: 'Allow', Action: ['sns:Publish'], Resource: [refs.topicArn] },
    ]),
    retry: role(names.retryFunction, () => [
      // GetItem: a failed write condition is confirmed by a consistent read when DynamoDB's error
      // does not carry the stored item (lambdas/resilience/guarded-put.ts).
      { Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:GetItem'], Resource: [refs.tableArn] },
      {
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
        Resource: [refs.queueArn],
      },
      // SendMessage on the queue itself: a write near the redrive threshold is re-queued, not dead-lettered.
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [refs.queueArn, refs.deadLetterQueueArn] },
    ]),
  };
}

/** A resource-policy statement letting an AWS service act on a resource under a condition, as SQS and Lambda store one. */
export const serviceGrant = (sid: string, service: string, action: string, resource: string, condition: Record<string, Record<string, string>>) => ({
  Sid: sid,
  Effect: 'Allow',
  Principal: { Service: service },
  Action: action,
  Resource: resource,
  Condition: condition,
});

/** The queue policy of the queue and the DLQ: only the topic may send (the DLQ takes its subscription's dead letters). */
export const topicMaySendPolicy = (queueArn: string, topicArn: string) =>
  policyDocument([serviceGrant('AllowProductEventsTopic', 'sns.amazonaws.com', 'sqs:SendMessage', queueArn, { ArnEquals: { 'aws:SourceArn': topicArn } })]);

/** The subscription's redrive policy: a delivery SNS gives up on lands in the DLQ (see infra/stack.ts). */
export const subscriptionRedrivePolicy = (deadLetterQueueArn: string) => JSON.stringify({ deadLetterTargetArn: deadLetterQueueArn });

/** The queue's redrive policy: SQS moves a message received maxReceiveCount times to the DLQ. */
export const queueRedrivePolicy = (deadLetterQueueArn: string, maxReceiveCount: number = retryPath.maxReceiveCount) =>
  JSON.stringify({ deadLetterTargetArn: deadLetterQueueArn, maxReceiveCount });

/** The API's resource that API Gateway may invoke the product function for (AddPermission's SourceArn). */
export const apiInvokeSourceArn = (executionArn: string) => `${executionArn}/*/*/${names.resource}`;

/** The methods the product API serves, each an AWS_PROXY integration to the product function. */
export const apiMethods = ['GET', 'POST'] as const;

/**
 * The REST API's binaryMediaTypes: a request whose Content-Type matches reaches the product
 * function base64-encoded (isBase64Encoded), byte for byte. Any other body API Gateway decodes as
 * UTF-8 text, replacing bytes that are not UTF-8 with U+FFFD, so the function could not tell
 * Latin-1 "café" from "caf\uFFFD". Every JSON type the function accepts is an application/ type.
 */
export const apiBinaryMediaTypes = ['application/*'] as const;

/** The permission that lets API Gateway invoke the product function. */
export const apiPermissionStatementId = 'AllowProductApiInvoke';
