/** Lambda's REST routes (method, requestUri, responseCode as in its model), each to its operation. */
import type { RestCall, RestRoute } from '../../protocol/rest-json';
import type { LambdaStore } from './model';
import * as functions from './operations/functions';
import * as mappings from './operations/mappings';

export function lambdaRoutes(store: LambdaStore): RestRoute[] {
  const on = (operation: (store: LambdaStore, call: RestCall) => unknown) => (call: RestCall) => operation(store, call);
  const fn = '/2015-03-31/functions/{FunctionName}';
  const mapping = '/2015-03-31/event-source-mappings/{UUID}';
  const tags = '/2017-03-31/tags/{Resource}';
  return [
    { operation: 'CreateFunction', method: 'POST', path: '/2015-03-31/functions', status: 201, run: on(functions.createFunction) },
    { operation: 'ListFunctions', method: 'GET', path: '/2015-03-31/functions', run: on(functions.listFunctions) },
    { operation: 'GetFunction', method: 'GET', path: fn, run: on(functions.getFunction) },
    { operation: 'DeleteFunction', method: 'DELETE', path: fn, status: 204, run: on(functions.deleteFunction) },
    { operation: 'GetFunctionConfiguration', method: 'GET', path: `${fn}/configuration`, run: on(functions.getConfiguration) },
    { operation: 'UpdateFunctionConfiguration', method: 'PUT', path: `${fn}/configuration`, run: on(functions.updateConfiguration) },
    { operation: 'UpdateFunctionCode', method: 'PUT', path: `${fn}/code`, run: on(functions.updateCode) },
    { operation: 'ListVersionsByFunction', method: 'GET', path: `${fn}/versions`, run: on(functions.listVersions) },
    {
      operation: 'GetFunctionCodeSigningConfig',
      method: 'GET',
      path: '/2020-06-30/functions/{FunctionName}/code-signing-config',
      run: on(functions.getCodeSigningConfig),
    },
    { operation: 'GetFunctionConcurrency', method: 'GET', path: '/2019-09-30/functions/{FunctionName}/concurrency', run: on(functions.getConcurrency) },
    { operation: 'PutFunctionConcurrency', method: 'PUT', path: '/2017-10-31/functions/{FunctionName}/concurrency', run: on(functions.putConcurrency) },
    {
      operation: 'DeleteFunctionConcurrency',
      method: 'DELETE',
      path: '/2017-10-31/functions/{FunctionName}/concurrency',
      status: 204,
      run: on(functions.deleteConcurrency),
    },
    { operation: 'AddPermission', method: 'POST', path: `${fn}/policy`, status: 201, run: on(functions.addPermission) },
    { operation: 'GetPolicy', method: 'GET', path: `${fn}/policy`, run: on(functions.getPolicy) },
    { operation: 'RemovePermission', method: 'DELETE', path: `${fn}/policy/{StatementId}`, status: 204, run: on(functions.removePermission) },
    { operation: 'ListTags', method: 'GET', path: tags, run: on(functions.listTags) },
    { operation: 'TagResource', method: 'POST', path: tags, status: 204, run: on(functions.tagResource) },
    { operation: 'UntagResource', method: 'DELETE', path: tags, status: 204, run: on(functions.untagResource) },
    { operation: 'CreateEventSourceMapping', method: 'POST', path: '/2015-03-31/event-source-mappings', status: 202, run: on(mappings.createMapping) },
    { operation: 'ListEventSourceMappings', method: 'GET', path: '/2015-03-31/event-source-mappings', run: on(mappings.listMappings) },
    { operation: 'GetEventSourceMapping', method: 'GET', path: mapping, run: on(mappings.getMapping) },
    { operation: 'UpdateEventSourceMapping', method: 'PUT', path: mapping, status: 202, run: on(mappings.updateMapping) },
    { operation: 'DeleteEventSourceMapping', method: 'DELETE', path: mapping, status: 202, run: on(mappings.deleteMapping) },
  ];
}
