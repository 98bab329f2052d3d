/**
 * What IAM authorizes for one AWS call: the actions and resource ARNs the runtime evaluates a
 * role's policies for (policy.ts) before it serves a call signed with the role's credentials.
 * It follows the Service Authorization Reference and the services' own permission tables:
 *
 * - An action is named after its operation (`dynamodb:PutItem`), except where AWS names it
 *   otherwise: SQS's batch operations need their single actions (`SendMessageBatch` is
 *   `sqs:SendMessage`), SNS's `PublishBatch` is `sns:Publish`, Lambda's `Invoke` is
 *   `lambda:InvokeFunction`, and API Gateway's management API is authorized by HTTP method
 *   (`apigateway:GET`, `POST`, `PUT`, `PATCH`, `DELETE`) on the path it calls,
 *   `arn:aws:apigateway:<region>::/restapis/<id>/...`.
 * - Some calls need more than one: a batch or a transaction on several tables one per table
 *   (DynamoDB's TransactWriteItems needs each item's own action), a Lambda function created or
 *   reconfigured with a role needs `iam:PassRole` on that role too.
 * - Actions the reference lists without a resource type (ListTables, ListTopics, ListFunctions,
 *   CreateEventSourceMapping, ListRoles, ...) are authorized on `*`; the list operations SQS and
 *   Logs scope to an account (ListQueues, DescribeLogGroups) on `arn:...:*`, as they document.
 * - Logs: log group operations on `arn:aws:logs:<region>:<account>:log-group:<name>`, stream
 *   operations (CreateLogStream, PutLogEvents, GetLogEvents, DeleteLogStream) on the stream,
 *   `...:log-group:<name>:log-stream:<stream>`, which is what a role's
 *   `log-group:<name>:log-stream:*` or `log-group:<name>:*` grants.
 * - STS GetCallerIdentity needs no permission (AWS answers it even under an explicit Deny): no
 *   authorizations, so nothing is evaluated.
 * - An operation not mapped here, or a call missing the parameter that names its resource, is
 *   authorized as `<prefix>:<Operation>` on `*`: only a grant on every resource allows it.
 *
 * Not modelled: condition keys (policy.ts evaluates none), resource-based policies, IAM role
 * paths (a role is `role/<name>` unless the call gives its path, as CreateRole does), Lambda
 * layers and aliases, DynamoDB PartiQL and streams, SQS message move tasks by handle.
 */
import { canonicalQueueUrl } from '../../protocol/aws-wire';
import { parseQuery } from '../../protocol/query';
import type { AuthorizedCall } from '../../protocol/contracts';

/** One action on one resource that IAM must allow for the call to go ahead. */
export interface Authorization {
  /** `<service prefix>:<Action>`, e.g. `sqs:SendMessage`. */
  action: string;
  /** The resource ARN, or `*` for an action without a resource type. */
  resource: string;
}

// The call IAM authorizes is the edge's contract with it; its callers name it from here.
export type { AuthorizedCall };

type Input = Record<string, unknown>;

/** The actions and resources IAM authorizes for the call: usually one, none for GetCallerIdentity. */
export function authorizationOf(call: AuthorizedCall): Authorization[] {
  const input = inputOf(call);
  const mapper = Object.hasOwn(SERVICES, call.service) ? SERVICES[call.service] : undefined;
  const mapped = mapper?.(call, input);
  return mapped ?? [{ action: `${call.service}:${call.operation}`, resource: '*' }];
}

type Mapper = (call: AuthorizedCall, input: Input) => Authorization[] | undefined;

const SERVICES: Record<string, Mapper> = { dynamodb, sqs, sns, logs, lambda, apigateway, iam, sts };

// ---- input ----------------------------------------------------------------------------------

function inputOf(call: AuthorizedCall): Input {
  if (call.protocol === 'query') return parseQuery(call.body) as Input;
  if (call.body.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(call.body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Input) : {};
  } catch {
    return {};
  }
}

const text = (input: Input, name: string): string | undefined => {
  const value = input[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/** A list member: a JSON array, or a query list (`Name.member.N`) that parseQuery made an array or left a single value. */
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

const record = (value: unknown): Input => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Input) : {});

