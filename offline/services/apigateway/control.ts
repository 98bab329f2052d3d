/**
 * API Gateway (REST APIs, v1), in memory: the control plane the Terraform AWS provider drives for
 * aws_api_gateway_rest_api, _resource, _method, _integration, _deployment and _stage (REST-JSON,
 * paths, members and errors as in the 2015-07-09 model), and the look-up the runtime serves API
 * requests with. As on AWS, a stage serves the snapshot its deployment took, not the API as it
 * is now: a change is live only after a new deployment. A `_custom_id_` tag sets the API's id,
 * as LocalStack does. Not emulated: authorizers, models, validators, method and integration
 * responses, gateway responses, API keys and usage plans, canaries, caching, domain names,
 * OpenAPI import (PutRestApi, the provider's `body`).
 */
import { randomInt } from 'node:crypto';
import { localstack, region as defaultRegion } from '#spec';
import { type JsonInput, parseJsonBody } from '../../protocol/json';
import { type RestCall, type RestRoute, RestRouter } from '../../protocol/rest-json';
import { AwsError, type AwsRequest, type AwsResponse, type AwsService, type CallShape } from '../../protocol/service';

const BAD_REQUEST = 'BadRequestException';
const CUSTOM_ID_TAG = '_custom_id_';
const HTTP_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'ANY'];
const INTEGRATION_TYPES = ['HTTP', 'AWS', 'MOCK', 'HTTP_PROXY', 'AWS_PROXY'];
const DEFAULT_TIMEOUT_MS = 29_000;

// AWS's own messages, which SDK users and the provider match on.
const notFound = (message: string) => new AwsError('NotFoundException', message, 404);
const conflict = (message: string) => new AwsError('ConflictException', message, 409);
const badRequest = (message: string) => new AwsError(BAD_REQUEST, message);

interface Scope {
  region: string;
  accountId: string;
}

/** The RestApi members as GetRestApi answers them, tags aside. */
interface RestApiInfo {
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

interface MethodInfo {
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

interface IntegrationInfo {
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

interface Method {
  info: MethodInfo;
  integration?: IntegrationInfo;
}

interface Resource {
  id: string;
  /** Undefined for the root resource "/". */
  parentId?: string;
  pathPart?: string;
  methods: Map<string, Method>;
}

/** A resource with its methods as a deployment froze them. */
interface DeployedResource {
  id: string;
  path: string;
  methods: Map<string, Required<Method>>;
}

interface Deployment {
  id: string;
  description?: string;
  createdDate: number;
  resources: DeployedResource[];
  /** The API's binaryMediaTypes when it was deployed: like its methods, a change is live only once deployed. */
  binaryMediaTypes: string[];
}

interface StageInfo {
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

interface Stage {
  info: StageInfo;
  tags: Map<string, string>;
}

interface RestApi {
  info: RestApiInfo;
  tags: Map<string, string>;
  resources: Map<string, Resource>;
  deployments: Map<string, Deployment>;
  stages: Map<string, Stage>;
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
const randomId = (length: number) => Array.from({ length }, () => LOWER_ALPHANUMERIC[randomInt(LOWER_ALPHANUMERIC.length)]).join('');
// REST-JSON timestamps are epoch seconds.
const now = () => Math.floor(Date.now() / 1000);

const LAMBDA_URI = /^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path\/2015-03-31\/functions\/(arn:[^/]+)\/invocations$/;

/** The URI of an integration that invokes a Lambda function in `region`, as Terraform's `invoke_arn` gives it. */
export const lambdaInvocationUri = (region: string, functionArn: string) =>
  `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`;

/** The function a Lambda integration URI invokes (`arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations`). */
export const lambdaFunctionArn = (uri: string | undefined): string | undefined => (uri === undefined ? undefined : LAMBDA_URI.exec(uri)?.[1]);

export class ApiGatewayControlService implements AwsService {
  readonly names = ['apigateway'] as const;
  private readonly scopes = new Map<string, Map<string, RestApi>>();
  private readonly router: RestRouter;

  /** `home` is the runtime's region and account, where `route` and `inventory` look. */
  constructor(private readonly home: Scope = { region: defaultRegion, accountId: localstack.accountId }) {
    this.router = new RestRouter({ validationError: BAD_REQUEST, routes: this.routes() });
  }

  readonly handle = (request: AwsRequest): Promise<AwsResponse> => this.router.handle(request);

  /** The operation a call names, for the edge's chaos and IAM. */
  operationOf(call: CallShape): string | undefined {
    return this.router.operation(call.method, call.path);
  }

  /** The edge renders faults and denials in API Gateway's format with this. */
  errorResponse(error: AwsError, requestId: string): AwsResponse {
    return this.router.errorResponse(error, requestId);
  }

