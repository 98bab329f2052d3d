/** API Gateway's REST routes (method, requestUri, responseCode as in the 2015-07-09 model), each to its operation. */
import type { RestCall, RestRoute } from '../../protocol/rest-json';
import type { RestApiStore } from './model';
import * as deployments from './operations/deployments';
import * as resources from './operations/resources';
import * as restApis from './operations/rest-apis';

export function restRoutes(store: RestApiStore): RestRoute[] {
  const on = (operation: (store: RestApiStore, call: RestCall) => unknown) => (call: RestCall) => operation(store, call);
  const api = '/restapis/{restapi_id}';
  const resource = `${api}/resources/{resource_id}`;
  const method = `${resource}/methods/{http_method}`;
  const integration = `${method}/integration`;
  const deployment = `${api}/deployments/{deployment_id}`;
  const stage = `${api}/stages/{stage_name}`;
  const tags = '/tags/{resource_arn+}';
  return [
    { operation: 'CreateRestApi', method: 'POST', path: '/restapis', status: 201, run: on(restApis.createRestApi) },
    { operation: 'GetRestApis', method: 'GET', path: '/restapis', run: on(restApis.getRestApis) },
    { operation: 'GetRestApi', method: 'GET', path: api, run: on(restApis.getRestApi) },
    { operation: 'UpdateRestApi', method: 'PATCH', path: api, run: on(restApis.updateRestApi) },
    { operation: 'DeleteRestApi', method: 'DELETE', path: api, status: 202, run: on(restApis.deleteRestApi) },
    { operation: 'GetResources', method: 'GET', path: `${api}/resources`, run: on(resources.getResources) },
    { operation: 'GetResource', method: 'GET', path: resource, run: on(resources.getResource) },
    { operation: 'CreateResource', method: 'POST', path: `${api}/resources/{parent_id}`, status: 201, run: on(resources.createResource) },
    { operation: 'UpdateResource', method: 'PATCH', path: resource, run: on(resources.updateResource) },
    { operation: 'DeleteResource', method: 'DELETE', path: resource, status: 202, run: on(resources.deleteResource) },
    { operation: 'PutMethod', method: 'PUT', path: method, status: 201, run: on(resources.putMethod) },
    { operation: 'GetMethod', method: 'GET', path: method, run: on(resources.getMethod) },
    { operation: 'UpdateMethod', method: 'PATCH', path: method, run: on(resources.updateMethod) },
    { operation: 'DeleteMethod', method: 'DELETE', path: method, status: 204, run: on(resources.deleteMethod) },
    { operation: 'PutIntegration', method: 'PUT', path: integration, status: 201, run: on(resources.putIntegration) },
    { operation: 'GetIntegration', method: 'GET', path: integration, run: on(resources.getIntegration) },
    { operation: 'UpdateIntegration', method: 'PATCH', path: integration, run: on(resources.updateIntegration) },
    { operation: 'DeleteIntegration', method: 'DELETE', path: integration, status: 204, run: on(resources.deleteIntegration) },
    { operation: 'CreateDeployment', method: 'POST', path: `${api}/deployments`, status: 201, run: on(deployments.createDeployment) },
    { operation: 'GetDeployments', method: 'GET', path: `${api}/deployments`, run: on(deployments.getDeployments) },
    { operation: 'GetDeployment', method: 'GET', path: deployment, run: on(deployments.getDeployment) },
    { operation: 'UpdateDeployment', method: 'PATCH', path: deployment, run: on(deployments.updateDeployment) },
    { operation: 'DeleteDeployment', method: 'DELETE', path: deployment, status: 202, run: on(deployments.deleteDeployment) },
    { operation: 'CreateStage', method: 'POST', path: `${api}/stages`, status: 201, run: on(deployments.createStage) },
    { operation: 'GetStages', method: 'GET', path: `${api}/stages`, run: on(deployments.getStages) },
    { operation: 'GetStage', method: 'GET', path: stage, run: on(deployments.getStage) },
    { operation: 'UpdateStage', method: 'PATCH', path: stage, run: on(deployments.updateStage) },
    { operation: 'DeleteStage', method: 'DELETE', path: stage, status: 202, run: on(deployments.deleteStage) },
    { operation: 'GetTags', method: 'GET', path: tags, run: on(restApis.getTags) },
    { operation: 'TagResource', method: 'PUT', path: tags, status: 204, run: on(restApis.tagResource) },
    { operation: 'UntagResource', method: 'DELETE', path: tags, status: 204, run: on(restApis.untagResource) },
  ];
}