const one = (action: string, resource: string | undefined): Authorization[] => [{ action, resource: resource ?? '*' }];

const unique = (authorizations: Authorization[]): Authorization[] => {
  const seen = new Set<string>();
  return authorizations.filter(({ action, resource }) => {
    const key = `${action} ${resource}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
};

// ---- DynamoDB -------------------------------------------------------------------------------

const DYNAMODB_UNSCOPED = new Set(['ListTables', 'ListBackups', 'ListGlobalTables', 'ListExports', 'ListImports', 'DescribeEndpoints', 'DescribeLimits']);
const TRANSACT_WRITE: Record<string, string> = { ConditionCheck: 'ConditionCheckItem', Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem' };

function dynamodb({ operation, region, accountId }: AuthorizedCall, input: Input): Authorization[] | undefined {
  // TableName may be the table's ARN.
  const table = (name: string) => (name.startsWith('arn:') ? name : `arn:aws:dynamodb:${region}:${accountId}:table/${name}`);
  const action = `dynamodb:${operation}`;
  if (DYNAMODB_UNSCOPED.has(operation)) return one(action, '*');
  switch (operation) {
    case 'BatchGetItem':
    case 'BatchWriteItem': {
      const tables = Object.keys(record(input.RequestItems));
      return tables.length > 0 ? tables.map((name) => ({ action, resource: table(name) })) : undefined;
    }
    case 'TransactGetItems':
    case 'TransactWriteItems': {
      const items = list(input.TransactItems).flatMap((item) =>
        Object.entries(record(item)).flatMap(([kind, request]) => {
          const single = operation === 'TransactGetItems' ? (kind === 'Get' ? 'GetItem' : undefined) : TRANSACT_WRITE[kind];
          const name = text(record(request), 'TableName');
          return single && name ? [{ action: `dynamodb:${single}`, resource: table(name) }] : [];
        }),
      );
      return items.length > 0 ? unique(items) : undefined;
    }
    case 'ListTagsOfResource':
    case 'TagResource':
    case 'UntagResource':
      return one(action, text(input, 'ResourceArn'));
    case 'Query':
    case 'Scan': {
      // A read of a secondary index is authorized on the index.
      const name = text(input, 'TableName');
      const index = text(input, 'IndexName');
      return one(action, name && (index ? `${table(name)}/index/${index}` : table(name)));
    }
    default: {
      const name = text(input, 'TableName');
      return name ? one(action, table(name)) : undefined;
    }
  }
}

// ---- SQS ------------------------------------------------------------------------------------

// The batch operations are authorized as their single actions, as SQS documents.
const SQS_ACTIONS: Record<string, string> = {
  SendMessageBatch: 'SendMessage',
  DeleteMessageBatch: 'DeleteMessage',
  ChangeMessageVisibilityBatch: 'ChangeMessageVisibility',
};

/** The ARN of the queue a queue URL names, in any form LocalStack accepts (canonicalQueueUrl). */
export function queueArnOf(queueUrl: string, region: string): string | undefined {
  const canonical = canonicalQueueUrl(queueUrl, region, 80);
  if (!canonical) return undefined;
  const url = new URL(canonical);
  const queueRegion = /^sqs\.([a-z0-9-]+)\./.exec(url.hostname)?.[1] ?? region;
  const [account, name] = url.pathname.split('/').filter((segment) => segment !== '');
  return `arn:aws:sqs:${queueRegion}:${account}:${name}`;
}

function sqs({ operation, region, accountId, path }: AuthorizedCall, input: Input): Authorization[] | undefined {
  const action = `sqs:${SQS_ACTIONS[operation] ?? operation}`;
  switch (operation) {
    case 'ListQueues':
      return one(action, `arn:aws:sqs:${region}:${accountId}:*`);
    case 'CreateQueue':
    case 'GetQueueUrl': {
      const name = text(input, 'QueueName');
      const owner = text(input, 'QueueOwnerAWSAccountId') ?? accountId;
      return name ? one(action, `arn:aws:sqs:${region}:${owner}:${name}`) : undefined;
    }
    case 'StartMessageMoveTask':
    case 'ListMessageMoveTasks':
      return one(action, text(input, 'SourceArn'));
    default: {
      // The JSON protocol and botocore's query requests carry QueueUrl; older query clients post to the queue's own path.
      const queueUrl = text(input, 'QueueUrl') ?? (path.length > 1 ? `http://localhost${path}` : undefined);
      const queue = queueUrl && queueArnOf(queueUrl, region);
      return queue ? one(action, queue) : undefined;
    }
  }
}