  /**
   * What the stage's deployment serves for a request: the most specific resource whose path
   * matches (literal segments before `{param}`, before `{greedy+}`) that has the method or ANY.
   */
  route(apiId: string, stageName: string, method: string, path: string): RouteLookup {
    const api = this.apis(this.home).get(apiId);
    if (!api) return { missing: 'api' };
    const stage = api.stages.get(stageName);
    const deployment = stage && api.deployments.get(stage.info.deploymentId);
    if (!deployment) return { missing: 'stage' };
    const segments = splitPath(path);
    const candidates = deployment.resources
      .map((resource) => ({ resource, match: matchPath(splitPath(resource.path), segments) }))
      .filter((candidate) => candidate.match !== undefined && (candidate.resource.methods.has(method.toUpperCase()) || candidate.resource.methods.has('ANY')))
      .sort((a, b) => compareRanks(a.match?.rank ?? [], b.match?.rank ?? []));
    const best = candidates[0];
    if (!best?.match) return { missing: 'route' };
    const httpMethod = best.resource.methods.has(method.toUpperCase()) ? method.toUpperCase() : 'ANY';
    const integration = best.resource.methods.get(httpMethod)?.integration;
    if (!integration) return { missing: 'route' };
    return {
      route: {
        apiId,
        stage: stageName,
        resourceId: best.resource.id,
        resourcePath: best.resource.path,
        httpMethod,
        pathParameters: Object.keys(best.match.params).length > 0 ? best.match.params : null,
        integration: deployedIntegration(integration),
        binaryMediaTypes: deployment.binaryMediaTypes,
      },
    };
  }

  /** Every API of the runtime's region and account with what each stage serves, sorted, without generated ids other than the APIs'. */
  inventory(): ApiInventory[] {
    return [...this.apis(this.home).values()]
      .map((api) => ({
        id: api.info.id,
        name: api.info.name,
        stages: [...api.stages.values()]
          .map((stage) => ({
            name: stage.info.stageName,
            routes: (api.deployments.get(stage.info.deploymentId)?.resources ?? [])
              .flatMap((resource) =>
                [...resource.methods].map(([method, { integration }]) => ({ method, path: resource.path, integration: deployedIntegration(integration) })),
              )
              .sort((a, b) => compareStrings(`${a.path} ${a.method}`, `${b.path} ${b.method}`)),
          }))
          .sort((a, b) => compareStrings(a.name, b.name)),
      }))
      .sort((a, b) => compareStrings(a.id, b.id));
  }

  private routes(): RestRoute[] {
    const api = '/restapis/{restapi_id}';
    const resource = `${api}/resources/{resource_id}`;
    const method = `${resource}/methods/{http_method}`;
    const integration = `${method}/integration`;
    const deployment = `${api}/deployments/{deployment_id}`;
    const stage = `${api}/stages/{stage_name}`;
    return [
      { operation: 'CreateRestApi', method: 'POST', path: '/restapis', status: 201, run: (call) => this.createRestApi(call) },
      { operation: 'GetRestApis', method: 'GET', path: '/restapis', run: (call) => this.getRestApis(call) },
      { operation: 'GetRestApi', method: 'GET', path: api, run: (call) => renderApi(this.api(call)) },
      { operation: 'UpdateRestApi', method: 'PATCH', path: api, run: (call) => this.updateRestApi(call) },
      { operation: 'DeleteRestApi', method: 'DELETE', path: api, status: 202, run: (call) => void this.apis(scopeOf(call)).delete(this.api(call).info.id) },
      { operation: 'GetResources', method: 'GET', path: `${api}/resources`, run: (call) => this.getResources(call) },
      { operation: 'GetResource', method: 'GET', path: resource, run: (call) => this.getResource(call) },
      { operation: 'CreateResource', method: 'POST', path: `${api}/resources/{parent_id}`, status: 201, run: (call) => this.createResource(call) },
      { operation: 'UpdateResource', method: 'PATCH', path: resource, run: (call) => this.updateResource(call) },
      { operation: 'DeleteResource', method: 'DELETE', path: resource, status: 202, run: (call) => this.deleteResource(call) },
      { operation: 'PutMethod', method: 'PUT', path: method, status: 201, run: (call) => this.putMethod(call) },
      { operation: 'GetMethod', method: 'GET', path: method, run: (call) => renderMethod(this.method(call)) },
      { operation: 'UpdateMethod', method: 'PATCH', path: method, run: (call) => this.updateMethod(call) },
      { operation: 'DeleteMethod', method: 'DELETE', path: method, status: 204, run: (call) => this.deleteMethod(call) },
      { operation: 'PutIntegration', method: 'PUT', path: integration, status: 201, run: (call) => this.putIntegration(call) },
      { operation: 'GetIntegration', method: 'GET', path: integration, run: (call) => this.integration(call) },
      { operation: 'UpdateIntegration', method: 'PATCH', path: integration, run: (call) => this.updateIntegration(call) },
      { operation: 'DeleteIntegration', method: 'DELETE', path: integration, status: 204, run: (call) => this.deleteIntegration(call) },
      { operation: 'CreateDeployment', method: 'POST', path: `${api}/deployments`, status: 201, run: (call) => this.createDeployment(call) },
      { operation: 'GetDeployments', method: 'GET', path: `${api}/deployments`, run: (call) => this.getDeployments(call) },
      { operation: 'GetDeployment', method: 'GET', path: deployment, run: (call) => this.getDeployment(call) },
      { operation: 'UpdateDeployment', method: 'PATCH', path: deployment, run: (call) => this.updateDeployment(call) },
      { operation: 'DeleteDeployment', method: 'DELETE', path: deployment, status: 202, run: (call) => this.deleteDeployment(call) },
      { operation: 'CreateStage', method: 'POST', path: `${api}/stages`, status: 201, run: (call) => this.createStage(call) },
      { operation: 'GetStages', method: 'GET', path: `${api}/stages`, run: (call) => this.getStages(call) },
      { operation: 'GetStage', method: 'GET', path: stage, run: (call) => renderStage(this.stage(call)) },
      { operation: 'UpdateStage', method: 'PATCH', path: stage, run: (call) => this.updateStage(call) },
      { operation: 'DeleteStage', method: 'DELETE', path: stage, status: 202, run: (call) => this.deleteStage(call) },
      { operation: 'GetTags', method: 'GET', path: '/tags/{resource_arn+}', run: (call) => ({ tags: Object.fromEntries(this.tagged(call)) }) },
      { operation: 'TagResource', method: 'PUT', path: '/tags/{resource_arn+}', status: 204, run: (call) => this.tagResource(call) },
      { operation: 'UntagResource', method: 'DELETE', path: '/tags/{resource_arn+}', status: 204, run: (call) => this.untagResource(call) },
    ];
  }

