/** API Gateway deployments and stages over HTTP, and the routes a stage serves: what it deployed, and nothing else. */
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  DeleteDeploymentCommand,
  DeleteMethodCommand,
  GetDeploymentsCommand,
  GetStageCommand,
  GetStagesCommand,
  PutIntegrationCommand,
  PutMethodCommand,
  UpdateIntegrationCommand,
  UpdateRestApiCommand,
  UpdateStageCommand,
} from '@aws-sdk/client-api-gateway';
import { apiBinaryMediaTypes, names } from '#spec';
import type { ApiGatewayControlService } from '../../offline/services/apigateway/control';
import { deployStack, invokeUri, otherArn, productArn, serveApiGateway } from '../support/apigateway';
import { refusal } from '../support/sdk-calls';

let control: ApiGatewayControlService;
let client: APIGatewayClient;
let close: () => Promise<void>;
beforeEach(async () => ({ control, client, close } = await serveApiGateway()));
afterEach(() => close());

const restApiId = names.restApiId;

it('routes a request to what the stage deployed, and to nothing else', async () => {
  const { resourceId } = await deployStack(client);
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
  const { resourceId, deploymentId } = await deployStack(client);
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
