/** The API Gateway control plane as the real SDK client and the AWS CLI see it over HTTP, and the routes its stages serve. */
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  CreateStageCommand,
  DeleteDeploymentCommand,
  DeleteIntegrationCommand,
  DeleteMethodCommand,
  DeleteResourceCommand,
  DeleteRestApiCommand,
  DeleteStageCommand,
  GetDeploymentCommand,
  GetDeploymentsCommand,
  GetIntegrationCommand,
  GetMethodCommand,
  GetResourceCommand,
  GetResourcesCommand,
  GetRestApiCommand,
  GetRestApisCommand,
  GetStageCommand,
  GetStagesCommand,
  GetTagsCommand,
  PutIntegrationCommand,
  PutMethodCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateIntegrationCommand,
  UpdateMethodCommand,
  UpdateRestApiCommand,
  UpdateStageCommand,
} from '@aws-sdk/client-api-gateway';
import { apiBinaryMediaTypes, awsLimits, localstack, names, region } from '#spec';
import { ApiGatewayControlService } from '../../offline/services/apigateway/control';
import { lambdaFunctionArn, lambdaInvocationUri } from '../../offline/services/apigateway/model';
import { arn, awsCli, hasAwsCli, sdkConfig } from '../support/clients';
import { serveServices, type ServiceServer } from '../support/service-server';
import { refusal } from '../support/sdk-calls';

const productArn = arn('lambda', `function:${names.productFunction}`);
const otherArn = arn('lambda', 'function:Other');
const invokeUri = (functionArn: string) => `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`;
const apiArn = `arn:aws:apigateway:${region}::/restapis/${names.restApiId}`;

let server: ServiceServer;
let control: ApiGatewayControlService;
let client: APIGatewayClient;

beforeEach(async () => {
  control = new ApiGatewayControlService();
  server = await serveServices([control]);
  client = new APIGatewayClient(sdkConfig(server.url));
});

afterEach(async () => {
  client.destroy();
  await server.close();
});

const restApiId = names.restApiId;

/** The stack's API as the Terraform provider creates it: the tagged API with its binary media types, productApi, GET and POST proxying to the function, a deployment and the dev stage. */
async function deployStack(): Promise<{ resourceId: string; deploymentId: string }> {
  const api = await client.send(
    new CreateRestApiCommand({ name: names.restApi, binaryMediaTypes: [...apiBinaryMediaTypes], tags: { _custom_id_: restApiId } }),
  );
  expect(api.id).toBe(restApiId);
  const resource = await client.send(new CreateResourceCommand({ restApiId, parentId: api.rootResourceId!, pathPart: names.resource }));
  const resourceId = resource.id!;
  for (const httpMethod of ['GET', 'POST']) {
    await client.send(new PutMethodCommand({ restApiId, resourceId, httpMethod, authorizationType: 'NONE' }));
    await client.send(
      new PutIntegrationCommand({
        restApiId,
        resourceId,
        httpMethod,
        type: 'AWS_PROXY',
        integrationHttpMethod: 'POST',
        uri: invokeUri(productArn),
        timeoutInMillis: awsLimits.apiGatewayIntegrationTimeoutMs,
      }),
    );
  }
  const deployment = await client.send(new CreateDeploymentCommand({ restApiId }));
  await client.send(new CreateStageCommand({ restApiId, stageName: names.stage, deploymentId: deployment.id! }));
  return { resourceId, deploymentId: deployment.id! };
}

