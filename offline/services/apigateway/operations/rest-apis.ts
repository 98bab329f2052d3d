/** The REST APIs themselves, and the tags of APIs and stages. */
import type { RestCall } from '../../../protocol/rest-json';
import { scopeOf } from '../../../protocol/service';
import { apiOf, page, param } from '../input';
import { badRequest, conflict, CUSTOM_ID_TAG, notFound, now, optionalMembers, randomId, type Resource, type RestApi, type RestApiStore } from '../model';
import { applyPatch, patchOperations } from '../patch';
import { renderApi } from '../render';

export function createRestApi(store: RestApiStore, call: RestCall) {
  const { body } = call;
  const name = body.string('name');
  if (body.has('cloneFrom')) throw badRequest('Cloning an API is not supported by the offline runtime.');
  const tags = body.optionalStringMap('tags') ?? {};
  const apis = store.apis(scopeOf(call.request));
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

export const getRestApis = (store: RestApiStore, call: RestCall) => page([...store.apis(scopeOf(call.request)).values()].map(renderApi), call);

export const getRestApi = (store: RestApiStore, call: RestCall) => renderApi(apiOf(store, call));

export function updateRestApi(store: RestApiStore, call: RestCall) {
  const api = apiOf(store, call);
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

export const deleteRestApi = (store: RestApiStore, call: RestCall): void => void store.apis(scopeOf(call.request)).delete(apiOf(store, call).info.id);

/** The tags of the API or stage an ARN names: `arn:aws:apigateway:<region>::/restapis/<id>[/stages/<name>]`. */
function tagged(store: RestApiStore, call: RestCall): Map<string, string> {
  const arn = param(call, 'resource_arn');
  const match = /^arn:aws[a-z-]*:apigateway:([a-z0-9-]+)::\/restapis\/([^/]+)(?:\/stages\/([^/]+))?$/.exec(arn);
  if (!match?.[1] || !match[2]) throw badRequest(`Invalid ARN specified in the request: ${arn}`);
  const api = apiOf(store, call, match[2], { ...scopeOf(call.request), region: match[1] });
  if (match[3] === undefined) return api.tags;
  const stage = api.stages.get(match[3]);
  if (!stage) throw notFound('Invalid Stage identifier specified');
  return stage.tags;
}

export const getTags = (store: RestApiStore, call: RestCall) => ({ tags: Object.fromEntries(tagged(store, call)) });

export function tagResource(store: RestApiStore, call: RestCall): void {
  const tags = call.body.optionalStringMap('tags');
  if (tags === undefined) throw badRequest('Tags must not be null');
  const target = tagged(store, call);
  for (const [key, value] of Object.entries(tags)) target.set(key, value);
}

export function untagResource(store: RestApiStore, call: RestCall): void {
  const tags = tagged(store, call);
  for (const key of call.query.getAll('tagKeys')) tags.delete(key);
}