  private apis({ region, accountId }: Scope): Map<string, RestApi> {
    const key = `${accountId}/${region}`;
    let apis = this.scopes.get(key);
    if (!apis) this.scopes.set(key, (apis = new Map()));
    return apis;
  }

  private api(call: RestCall, id = param(call, 'restapi_id'), scope = scopeOf(call)): RestApi {
    const api = this.apis(scope).get(id);
    if (!api) throw notFound(`Invalid API identifier specified ${call.request.accountId}:${id}`);
    return api;
  }

  private createRestApi(call: RestCall) {
    const { body } = call;
    const name = body.string('name');
    if (body.has('cloneFrom')) throw badRequest('Cloning an API is not supported by the offline runtime.');
    const tags = body.optionalStringMap('tags') ?? {};
    const apis = this.apis(scopeOf(call));
    const custom = tags[CUSTOM_ID_TAG];
    if (custom !== undefined && apis.has(custom)) throw conflict(`A REST API with the id ${custom} already exists`);
    let id = custom ?? randomId(10);
    while (!custom && apis.has(id)) id = randomId(10);
    const root: Resource = { id: randomId(10), methods: new Map() };
    const endpoint = body.optionalStructure('endpointConfiguration');
    const minimumCompressionSize = body.optionalNumber('minimumCompressionSize');
    const api: RestApi = {
      info: {
        id,
        name,
        ...optionalMembers({
          description: body.optionalString('description'),
          version: body.optionalString('version'),
          binaryMediaTypes: body.optionalStrings('binaryMediaTypes'),
          minimumCompressionSize,
          policy: body.optionalString('policy'),
        }),
        createdDate: now(),
        apiKeySource: body.optionalString('apiKeySource') ?? 'HEADER',
        endpointConfiguration: {
          types: endpoint?.optionalStrings('types') ?? ['EDGE'],
          ipAddressType: endpoint?.optionalString('ipAddressType') ?? 'ipv4',
          ...optionalMembers({ vpcEndpointIds: endpoint?.optionalStrings('vpcEndpointIds') }),
        },
        disableExecuteApiEndpoint: body.optionalBoolean('disableExecuteApiEndpoint') ?? false,
        rootResourceId: root.id,
      },
      tags: new Map(Object.entries(tags)),
      resources: new Map([[root.id, root]]),
      deployments: new Map(),
      stages: new Map(),
    };
    apis.set(id, api);
    return renderApi(api);
  }

  private getRestApis(call: RestCall) {
    return page([...this.apis(scopeOf(call)).values()].map(renderApi), call);
  }