it('creates the stack API with the fields the Terraform provider reads', async () => {
  const before = Math.floor(Date.now() / 1000);
  const { resourceId, deploymentId } = await deployStack();

  const api = await client.send(new GetRestApiCommand({ restApiId }));
  expect(api).toMatchObject({
    id: restApiId,
    name: names.restApi,
    rootResourceId: expect.stringMatching(/^[a-z0-9]{10}$/),
    apiKeySource: 'HEADER',
    endpointConfiguration: { types: ['EDGE'] },
    disableExecuteApiEndpoint: false,
    binaryMediaTypes: [...apiBinaryMediaTypes],
    tags: { _custom_id_: restApiId },
  });
  expect(api.createdDate!.getTime() / 1000).toBeGreaterThanOrEqual(before);

  const { items } = await client.send(new GetResourcesCommand({ restApiId }));
  expect(items).toEqual([
    { id: api.rootResourceId, path: '/' },
    { id: resourceId, parentId: api.rootResourceId, pathPart: names.resource, path: `/${names.resource}`, resourceMethods: { GET: {}, POST: {} } },
  ]);

  expect(await client.send(new GetMethodCommand({ restApiId, resourceId, httpMethod: 'POST' }))).toMatchObject({
    httpMethod: 'POST',
    authorizationType: 'NONE',
    apiKeyRequired: false,
    methodIntegration: { type: 'AWS_PROXY', uri: invokeUri(productArn) },
  });
  const integration = await client.send(new GetIntegrationCommand({ restApiId, resourceId, httpMethod: 'GET' }));
  expect(integration).toMatchObject({
    type: 'AWS_PROXY',
    httpMethod: 'POST',
    uri: invokeUri(productArn),
    connectionType: 'INTERNET',
    passthroughBehavior: 'WHEN_NO_MATCH',
    timeoutInMillis: 29_000,
    cacheNamespace: resourceId,
    cacheKeyParameters: [],
  });

  expect(await client.send(new GetStageCommand({ restApiId, stageName: names.stage }))).toMatchObject({
    stageName: names.stage,
    deploymentId,
    cacheClusterEnabled: false,
    tracingEnabled: false,
  });
  expect((await client.send(new GetStagesCommand({ restApiId, deploymentId }))).item!.map((stage) => stage.stageName)).toEqual([names.stage]);
  expect((await client.send(new GetDeploymentsCommand({ restApiId }))).items!.map((deployment) => deployment.id)).toEqual([deploymentId]);
  expect((await client.send(new GetDeploymentCommand({ restApiId, deploymentId, embed: ['apisummary'] }))).apiSummary).toEqual({
    '/': {},
    [`/${names.resource}`]: { GET: { authorizationType: 'NONE', apiKeyRequired: false }, POST: { authorizationType: 'NONE', apiKeyRequired: false } },
  });

  expect(control.inventory()).toEqual([
    {
      id: restApiId,
      name: names.restApi,
      stages: [
        {
          name: names.stage,
          routes: ['GET', 'POST'].map((method) => ({
            method,
            path: `/${names.resource}`,
            integration: { type: 'AWS_PROXY', uri: invokeUri(productArn), functionArn: productArn, timeoutInMillis: 29_000 },
          })),
        },
      ],
    },
  ]);
});

it('routes a request to what the stage deployed, and to nothing else', async () => {
  const { resourceId } = await deployStack();
  expect(control.route(restApiId, names.stage, 'post', `/${names.resource}`)).toEqual({
    route: {
      apiId: restApiId,
      stage: names.stage,
      resourceId,
      resourcePath: `/${names.resource}`,
      httpMethod: 'POST',
      pathParameters: null,
      integration: { type: 'AWS_PROXY', uri: invokeUri(productArn), functionArn: productArn, timeoutInMillis: 29_000 },
      binaryMediaTypes: [...apiBinaryMediaTypes],
    },
  });
  expect(control.route(restApiId, names.stage, 'GET', `/${names.resource}/`)).toMatchObject({ route: { httpMethod: 'GET' } });
  expect(control.route('nope', names.stage, 'GET', `/${names.resource}`)).toEqual({ missing: 'api' });
  expect(control.route(restApiId, 'prod', 'GET', `/${names.resource}`)).toEqual({ missing: 'stage' });
  expect(control.route(restApiId, names.stage, 'DELETE', `/${names.resource}`)).toEqual({ missing: 'route' });
  expect(control.route(restApiId, names.stage, 'GET', '/other')).toEqual({ missing: 'route' });
});

