/**
 * What a call names: its path parameters and the entities they name
 * (AWS's 404 when one is missing), the parts `?embed=` asks for and the page of a listing.
 */
import { parseJsonBody } from '../../protocol/json';
import type { RestCall } from '../../protocol/rest-json';
import { scopeOf } from '../../protocol/service';
import { badRequest, type Deployment, type IntegrationInfo, type Method, notFound, type Resource, type RestApi, type RestApiStore, type Stage } from './model';

export const param = (call: RestCall, name: string) => call.params[name] ?? '';

export function apiOf(store: RestApiStore, call: RestCall, id = param(call, 'restapi_id'), scope = scopeOf(call.request)): RestApi {
  const api = store.apis(scope).get(id);
  if (!api) throw notFound(`Invalid API identifier specified ${call.request.accountId}:${id}`);
  return api;
}

export function resourceOf(call: RestCall, api: RestApi, id = param(call, 'resource_id')): Resource {
  const resource = api.resources.get(id);
  if (!resource) throw notFound('Invalid Resource identifier specified');
  return resource;
}

export function methodOf(call: RestCall, resource: Resource): Method {
  const method = resource.methods.get(param(call, 'http_method'));
  if (!method) throw notFound('Invalid Method identifier specified');
  return method;
}

export function integrationOf(method: Method): IntegrationInfo {
  if (!method.integration) throw notFound('No integration defined for method');
  return method.integration;
}

export function deploymentOf(call: RestCall, api: RestApi): Deployment {
  const deployment = api.deployments.get(param(call, 'deployment_id'));
  if (!deployment) throw notFound('Invalid Deployment identifier specified');
  return deployment;
}

export function stageOf(call: RestCall, api: RestApi): Stage {
  const stage = api.stages.get(param(call, 'stage_name'));
  if (!stage) throw notFound('Invalid Stage identifier specified');
  return stage;
}

/** Whether `?embed=` asks for a part (GetResources' methods, GetDeployment's apisummary). */
export const embeds = (call: RestCall, part: string) => call.query.getAll('embed').some((value) => value.split(',').includes(part));

/** A page of a listing: `position` is the offset of the next page, `limit` at most 500 (default 25). */
export function page<T>(items: T[], call: RestCall): { item: T[]; position?: string } {
  const limit = Number(call.query.get('limit') ?? 25);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw badRequest('Limit must be between 1 and 500');
  const start = Number(call.query.get('position') ?? 0);
  if (!Number.isInteger(start) || start < 0) throw badRequest('Invalid position parameter');
  const end = start + limit;
  return { item: items.slice(start, end), ...(end < items.length ? { position: String(end) } : {}) };
}

/** PutMethod's requestParameters, a map to booleans, which JsonInput does not read. */
export function booleanMap(call: RestCall, name: string): Record<string, boolean> | undefined {
  const value = parseJsonBody(call.request.body)[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || !Object.values(value).every((item) => typeof item === 'boolean'))
    throw badRequest(`Invalid ${name}: expected a map of booleans`);
  return value as Record<string, boolean>;
}