  private updateRestApi(call: RestCall) {
    const api = this.api(call);
    for (const operation of patchOperations(call.body)) {
      // The endpoint type is replaced by naming the old one: /endpointConfiguration/types/EDGE, value REGIONAL.
      if (operation.path.startsWith('/endpointConfiguration/types/') && operation.op === 'replace' && operation.value !== undefined) {
        api.info.endpointConfiguration.types = [operation.value];
        continue;
      }
      if (operation.path === '/endpointConfiguration/ipAddressType' && operation.value !== undefined) {
        api.info.endpointConfiguration.ipAddressType = operation.value;
        continue;
      }
      applyPatch(api.info, operation, {
        name: 'string',
        description: 'string',
        version: 'string',
        policy: 'string',
        apiKeySource: 'string',
        minimumCompressionSize: 'integer',
        disableExecuteApiEndpoint: 'boolean',
        binaryMediaTypes: 'set',
      });
    }
    return renderApi(api);
  }

  private resource(call: RestCall, api = this.api(call), id = param(call, 'resource_id')): Resource {
    const resource = api.resources.get(id);
    if (!resource) throw notFound('Invalid Resource identifier specified');
    return resource;
  }

  private getResources(call: RestCall) {
    const api = this.api(call);
    const embedMethods = embeds(call, 'methods');
    return page(
      [...api.resources.values()].map((resource) => renderResource(api, resource, embedMethods)),
      call,
    );
  }

  private getResource(call: RestCall) {
    const api = this.api(call);
    return renderResource(api, this.resource(call, api), embeds(call, 'methods'));
  }

  private createResource(call: RestCall) {
    const api = this.api(call);
    const parent = this.resource(call, api, param(call, 'parent_id'));
    const pathPart = checkPathPart(call.body.string('pathPart'));
    checkSiblings(api, parent.id, pathPart);
    const resource: Resource = { id: randomId(10), parentId: parent.id, pathPart, methods: new Map() };
    api.resources.set(resource.id, resource);
    return renderResource(api, resource, false);
  }

  private updateResource(call: RestCall) {
    const api = this.api(call);
    const resource = this.resource(call, api);
    if (resource.parentId === undefined) throw badRequest('The root resource cannot be updated');
    for (const operation of patchOperations(call.body)) {
      if (operation.op !== 'replace' || operation.value === undefined || !['/pathPart', '/parentId'].includes(operation.path))
        throw invalidPatch(operation, ['/pathPart', '/parentId']);
      if (operation.path === '/pathPart') {
        checkSiblings(api, resource.parentId, checkPathPart(operation.value));
        resource.pathPart = operation.value;
      } else {
        const parent = this.resource(call, api, operation.value);
        if (ancestry(api, parent).includes(resource)) throw badRequest('A resource cannot be moved under itself');
        checkSiblings(api, parent.id, resource.pathPart ?? '');
        resource.parentId = parent.id;
      }
    }
    return renderResource(api, resource, false);
  }

  private deleteResource(call: RestCall): void {
    const api = this.api(call);
    const resource = this.resource(call, api);
    if (resource.parentId === undefined) throw badRequest('Cannot delete root resource');
    // Its whole subtree goes with it, as on AWS.
    for (const candidate of [...api.resources.values()]) if (ancestry(api, candidate).includes(resource)) api.resources.delete(candidate.id);
  }

  private method(call: RestCall, resource = this.resource(call)): Method {
    const method = resource.methods.get(param(call, 'http_method'));
    if (!method) throw notFound('Invalid Method identifier specified');
    return method;
  }

  private putMethod(call: RestCall) {
    const resource = this.resource(call);
    const httpMethod = param(call, 'http_method');
    if (!HTTP_METHODS.includes(httpMethod)) throw badRequest(`Invalid HttpMethod specified. Valid options are ${HTTP_METHODS.join(',')}`);
    if (resource.methods.has(httpMethod)) throw conflict('Method already exists for this resource');
    const { body } = call;
    const method: Method = {
      info: {
        httpMethod,
        authorizationType: body.string('authorizationType'),
        apiKeyRequired: body.optionalBoolean('apiKeyRequired') ?? false,
        ...optionalMembers({
          authorizerId: body.optionalString('authorizerId'),
          operationName: body.optionalString('operationName'),
          requestParameters: booleanMap(call, 'requestParameters'),
          requestModels: body.optionalStringMap('requestModels'),
          requestValidatorId: body.optionalString('requestValidatorId'),
          authorizationScopes: body.optionalStrings('authorizationScopes'),
        }),
      },
    };
    resource.methods.set(httpMethod, method);
    return renderMethod(method);
  }

  private updateMethod(call: RestCall) {
    const method = this.method(call);
    for (const operation of patchOperations(call.body))
      applyPatch(method.info, operation, {
        authorizationType: 'string',
        authorizerId: 'string',
        apiKeyRequired: 'boolean',
        operationName: 'string',
        requestValidatorId: 'string',
        requestParameters: 'booleanMap',
        requestModels: 'stringMap',
        authorizationScopes: 'set',
      });
    return renderMethod(method);
  }

  private deleteMethod(call: RestCall): void {
    const resource = this.resource(call);
    this.method(call, resource);
    resource.methods.delete(param(call, 'http_method'));
  }