it('serves a change only once it is deployed and the stage points at it', async () => {
  const { resourceId, deploymentId } = await deployStack();
  await client.send(
    new UpdateIntegrationCommand({
      restApiId,
      resourceId,
      httpMethod: 'POST',
      patchOperations: [
        { op: 'replace', path: '/uri', value: invokeUri(otherArn) },
        { op: 'replace', path: '/timeoutInMillis', value: '5000' },
      ],
    }),
  );
  await client.send(new DeleteMethodCommand({ restApiId, resourceId, httpMethod: 'GET' }));
  await client.send(new UpdateRestApiCommand({ restApiId, patchOperations: [{ op: 'remove', path: '/binaryMediaTypes/application~1*' }] }));
  const served = (method: string) => control.route(restApiId, names.stage, method, `/${names.resource}`);
  expect(served('POST')).toMatchObject({ route: { integration: { functionArn: productArn, timeoutInMillis: 29_000 }, binaryMediaTypes: ['application/*'] } });
  expect(served('GET')).toMatchObject({ route: { httpMethod: 'GET' } });

  // As the provider sends it: "" for no stage.
  const next = await client.send(new CreateDeploymentCommand({ restApiId, description: 'v2', stageName: '', stageDescription: '', variables: {} }));
  expect((await client.send(new GetStagesCommand({ restApiId }))).item!.map((stage) => stage.stageName)).toEqual([names.stage]);
  expect(served('POST')).toMatchObject({ route: { integration: { functionArn: productArn } } });
  // The provider replaces a deployment (create_before_destroy): the stage moves, then the old one goes.
  const refused = await refusal(client.send(new DeleteDeploymentCommand({ restApiId, deploymentId })));
  expect(refused).toEqual({ name: 'BadRequestException', status: 400, message: 'Active stages pointing to this deployment must be moved or deleted' });
  const stage = await client.send(
    new UpdateStageCommand({ restApiId, stageName: names.stage, patchOperations: [{ op: 'replace', path: '/deploymentId', value: next.id! }] }),
  );
  expect(stage.deploymentId).toBe(next.id);
  await client.send(new DeleteDeploymentCommand({ restApiId, deploymentId }));

  expect(served('POST')).toMatchObject({ route: { integration: { functionArn: otherArn, timeoutInMillis: 5000 }, binaryMediaTypes: [] } });
  expect(served('GET')).toEqual({ missing: 'route' });
  expect((await client.send(new GetDeploymentsCommand({ restApiId }))).items).toEqual([{ id: next.id, description: 'v2', createdDate: expect.any(Date) }]);
});

it('deploys with a stage name, and refuses a deployment of methods without integrations', async () => {
  const api = await client.send(new CreateRestApiCommand({ name: 'other' }));
  expect(api.id).toMatch(/^[a-z0-9]{10}$/);
  const refusedEmpty = await refusal(client.send(new CreateDeploymentCommand({ restApiId: api.id!, stageName: 'dev' })));
  expect(refusedEmpty).toMatchObject({ name: 'BadRequestException', status: 400 });
  await client.send(new PutMethodCommand({ restApiId: api.id!, resourceId: api.rootResourceId!, httpMethod: 'ANY', authorizationType: 'NONE' }));
  expect(await refusal(client.send(new CreateDeploymentCommand({ restApiId: api.id!, stageName: 'dev' })))).toEqual({
    name: 'BadRequestException',
    status: 400,
    message: 'No integration defined for method',
  });
  await client.send(
    new PutIntegrationCommand({
      restApiId: api.id!,
      resourceId: api.rootResourceId!,
      httpMethod: 'ANY',
      type: 'AWS_PROXY',
      integrationHttpMethod: 'POST',
      uri: invokeUri(otherArn),
    }),
  );
  const deployment = await client.send(new CreateDeploymentCommand({ restApiId: api.id!, stageName: 'dev', variables: { color: 'blue' } }));
  expect(await client.send(new GetStageCommand({ restApiId: api.id!, stageName: 'dev' }))).toMatchObject({
    deploymentId: deployment.id,
    variables: { color: 'blue' },
  });
  expect(control.route(api.id!, 'dev', 'PATCH', '/')).toMatchObject({
    route: { httpMethod: 'ANY', resourcePath: '/', integration: { functionArn: otherArn } },
  });
});

it('matches path parameters and greedy paths, the most specific resource first', async () => {
  const api = await client.send(new CreateRestApiCommand({ name: 'paths' }));
  const restApiId = api.id!;
  const add = async (parentId: string, pathPart: string, httpMethod: string) => {
    const resource = await client.send(new CreateResourceCommand({ restApiId, parentId, pathPart }));
    await client.send(new PutMethodCommand({ restApiId, resourceId: resource.id!, httpMethod, authorizationType: 'NONE' }));
    await client.send(
      new PutIntegrationCommand({
        restApiId,
        resourceId: resource.id!,
        httpMethod,
        type: 'AWS_PROXY',
        integrationHttpMethod: 'POST',
        uri: invokeUri(productArn),
      }),
    );
    return resource;
  };
  const items = await add(api.rootResourceId!, 'items', 'GET');
  const item = await add(items.id!, '{id}', 'GET');
  await add(api.rootResourceId!, '{proxy+}', 'ANY');
  expect(item.path).toBe('/items/{id}');
  await client.send(new CreateDeploymentCommand({ restApiId, stageName: 'v1' }));

  const lookup = (method: string, path: string) => {
    const found = control.route(restApiId, 'v1', method, path);
    return 'route' in found ? [found.route.resourcePath, found.route.httpMethod, found.route.pathParameters] : found.missing;
  };
  expect(lookup('GET', '/items')).toEqual(['/items', 'GET', null]);
  expect(lookup('GET', '/items/42')).toEqual(['/items/{id}', 'GET', { id: '42' }]);
  expect(lookup('POST', '/items/42')).toEqual(['/{proxy+}', 'ANY', { proxy: 'items/42' }]);
  expect(lookup('GET', '/a/b/c')).toEqual(['/{proxy+}', 'ANY', { proxy: 'a/b/c' }]);
  expect(lookup('GET', '/')).toBe('route');
});

