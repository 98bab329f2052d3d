/** The API Gateway control plane as the real SDK client and the AWS CLI see it over HTTP: APIs, resources, methods, integrations and tags. */
import {
  APIGatewayClient,
  CreateResourceCommand,
  CreateRestApiCommand,
  CreateStageCommand,
  DeleteIntegrationCommand,
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
  PutMethodCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateMethodCommand,
  UpdateRestApiCommand,
} from '@aws-sdk/client-api-gateway';
import { apiBinaryMediaTypes, localstack, names, region } from '#spec';
import type { ApiGatewayControlService } from '../../offline/services/apigateway/control';
import { lambdaFunctionArn, lambdaInvocationUri } from '../../offline/services/apigateway/model';
import { apiArn, deployStack, invokeUri, productArn, serveApiGateway } from '../support/apigateway';
import { awsCli, hasAwsCli } from '../support/clients';
import { refusal } from '../support/sdk-calls';

let control: ApiGatewayControlService;
let client: APIGatewayClient;
let url: string;
let close: () => Promise<void>;
beforeEach(async () => ({ control, client, url, close } = await serveApiGateway()));
afterEach(() => close());

const restApiId = names.restApiId;

it('creates the stack API with the fields the Terraform provider reads', async () => {
  const before = Math.floor(Date.now() / 1000);
  const stack = await deployStack(client);
  expect(stack.restApiId).toBe(restApiId);
  const { resourceId, deploymentId } = stack;

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

it('updates the API, its methods and tags, and deletes what it made', async () => {
  const { resourceId } = await deployStack(client);
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
  const { resourceId } = await deployStack(client);
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
  const response = await fetch(`${url}/restapis/nope`, {
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
  const { resourceId } = await deployStack(client);
  const apis = JSON.parse(await awsCli(url, 'apigateway', 'get-rest-apis')) as {
    items: { id: string; name: string; tags: Record<string, string> }[];
  };
  expect(apis.items).toEqual([expect.objectContaining({ id: restApiId, name: names.restApi, tags: { _custom_id_: restApiId } })]);

  type Resources = { items: { id: string; path: string; resourceMethods?: Record<string, { methodIntegration?: { uri: string } }> }[] };
  const resources = JSON.parse(await awsCli(url, 'apigateway', 'get-resources', '--rest-api-id', restApiId, '--embed', 'methods')) as Resources;
  expect(resources.items.map((resource) => resource.path)).toEqual(['/', `/${names.resource}`]);
  expect(resources.items[1]).toMatchObject({ id: resourceId, resourceMethods: { POST: { methodIntegration: { uri: invokeUri(productArn) } } } });

  await expect(awsCli(url, 'apigateway', 'get-resources', '--rest-api-id', 'nope')).rejects.toThrow(
    /NotFoundException.*Invalid API identifier specified 000000000000:nope/,
  );
});