  private integration(call: RestCall, method = this.method(call)): IntegrationInfo {
    if (!method.integration) throw notFound('No integration defined for method');
    return method.integration;
  }

  private putIntegration(call: RestCall) {
    const resource = this.resource(call);
    const method = this.method(call, resource);
    const { body } = call;
    const type = body.string('type');
    if (!INTEGRATION_TYPES.includes(type)) throw badRequest(`Invalid integration type specified. Valid options are ${INTEGRATION_TYPES.join(',')}`);
    // The model's integrationHttpMethod travels as `httpMethod`.
    const httpMethod = body.optionalString('httpMethod');
    const uri = body.optionalString('uri');
    if (type !== 'MOCK') {
      if (httpMethod === undefined || httpMethod === '') throw badRequest('Enumeration value for HttpMethod must be non-empty');
      if (uri === undefined || uri === '') throw badRequest('Invalid HTTP endpoint specified for URI');
      if ((type === 'AWS' || type === 'AWS_PROXY') && !uri.startsWith('arn:')) throw badRequest('AWS ARN for integration must contain path or action');
    }
    const timeoutInMillis = body.optionalNumber('timeoutInMillis') ?? DEFAULT_TIMEOUT_MS;
    checkTimeout(timeoutInMillis);
    method.integration = {
      type,
      ...optionalMembers({
        httpMethod: type === 'MOCK' ? undefined : httpMethod,
        uri: type === 'MOCK' ? undefined : uri,
        connectionId: body.optionalString('connectionId'),
        credentials: body.optionalString('credentials'),
        requestParameters: body.optionalStringMap('requestParameters'),
        requestTemplates: body.optionalStringMap('requestTemplates'),
        contentHandling: body.optionalString('contentHandling'),
      }),
      connectionType: body.optionalString('connectionType') ?? 'INTERNET',
      passthroughBehavior: body.optionalString('passthroughBehavior') ?? 'WHEN_NO_MATCH',
      timeoutInMillis,
      // AWS names the cache namespace after the resource unless told otherwise.
      cacheNamespace: body.optionalString('cacheNamespace') ?? resource.id,
      cacheKeyParameters: body.optionalStrings('cacheKeyParameters') ?? [],
    };
    return method.integration;
  }

  private updateIntegration(call: RestCall) {
    const integration = this.integration(call);
    for (const operation of patchOperations(call.body))
      applyPatch(integration, operation, {
        type: 'string',
        httpMethod: 'string',
        uri: 'string',
        connectionType: 'string',
        connectionId: 'string',
        credentials: 'string',
        passthroughBehavior: 'string',
        contentHandling: 'string',
        timeoutInMillis: 'integer',
        cacheNamespace: 'string',
        requestParameters: 'stringMap',
        requestTemplates: 'stringMap',
        cacheKeyParameters: 'set',
      });
    checkTimeout(integration.timeoutInMillis);
    return integration;
  }

  private deleteIntegration(call: RestCall): void {
    const method = this.method(call);
    this.integration(call, method);
    delete method.integration;
  }

  private createDeployment(call: RestCall) {
    const api = this.api(call);
    const { body } = call;
    const resources = snapshot(api);
    const deployment: Deployment = {
      id: randomId(6),
      ...optionalMembers({ description: body.optionalString('description') }),
      createdDate: now(),
      resources,
      binaryMediaTypes: [...(api.info.binaryMediaTypes ?? [])],
    };
    // Deploying to a stage creates it, or points it at the new deployment; the provider sends "" for none.
    const stageName = body.optionalString('stageName') || undefined;
    const stage = stageName === undefined ? undefined : api.stages.get(stageName);
    api.deployments.set(deployment.id, deployment);
    if (stage) {
      stage.info.deploymentId = deployment.id;
      stage.info.lastUpdatedDate = now();
    } else if (stageName !== undefined) {
      const variables = body.optionalStringMap('variables');
      api.stages.set(stageName, newStage(stageName, deployment.id, body.optionalString('stageDescription'), variables, undefined));
    }
    return renderDeployment(deployment, false);
  }

  private deployment(call: RestCall, api = this.api(call)): Deployment {
    const deployment = api.deployments.get(param(call, 'deployment_id'));
    if (!deployment) throw notFound('Invalid Deployment identifier specified');
    return deployment;
  }

  private getDeployments(call: RestCall) {
    return page(
      [...this.api(call).deployments.values()].map((deployment) => renderDeployment(deployment, false)),
      call,
    );
  }

  private getDeployment(call: RestCall) {
    return renderDeployment(this.deployment(call), embeds(call, 'apisummary'));
  }

  private updateDeployment(call: RestCall) {
    const deployment = this.deployment(call);
    for (const operation of patchOperations(call.body)) {
      if (operation.path !== '/description') throw invalidPatch(operation, ['/description']);
      if (operation.op === 'remove') delete deployment.description;
      else if (operation.value !== undefined) deployment.description = operation.value;
    }
    return renderDeployment(deployment, false);
  }