it('updates the API, its methods and tags, and deletes what it made', async () => {
  const { resourceId } = await deployStack();
  const updated = await client.send(
    new UpdateRestApiCommand({
      restApiId,
      patchOperations: [
        { op: 'replace', path: '/description', value: 'products' },
        { op: 'replace', path: '/endpointConfiguration/types/EDGE', value: 'REGIONAL' },
        { op: 'add', path: '/binaryMediaTypes/image~1png', value: '' },
        { op: 'replace', path: '/minimumCompressionSize', value: '1024' },
      ],
    }),
  );
  expect(updated).toMatchObject({
    description: 'products',
    endpointConfiguration: { types: ['REGIONAL'] },
    binaryMediaTypes: [...apiBinaryMediaTypes, 'image/png'],
    minimumCompressionSize: 1024,
  });
  const invalid = await refusal(client.send(new UpdateRestApiCommand({ restApiId, patchOperations: [{ op: 'replace', path: '/id', value: 'x' }] })));
  expect(invalid).toMatchObject({ name: 'BadRequestException', status: 400 });

  const method = await client.send(
    new UpdateMethodCommand({
      restApiId,
      resourceId,
      httpMethod: 'GET',
      patchOperations: [
        { op: 'replace', path: '/apiKeyRequired', value: 'true' },
        { op: 'add', path: '/requestParameters/method.request.querystring.id', value: 'false' },
      ],
    }),
  );
  expect(method).toMatchObject({ apiKeyRequired: true, requestParameters: { 'method.request.querystring.id': false } });

  await client.send(new TagResourceCommand({ resourceArn: apiArn, tags: { team: 'a' } }));
  await client.send(new TagResourceCommand({ resourceArn: `${apiArn}/stages/${names.stage}`, tags: { env: 'dev' } }));
  await client.send(new UntagResourceCommand({ resourceArn: apiArn, tagKeys: ['_custom_id_'] }));
  expect((await client.send(new GetTagsCommand({ resourceArn: apiArn }))).tags).toEqual({ team: 'a' });
  expect((await client.send(new GetStageCommand({ restApiId, stageName: names.stage }))).tags).toEqual({ env: 'dev' });

  await client.send(new DeleteIntegrationCommand({ restApiId, resourceId, httpMethod: 'GET' }));
  expect(await refusal(client.send(new GetIntegrationCommand({ restApiId, resourceId, httpMethod: 'GET' })))).toEqual({
    name: 'NotFoundException',
    status: 404,
    message: 'No integration defined for method',
  });
  await client.send(new DeleteResourceCommand({ restApiId, resourceId }));
  expect((await client.send(new GetResourcesCommand({ restApiId }))).items!.map((resource) => resource.path)).toEqual(['/']);
  await client.send(new DeleteStageCommand({ restApiId, stageName: names.stage }));
  await client.send(new DeleteRestApiCommand({ restApiId }));
  expect((await client.send(new GetRestApisCommand({}))).items).toEqual([]);
  expect(control.inventory()).toEqual([]);
});