// ---- SNS ------------------------------------------------------------------------------------

// The reference lists these without a resource type.
const SNS_UNSCOPED = new Set([
  'ListTopics',
  'ListSubscriptions',
  'GetSubscriptionAttributes',
  'SetSubscriptionAttributes',
  'Unsubscribe',
  'CreatePlatformApplication',
  'ListPlatformApplications',
  'CheckIfPhoneNumberIsOptedOut',
  'GetSMSAttributes',
  'SetSMSAttributes',
]);

function sns({ operation, region, accountId }: AuthorizedCall, input: Input): Authorization[] | undefined {
  const action = `sns:${operation === 'PublishBatch' ? 'Publish' : operation}`;
  if (SNS_UNSCOPED.has(operation)) return one(action, '*');
  switch (operation) {
    case 'CreateTopic': {
      const name = text(input, 'Name');
      return name ? one(action, `arn:aws:sns:${region}:${accountId}:${name}`) : undefined;
    }
    case 'Publish':
      // A publish to a phone number has no topic: `*`.
      return one(action, text(input, 'TopicArn') ?? text(input, 'TargetArn'));
    case 'ListTagsForResource':
    case 'TagResource':
    case 'UntagResource':
      return one(action, text(input, 'ResourceArn'));
    default: {
      const topic = text(input, 'TopicArn');
      return topic ? one(action, topic) : undefined;
    }
  }
}

// ---- CloudWatch Logs ------------------------------------------------------------------------

const LOGS_STREAM_OPERATIONS = new Set(['CreateLogStream', 'PutLogEvents', 'GetLogEvents', 'DeleteLogStream']);
const LOGS_UNSCOPED = new Set(['DescribeDestinations', 'DescribeExportTasks', 'DescribeQueries', 'DescribeQueryDefinitions', 'DescribeResourcePolicies']);

function logs({ operation, region, accountId }: AuthorizedCall, input: Input): Authorization[] | undefined {
  const action = `logs:${operation}`;
  const account = `arn:aws:logs:${region}:${accountId}`;
  // logGroupIdentifier is a name or an ARN (DescribeLogGroups shows it with a trailing `:*`).
  const name = text(input, 'logGroupName') ?? text(input, 'logGroupIdentifier');
  const group = name?.startsWith('arn:') ? name.replace(/:\*$/, '') : name && `${account}:log-group:${name}`;
  if (LOGS_UNSCOPED.has(operation)) return one(action, '*');
  if (operation === 'DescribeLogGroups') return one(action, `${account}:log-group:*`);
  if (operation === 'ListTagsForResource' || operation === 'TagResource' || operation === 'UntagResource') {
    return one(action, text(input, 'resourceArn')?.replace(/:\*$/, ''));
  }
  if (!group) return undefined;
  if (LOGS_STREAM_OPERATIONS.has(operation)) {
    const stream = text(input, 'logStreamName');
    return stream ? one(action, `${group}:log-stream:${stream}`) : undefined;
  }
  return one(action, group);
}

// ---- Lambda ---------------------------------------------------------------------------------

const LAMBDA_ACTIONS: Record<string, string> = { Invoke: 'InvokeFunction' };
const LAMBDA_UNSCOPED = new Set(['ListFunctions', 'ListEventSourceMappings', 'CreateEventSourceMapping', 'GetAccountSettings']);