  private deleteDeployment(call: RestCall): void {
    const api = this.api(call);
    const deployment = this.deployment(call, api);
    if ([...api.stages.values()].some((stage) => stage.info.deploymentId === deployment.id))
      throw badRequest('Active stages pointing to this deployment must be moved or deleted');
    api.deployments.delete(deployment.id);
  }

  private stage(call: RestCall, api = this.api(call)): Stage {
    const stage = api.stages.get(param(call, 'stage_name'));
    if (!stage) throw notFound('Invalid Stage identifier specified');
    return stage;
  }

  private createStage(call: RestCall) {
    const api = this.api(call);
    const { body } = call;
    const stageName = body.string('stageName');
    const deploymentId = body.string('deploymentId');
    if (!/^[a-zA-Z0-9_-]{1,128}$/.test(stageName)) throw badRequest('Stage name only allows a-zA-Z0-9_-');
    if (!api.deployments.has(deploymentId)) throw notFound('Invalid Deployment identifier specified');
    if (api.stages.has(stageName)) throw conflict('Stage already exists');
    if (body.optionalBoolean('cacheClusterEnabled')) throw badRequest('The offline runtime does not emulate stage caches.');
    const stage = newStage(stageName, deploymentId, body.optionalString('description'), body.optionalStringMap('variables'), body.optionalStringMap('tags'));
    stage.info.tracingEnabled = body.optionalBoolean('tracingEnabled') ?? false;
    const documentationVersion = body.optionalString('documentationVersion');
    if (documentationVersion !== undefined) stage.info.documentationVersion = documentationVersion;
    api.stages.set(stageName, stage);
    return renderStage(stage);
  }

  private getStages(call: RestCall) {
    const deploymentId = call.query.get('deploymentId');
    const stages = [...this.api(call).stages.values()].filter((stage) => deploymentId === null || stage.info.deploymentId === deploymentId);
    return { item: stages.map(renderStage) };
  }

  private updateStage(call: RestCall) {
    const api = this.api(call);
    const stage = this.stage(call, api);
    for (const operation of patchOperations(call.body)) {
      if (operation.path === '/deploymentId') {
        if (operation.op !== 'replace' || operation.value === undefined) throw invalidPatch(operation, ['/deploymentId']);
        if (!api.deployments.has(operation.value)) throw badRequest(`Deployment id does not exist: ${operation.value}`);
        stage.info.deploymentId = operation.value;
        continue;
      }
      applyPatch(stage.info, operation, { description: 'string', documentationVersion: 'string', tracingEnabled: 'boolean', variables: 'stringMap' });
    }
    stage.info.lastUpdatedDate = now();
    return renderStage(stage);
  }

  private deleteStage(call: RestCall): void {
    const api = this.api(call);
    api.stages.delete(this.stage(call, api).info.stageName);
  }

  /** The tags of the API or stage an ARN names: `arn:aws:apigateway:<region>::/restapis/<id>[/stages/<name>]`. */
  private tagged(call: RestCall): Map<string, string> {
    const arn = param(call, 'resource_arn');
    const match = /^arn:aws[a-z-]*:apigateway:([a-z0-9-]+)::\/restapis\/([^/]+)(?:\/stages\/([^/]+))?$/.exec(arn);
    if (!match?.[1] || !match[2]) throw badRequest(`Invalid ARN specified in the request: ${arn}`);
    const api = this.api(call, match[2], { ...scopeOf(call), region: match[1] });
    if (match[3] === undefined) return api.tags;
    const stage = api.stages.get(match[3]);
    if (!stage) throw notFound('Invalid Stage identifier specified');
    return stage.tags;
  }

  private tagResource(call: RestCall): void {
    const tags = call.body.optionalStringMap('tags');
    if (tags === undefined) throw badRequest('Tags must not be null');
    const tagged = this.tagged(call);
    for (const [key, value] of Object.entries(tags)) tagged.set(key, value);
  }