it('answers not-found and conflicts as the SDK expects them', async () => {
  const { resourceId } = await deployStack();
  const notFound = (message: string) => ({ name: 'NotFoundException', status: 404, message });
  expect(await refusal(client.send(new GetRestApiCommand({ restApiId: 'nope' })))).toEqual(
    notFound(`Invalid API identifier specified ${localstack.accountId}:nope`),
  );
  expect(await refusal(client.send(new GetResourceCommand({ restApiId, resourceId: 'nope' })))).toEqual(notFound('Invalid Resource identifier specified'));
  expect(await refusal(client.send(new GetMethodCommand({ restApiId, resourceId, httpMethod: 'PUT' })))).toEqual(
    notFound('Invalid Method identifier specified'),
  );
  expect(await refusal(client.send(new GetStageCommand({ restApiId, stageName: 'prod' })))).toEqual(notFound('Invalid Stage identifier specified'));
  expect(await refusal(client.send(new GetDeploymentCommand({ restApiId, deploymentId: 'nope' })))).toEqual(
    notFound('Invalid Deployment identifier specified'),
  );
  expect(await refusal(client.send(new GetTagsCommand({ resourceArn: apiArn.replace(restApiId, 'nope') })))).toEqual(
    notFound(`Invalid API identifier specified ${localstack.accountId}:nope`),
  );

  const conflict = (message: string) => ({ name: 'ConflictException', status: 409, message });
  const { rootResourceId } = await client.send(new GetRestApiCommand({ restApiId }));
  expect(await refusal(client.send(new CreateResourceCommand({ restApiId, parentId: rootResourceId!, pathPart: names.resource })))).toEqual(
    conflict(`Another resource with the same parent already has this name: ${names.resource}`),
  );
  expect(await refusal(client.send(new PutMethodCommand({ restApiId, resourceId, httpMethod: 'GET', authorizationType: 'NONE' })))).toEqual(
    conflict('Method already exists for this resource'),
  );
  expect((await refusal(client.send(new CreateRestApiCommand({ name: 'again', tags: { _custom_id_: restApiId } })))).name).toBe('ConflictException');
  const { deploymentId } = (await client.send(new GetStageCommand({ restApiId, stageName: names.stage }))) as { deploymentId: string };
  expect(await refusal(client.send(new CreateStageCommand({ restApiId, stageName: names.stage, deploymentId })))).toEqual(conflict('Stage already exists'));
});

it('speaks REST-JSON on the wire: errors as {"message"} with x-amzn-ErrorType', async () => {
  const response = await fetch(`${server.url}/restapis/nope`, {
    headers: { Authorization: `AWS4-HMAC-SHA256 Credential=test/20261127/${region}/apigateway/aws4_request, SignedHeaders=host, Signature=0` },
  });
  expect(response.status).toBe(404);
  expect(response.headers.get('x-amzn-errortype')).toBe('NotFoundException');
  expect(await response.json()).toEqual({ message: `Invalid API identifier specified ${localstack.accountId}:nope` });
  expect(control.operationOf({ method: 'PUT', path: '/restapis/1/resources/2/methods/GET/integration', headers: {}, body: '' })).toBe('PutIntegration');
  expect(control.operationOf({ method: 'DELETE', path: `/tags/${apiArn}`, headers: {}, body: '' })).toBe('UntagResource');
});

it('reads the function ARN from a Lambda integration URI', () => {
  expect(lambdaInvocationUri(region, productArn)).toBe(invokeUri(productArn));
  expect(lambdaFunctionArn(invokeUri(productArn))).toBe(productArn);
  expect(lambdaFunctionArn(`${invokeUri(productArn)}x`)).toBeUndefined();
  expect(lambdaFunctionArn(undefined)).toBeUndefined();
});

it('answers the AWS CLI (botocore) in a form it parses', async () => {
  if (!(await hasAwsCli())) return;
  const { resourceId } = await deployStack();
  const apis = JSON.parse(await awsCli(server.url, 'apigateway', 'get-rest-apis')) as { items: { id: string; name: string; tags: Record<string, string> }[] };
  expect(apis.items).toEqual([expect.objectContaining({ id: restApiId, name: names.restApi, tags: { _custom_id_: restApiId } })]);

  type Resources = { items: { id: string; path: string; resourceMethods?: Record<string, { methodIntegration?: { uri: string } }> }[] };
  const resources = JSON.parse(await awsCli(server.url, 'apigateway', 'get-resources', '--rest-api-id', restApiId, '--embed', 'methods')) as Resources;
  expect(resources.items.map((resource) => resource.path)).toEqual(['/', `/${names.resource}`]);
  expect(resources.items[1]).toMatchObject({ id: resourceId, resourceMethods: { POST: { methodIntegration: { uri: invokeUri(productArn) } } } });

  await expect(awsCli(server.url, 'apigateway', 'get-resources', '--rest-api-id', 'nope')).rejects.toThrow(
    /NotFoundException.*Invalid API identifier specified 000000000000:nope/,
  );
});
