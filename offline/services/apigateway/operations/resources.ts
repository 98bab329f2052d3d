/** An API's resources, their methods and the methods' integrations: what a deployment freezes. */
import type { RestCall } from '../../../protocol/rest-json';
import { apiOf, booleanMap, embeds, integrationOf, methodOf, page, param, resourceOf } from '../input';
import { badRequest, conflict, DEFAULT_TIMEOUT_MS, type Method, optionalMembers, randomId, type Resource, type RestApiStore } from '../model';
import { applyPatch, invalidPatch, patchOperations } from '../patch';
import { ancestry, checkPathPart, checkSiblings } from '../paths';
import { renderMethod, renderResource } from '../render';

const HTTP_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'ANY'];
const INTEGRATION_TYPES = ['HTTP', 'AWS', 'MOCK', 'HTTP_PROXY', 'AWS_PROXY'];

export function getResources(store: RestApiStore, call: RestCall) {
  const api = apiOf(store, call);
  const embedMethods = embeds(call, 'methods');
  return page(
    [...api.resources.values()].map((resource) => renderResource(api, resource, embedMethods)),
    call,
  );
}

export function getResource(store: RestApiStore, call: RestCall) {
  const api = apiOf(store, call);
  return renderResource(api, resourceOf(call, api), embeds(call, 'methods'));
}

export function createResource(store: RestApiStore, call: RestCall) {
  const api = apiOf(store, call);
  const parent = resourceOf(call, api, param(call, 'parent_id'));
  const pathPart = checkPathPart(call.body.string('pathPart'));
  checkSiblings(api, parent.id, pathPart);
  const resource: Resource = { id: randomId(10), parentId: parent.id, pathPart, methods: new Map() };
  api.resources.set(resource.id, resource);
  return renderResource(api, resource, false);
}

export function updateResource(store: RestApiStore, call: RestCall) {
  const api = apiOf(store, call);
  const resource = resourceOf(call, api);
  if (resource.parentId === undefined) throw badRequest('The root resource cannot be updated');
  for (const operation of patchOperations(call.body)) {
    if (operation.op !== 'replace' || operation.value === undefined || !['/pathPart', '/parentId'].includes(operation.path))
      throw invalidPatch(operation, ['/pathPart', '/parentId']);
    if (operation.path === '/pathPart') {
      checkSiblings(api, resource.parentId, checkPathPart(operation.value));
      resource.pathPart = operation.value;
    } else {
      const parent = resourceOf(call, api, operation.value);
      if (ancestry(api, parent).includes(resource)) throw badRequest('A resource cannot be moved under itself');
      checkSiblings(api, parent.id, resource.pathPart ?? '');
      resource.parentId = parent.id;
    }
  }
  return renderResource(api, resource, false);
}

export function deleteResource(store: RestApiStore, call: RestCall): void {
  const api = apiOf(store, call);
  const resource = resourceOf(call, api);
  if (resource.parentId === undefined) throw badRequest('Cannot delete root resource');
  // Its whole subtree goes with it, as on AWS.
  for (const candidate of [...api.resources.values()]) if (ancestry(api, candidate).includes(resource)) api.resources.delete(candidate.id);
}

/** The method a call names, on the resource it names. */
const method = (store: RestApiStore, call: RestCall): Method => methodOf(call, resourceOf(call, apiOf(store, call)));

export function putMethod(store: RestApiStore, call: RestCall) {
  const resource = resourceOf(call, apiOf(store, call));
  const httpMethod = param(call, 'http_method');
  if (!HTTP_METHODS.includes(httpMethod)) throw badRequest(`Invalid HttpMethod specified. Valid options are ${HTTP_METHODS.join(',')}`);
  if (resource.methods.has(httpMethod)) throw conflict('Method already exists for this resource');
  const { body } = call;
  const created: Method = {
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
  resource.methods.set(httpMethod, created);
  return renderMethod(created);
}

export const getMethod = (store: RestApiStore, call: RestCall) => renderMethod(method(store, call));

export function updateMethod(store: RestApiStore, call: RestCall) {
  const updated = method(store, call);
  for (const operation of patchOperations(call.body))
    applyPatch(updated.info, operation, {
      authorizationType: 'string',
      authorizerId: 'string',
      apiKeyRequired: 'boolean',
      operationName: 'string',
      requestValidatorId: 'string',
      requestParameters: 'booleanMap',
      requestModels: 'stringMap',
      authorizationScopes: 'set',
    });
  return renderMethod(updated);
}

export function deleteMethod(store: RestApiStore, call: RestCall): void {
  const resource = resourceOf(call, apiOf(store, call));
  methodOf(call, resource);
  resource.methods.delete(param(call, 'http_method'));
}

function checkTimeout(timeoutInMillis: number): void {
  if (!Number.isInteger(timeoutInMillis) || timeoutInMillis < 50 || timeoutInMillis > DEFAULT_TIMEOUT_MS)
    throw badRequest(`Timeout should be between 50 ms and ${DEFAULT_TIMEOUT_MS} ms`);
}

export function putIntegration(store: RestApiStore, call: RestCall) {
  const resource = resourceOf(call, apiOf(store, call));
  const target = methodOf(call, resource);
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
  target.integration = {
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
  return target.integration;
}

export const getIntegration = (store: RestApiStore, call: RestCall) => integrationOf(method(store, call));

export function updateIntegration(store: RestApiStore, call: RestCall) {
  const integration = integrationOf(method(store, call));
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

export function deleteIntegration(store: RestApiStore, call: RestCall): void {
  const target = method(store, call);
  integrationOf(target);
  delete target.integration;
}
