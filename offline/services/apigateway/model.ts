/**
 * What the API Gateway control plane keeps: REST APIs with their resources, methods and
 * integrations, deployments (frozen snapshots of them) and stages, per account and region; what
 * a stage serves; and AWS's errors for them. The operations in operations/ change these.
 */
import { randomInt } from 'node:crypto';
import { AwsError, type Scope } from '../../protocol/service';

export const BAD_REQUEST = 'BadRequestException';
export const CUSTOM_ID_TAG = '_custom_id_';
export const DEFAULT_TIMEOUT_MS = 29_000;

// AWS's own messages, which SDK users and the provider match on.
export const notFound = (message: string) => new AwsError('NotFoundException', message, 404);
export const conflict = (message: string) => new AwsError('ConflictException', message, 409);
export const badRequest = (message: string) => new AwsError(BAD_REQUEST, message);

/** The RestApi members as GetRestApi answers them, tags aside. */
export interface RestApiInfo {
  id: string;
  name: string;
  description?: string;
  createdDate: number;
  version?: string;
  binaryMediaTypes?: string[];
  minimumCompressionSize?: number;
  apiKeySource: string;
  endpointConfiguration: { types: string[]; ipAddressType: string; vpcEndpointIds?: string[] };
  policy?: string;
  disableExecuteApiEndpoint: boolean;
  rootResourceId: string;
}

export interface MethodInfo {
  httpMethod: string;
  authorizationType: string;
  authorizerId?: string;
  apiKeyRequired: boolean;
  operationName?: string;
  requestParameters?: Record<string, boolean>;
  requestModels?: Record<string, string>;
  requestValidatorId?: string;
  authorizationScopes?: string[];
}

export interface IntegrationInfo {
  type: string;
  httpMethod?: string;
  uri?: string;
  connectionType: string;
  connectionId?: string;
  credentials?: string;
  requestParameters?: Record<string, string>;
  requestTemplates?: Record<string, string>;
  passthroughBehavior: string;
  contentHandling?: string;
  timeoutInMillis: number;
  cacheNamespace: string;
  cacheKeyParameters: string[];
}

export interface Method {
  info: MethodInfo;
  integration?: IntegrationInfo;
}

export interface Resource {
  id: string;
  /** Undefined for the root resource "/". */
  parentId?: string;
  pathPart?: string;
  methods: Map<string, Method>;
}

/** A resource with its methods as a deployment froze them. */
export interface DeployedResource {
  id: string;
  path: string;
  methods: Map<string, Required<Method>>;
}

export interface Deployment {
  id: string;
  description?: string;
  createdDate: number;
  resources: DeployedResource[];
  /** The API's binaryMediaTypes when it was deployed: like its methods, a change is live only once deployed. */
  binaryMediaTypes: string[];
}

export interface StageInfo {
  stageName: string;
  deploymentId: string;
  description?: string;
  cacheClusterEnabled: boolean;
  cacheClusterStatus: string;
  methodSettings: Record<string, never>;
  variables?: Record<string, string>;
  documentationVersion?: string;
  tracingEnabled: boolean;
  createdDate: number;
  lastUpdatedDate: number;
}

export interface Stage {
  info: StageInfo;
  tags: Map<string, string>;
}

export interface RestApi {
  info: RestApiInfo;
  tags: Map<string, string>;
  resources: Map<string, Resource>;
  deployments: Map<string, Deployment>;
  stages: Map<string, Stage>;
}

/** The REST APIs of each account and region. */
export class RestApiStore {
  private readonly scopes = new Map<string, Map<string, RestApi>>();

  apis({ region, accountId }: Scope): Map<string, RestApi> {
    const key = `${accountId}/${region}`;
    let apis = this.scopes.get(key);
    if (!apis) this.scopes.set(key, (apis = new Map()));
    return apis;
  }
}

/** What a deployed route invokes. */
export interface DeployedIntegration {
  type: string;
  uri?: string;
  /** The Lambda function's ARN, from an AWS or AWS_PROXY integration's Lambda invocation URI. */
  functionArn?: string;
  timeoutInMillis: number;
}

export interface DeployedRoute {
  apiId: string;
  stage: string;
  resourceId: string;
  /** The resource's path as defined, e.g. /items/{id}: the proxy event's `resource`. */
  resourcePath: string;
  /** The method that matched: the request's, or ANY. */
  httpMethod: string;
  pathParameters: Record<string, string> | null;
  integration: DeployedIntegration;
  /** The Content-Types whose bodies the function gets base64-encoded (serve.ts). */
  binaryMediaTypes: string[];
}

/** A request the stage serves, or what is missing: no such API, no such stage, or no resource and method for it. */
export type RouteLookup = { route: DeployedRoute } | { missing: 'api' | 'stage' | 'route' };

/** What a runtime serves, for comparing two ways of deploying the same stack. */
export interface ApiInventory {
  id: string;
  name: string;
  stages: { name: string; routes: { method: string; path: string; integration: DeployedIntegration }[] }[];
}

const LOWER_ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const randomId = (length: number) => Array.from({ length }, () => LOWER_ALPHANUMERIC[randomInt(LOWER_ALPHANUMERIC.length)]).join('');
// REST-JSON timestamps are epoch seconds.
export const now = () => Math.floor(Date.now() / 1000);

const LAMBDA_URI = /^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path\/2015-03-31\/functions\/(arn:[^/]+)\/invocations$/;

/** The URI of an integration that invokes a Lambda function in `region`, as Terraform's `invoke_arn` gives it. */
export const lambdaInvocationUri = (region: string, functionArn: string) =>
  `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`;

/** The function a Lambda integration URI invokes (`arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations`). */
export const lambdaFunctionArn = (uri: string | undefined): string | undefined => (uri === undefined ? undefined : LAMBDA_URI.exec(uri)?.[1]);

/** An object without the members whose value is undefined (strict optional properties). */
export function optionalMembers<T extends Record<string, unknown>>(members: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(members).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