  private untagResource(call: RestCall): void {
    const tags = this.tagged(call);
    for (const key of call.query.getAll('tagKeys')) tags.delete(key);
  }
}

const scopeOf = (call: RestCall): Scope => ({ region: call.request.region, accountId: call.request.accountId });

const param = (call: RestCall, name: string) => call.params[name] ?? '';

const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** An object without the members whose value is undefined (strict optional properties). */
function optionalMembers<T extends Record<string, unknown>>(members: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(members).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/** Whether `?embed=` asks for a part (GetResources' methods, GetDeployment's apisummary). */
const embeds = (call: RestCall, part: string) => call.query.getAll('embed').some((value) => value.split(',').includes(part));

/** A page of a listing: `position` is the offset of the next page, `limit` at most 500 (default 25). */
function page<T>(items: T[], call: RestCall): { item: T[]; position?: string } {
  const limit = Number(call.query.get('limit') ?? 25);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw badRequest('Limit must be between 1 and 500');
  const start = Number(call.query.get('position') ?? 0);
  if (!Number.isInteger(start) || start < 0) throw badRequest('Invalid position parameter');
  const end = start + limit;
  return { item: items.slice(start, end), ...(end < items.length ? { position: String(end) } : {}) };
}

/** PutMethod's requestParameters, a map to booleans, which JsonInput does not read. */
function booleanMap(call: RestCall, name: string): Record<string, boolean> | undefined {
  const value = parseJsonBody(call.request.body)[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || !Object.values(value).every((item) => typeof item === 'boolean'))
    throw badRequest(`Invalid ${name}: expected a map of booleans`);
  return value as Record<string, boolean>;
}

function checkPathPart(pathPart: string): string {
  if (!/^(\{[a-zA-Z0-9._-]+\+?\}|[a-zA-Z0-9._:-]+)$/.test(pathPart))
    throw badRequest(
      "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace.",
    );
  return pathPart;
}

function checkSiblings(api: RestApi, parentId: string, pathPart: string): void {
  for (const sibling of api.resources.values())
    if (sibling.parentId === parentId && sibling.pathPart === pathPart)
      throw conflict(`Another resource with the same parent already has this name: ${pathPart}`);
}

function checkTimeout(timeoutInMillis: number): void {
  if (!Number.isInteger(timeoutInMillis) || timeoutInMillis < 50 || timeoutInMillis > DEFAULT_TIMEOUT_MS)
    throw badRequest(`Timeout should be between 50 ms and ${DEFAULT_TIMEOUT_MS} ms`);
}

/** The resource and its ancestors, the resource first. */
function ancestry(api: RestApi, resource: Resource): Resource[] {
  const chain: Resource[] = [];
  for (let at: Resource | undefined = resource; at; at = at.parentId === undefined ? undefined : api.resources.get(at.parentId)) chain.push(at);
  return chain;
}

/** A resource's full path, from its ancestors' path parts (they may be renamed). */
function pathOf(api: RestApi, resource: Resource): string {
  const parts = ancestry(api, resource)
    .reverse()
    .flatMap((at) => (at.pathPart === undefined ? [] : [at.pathPart]));
  return `/${parts.join('/')}`;
}

function renderApi(api: RestApi) {
  return { ...api.info, tags: Object.fromEntries(api.tags) };
}

function renderMethod(method: Method) {
  return { ...method.info, ...(method.integration ? { methodIntegration: method.integration } : {}) };
}

/** Without embed=methods, AWS lists a resource's methods as empty objects. */
function renderResource(api: RestApi, resource: Resource, embedMethods: boolean) {
  return {
    id: resource.id,
    ...optionalMembers({ parentId: resource.parentId, pathPart: resource.pathPart }),
    path: pathOf(api, resource),
    ...(resource.methods.size > 0
      ? { resourceMethods: Object.fromEntries([...resource.methods].map(([name, method]) => [name, embedMethods ? renderMethod(method) : {}])) }
      : {}),
  };
}

function renderDeployment(deployment: Deployment, embedSummary: boolean) {
  return {
    id: deployment.id,
    ...optionalMembers({ description: deployment.description }),
    createdDate: deployment.createdDate,
    ...(embedSummary
      ? {
          apiSummary: Object.fromEntries(
            deployment.resources.map((resource) => [
              resource.path,
              Object.fromEntries(
                [...resource.methods].map(([name, { info }]) => [name, { authorizationType: info.authorizationType, apiKeyRequired: info.apiKeyRequired }]),
              ),
            ]),
          ),
        }
      : {}),
  };
}

function renderStage(stage: Stage) {
  return { ...stage.info, tags: Object.fromEntries(stage.tags) };
}

function newStage(
  stageName: string,
  deploymentId: string,
  description: string | undefined,
  variables: Record<string, string> | undefined,
  tags: Record<string, string> | undefined,
): Stage {
  const created = now();
  return {
    info: {
      stageName,
      deploymentId,
      ...optionalMembers({ description, variables }),
      cacheClusterEnabled: false,
      cacheClusterStatus: 'NOT_AVAILABLE',
      methodSettings: {},
      tracingEnabled: false,
      createdDate: created,
      lastUpdatedDate: created,
    },
    tags: new Map(Object.entries(tags ?? {})),
  };
}

/**
 * The API's resources and methods as a deployment freezes them. AWS refuses to deploy an API
 * without methods, or with a method that has no integration.
 */
function snapshot(api: RestApi): DeployedResource[] {
  const resources = [...api.resources.values()];
  if (resources.every((resource) => resource.methods.size === 0)) throw badRequest("The REST API doesn't contain any methods");
  return resources.map((resource) => ({
    id: resource.id,
    path: pathOf(api, resource),
    methods: new Map(
      [...resource.methods].map(([name, method]) => {
        if (!method.integration) throw badRequest('No integration defined for method');
        return [name, structuredClone({ info: method.info, integration: method.integration })];
      }),
    ),
  }));
}

function deployedIntegration(integration: IntegrationInfo): DeployedIntegration {
  const functionArn = lambdaFunctionArn(integration.uri);
  return {
    type: integration.type,
    ...optionalMembers({ uri: integration.uri, functionArn }),
    timeoutInMillis: integration.timeoutInMillis,
  };
}

interface PatchOperation {
  op: string;
  path: string;
  value?: string;
}

function patchOperations(body: JsonInput): PatchOperation[] {
  return (body.optionalStructures('patchOperations') ?? []).map((operation) => {
    const op = operation.string('op');
    if (!['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(op)) throw badRequest(`Invalid patch operation specified: ${op}`);
    return { op, path: operation.string('path'), ...optionalMembers({ value: operation.optionalString('value') }) };
  });
}

type FieldKind = 'string' | 'boolean' | 'integer' | 'stringMap' | 'booleanMap' | 'set';

const invalidPatch = (operation: PatchOperation, paths: string[]) =>
  badRequest(`Invalid patch path '${operation.path}' specified for op '${operation.op}'. Must be one of: [${paths.join(', ')}]`);

/**
 * One JSON-Patch operation on an entity, as API Gateway applies them: `/field` sets or removes a
 * scalar (values travel as strings), `/field/key` a map entry or a set member, with `/` in a key
 * escaped as `~1`.
 */
function applyPatch(target: object, operation: PatchOperation, fields: Record<string, FieldKind>): void {
  const members = target as Record<string, unknown>;
  const match = /^\/([^/]+)(?:\/(.+))?$/.exec(operation.path);
  const field = match?.[1];
  const kind = field === undefined ? undefined : fields[field];
  const paths = Object.entries(fields).map(([name, type]) => (type === 'string' || type === 'boolean' || type === 'integer' ? `/${name}` : `/${name}/*`));
  if (!field || !kind || (operation.op !== 'add' && operation.op !== 'replace' && operation.op !== 'remove')) throw invalidPatch(operation, paths);
  const key = match[2]?.replaceAll('~1', '/').replaceAll('~0', '~');
  const { value } = operation;
  if (kind === 'string' || kind === 'boolean' || kind === 'integer') {
    if (key !== undefined) throw invalidPatch(operation, paths);
    if (operation.op === 'remove' || value === undefined || (kind === 'integer' && value === '')) {
      Reflect.deleteProperty(members, field);
      return;
    }
    if (kind === 'integer' && !/^-?\d+$/.test(value)) throw badRequest(`Invalid value for ${field}: ${value}`);
    members[field] = kind === 'string' ? value : kind === 'boolean' ? value === 'true' : Number(value);
    return;
  }
  if (key === undefined) throw invalidPatch(operation, paths);
  if (kind === 'set') {
    const items = (members[field] as string[] | undefined) ?? [];
    members[field] = operation.op === 'remove' ? items.filter((item) => item !== key) : items.includes(key) ? items : [...items, key];
    return;
  }
  const entries = Object.entries((members[field] as Record<string, unknown> | undefined) ?? {}).filter(([name]) => name !== key);
  if (operation.op !== 'remove') entries.push([key, kind === 'booleanMap' ? value === 'true' : (value ?? '')]);
  members[field] = Object.fromEntries(entries);
}

const splitPath = (path: string) => path.split('/').filter((segment) => segment !== '');

/**
 * How a resource path matches a request path: its path parameters, and a rank per segment
 * (0 literal, 1 `{param}`, 2 `{greedy+}`) so the most specific resource wins.
 */
function matchPath(pattern: string[], segments: string[]): { params: Record<string, string>; rank: number[] } | undefined {
  const params: Record<string, string> = {};
  const rank: number[] = [];
  for (const [i, part] of pattern.entries()) {
    const variable = /^\{(.+?)(\+?)\}$/.exec(part);
    if (variable?.[1] && variable[2] === '+') {
      // A greedy variable is the last part and takes one or more segments.
      if (i !== pattern.length - 1 || segments.length <= i) return undefined;
      params[variable[1]] = segments.slice(i).join('/');
      rank.push(2);
      return { params, rank };
    }
    const segment = segments[i];
    if (segment === undefined) return undefined;
    if (variable?.[1]) {
      params[variable[1]] = segment;
      rank.push(1);
    } else if (part === segment) rank.push(0);
    else return undefined;
  }
  return pattern.length === segments.length ? { params, rank } : undefined;
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? -1) - (b[i] ?? -1);
    if (difference !== 0) return difference;
  }
  return 0;
}