/** The function ARN a FunctionName names: a name, a partial ARN (`<account>:function:<name>`) or an ARN, each with an optional `:<qualifier>`. */
export function functionArnOf(functionName: string, region: string, accountId: string, qualifier?: string): string {
  let arn: string;
  if (functionName.startsWith('arn:')) arn = functionName;
  else if (/^\d{12}:function:/.test(functionName)) arn = `arn:aws:lambda:${region}:${functionName}`;
  else arn = `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
  // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
  return qualifier && arn.split(':').length === 7 ? `${arn}:${qualifier}` : arn;
}

function lambda({ operation, path, region, accountId, query }: AuthorizedCall, input: Input): Authorization[] | undefined {
  const invoke = /^\/[\d-]+\/functions\/[^/]+\/invocations\/?$/.test(path);
  const action = `lambda:${invoke ? 'InvokeFunction' : (LAMBDA_ACTIONS[operation] ?? operation)}`;
  if (LAMBDA_UNSCOPED.has(operation)) return one(action, '*');
  const segments = path.split('/').filter((segment) => segment !== '');
  const [, collection, id] = segments;
  if (collection === 'tags' && segments.length > 2) return one(action, segments.slice(2).join('/'));
  if (collection === 'event-source-mappings' && id) return one(action, `arn:aws:lambda:${region}:${accountId}:event-source-mapping:${id}`);
  const name = collection === 'functions' && id ? id : text(input, 'FunctionName');
  if (!name) return undefined;
  const authorizations = one(action, functionArnOf(name, region, accountId, query?.get('Qualifier') ?? undefined));
  // Giving a function a role passes the role to Lambda.
  const role = text(input, 'Role');
  if (role && (operation === 'CreateFunction' || operation === 'UpdateFunctionConfiguration')) authorizations.push({ action: 'iam:PassRole', resource: role });
  return authorizations;
}

// ---- API Gateway ----------------------------------------------------------------------------

// The management API's operations by the HTTP method that names their action.
const APIGATEWAY_VERBS: [RegExp, string][] = [
  [/^(Get|Test)/, 'GET'],
  [/^(Create|Import|Generate|Flush)/, 'POST'],
  [/^(Put|TagResource$)/, 'PUT'],
  [/^Update/, 'PATCH'],
  [/^(Delete|UntagResource$)/, 'DELETE'],
];

function apigateway({ operation, method, path, region }: AuthorizedCall): Authorization[] | undefined {
  const verb = method?.toUpperCase() ?? APIGATEWAY_VERBS.find(([pattern]) => pattern.test(operation))?.[1];
  if (!verb) return undefined;
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  // A tag path names the tagged resource by its URL-encoded ARN.
  const tagged = /^\/tags\/(.+)$/.exec(trimmed)?.[1];
  const resource = tagged ? `/tags/${encodeURIComponent(tagged)}` : trimmed;
  return one(`apigateway:${verb}`, `arn:aws:apigateway:${region}::${resource}`);
}

// ---- IAM and STS ----------------------------------------------------------------------------

const IAM_UNSCOPED = new Set(['ListRoles', 'ListPolicies', 'ListUsers', 'GetAccountSummary', 'GetAccountAuthorizationDetails', 'ListAccountAliases']);

function iam({ operation, accountId }: AuthorizedCall, input: Input): Authorization[] | undefined {
  const action = `iam:${operation}`;
  const account = `arn:aws:iam::${accountId}`;
  if (IAM_UNSCOPED.has(operation)) return one(action, '*');
  const role = text(input, 'RoleName');
  if (role) {
    // Only CreateRole carries the role's path; other calls name the role alone.
    const rolePath = operation === 'CreateRole' ? (text(input, 'Path') ?? '/') : '/';
    return one(action, `${account}:role${rolePath}${role}`);
  }
  const policy = text(input, 'PolicyArn');
  if (policy) return one(action, policy);
  const user = text(input, 'UserName');
  if (user) return one(action, `${account}:user/${user}`);
  return undefined;
}

function sts({ operation }: AuthorizedCall, input: Input): Authorization[] | undefined {
  if (operation === 'GetCallerIdentity') return [];
  if (operation === 'AssumeRole') return one('sts:AssumeRole', text(input, 'RoleArn'));
  return undefined;
}
