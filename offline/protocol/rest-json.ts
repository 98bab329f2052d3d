/**
 * The restJson1 protocol as the runtime's REST services (Lambda, API Gateway) speak it: the
 * method and URL path name the call (`GET /2015-03-31/functions/{FunctionName}`), path
 * parameters, query and a JSON body carry its input, a JSON body and the operation's status its
 * output, and an error is its code in `x-amzn-ErrorType` with a JSON body holding the message,
 * which botocore, the SDKs and the Terraform provider all read.
 */
import { JsonInput, parseJsonBody } from './json';
import { AwsError, type AwsRequest, type AwsResponse } from './service';

/** One call's input: the path's `{params}`, the query and the JSON body's members. */
export interface RestCall {
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  body: JsonInput;
  request: AwsRequest;
}

/** One operation: its output body out (undefined answers `{}`, or nothing with a 204). */
export type RestOperation = (call: RestCall) => unknown;

export interface RestRoute {
  operation: string;
  method: string;
  /** The model's requestUri without its query: `{Name}` is one path segment, `{Name+}` the rest of the path. */
  path: string;
  /** The model's responseCode when it is not 200: 201 and 202 for some writes, 204 for answers without a body. */
  status?: number;
  run: RestOperation;
}

export interface RestProtocol {
  /** The service's code for an invalid or missing parameter (Lambda: InvalidParameterValueException, API Gateway: BadRequestException). */
  validationError: string;
  /** An error's JSON body; `{"message": ...}` unless the service says more (Lambda adds `"Type": "User"`). */
  errorBody?: (error: AwsError) => Record<string, unknown>;
  routes: readonly RestRoute[];
}

interface CompiledRoute extends RestRoute {
  pattern: RegExp;
  names: string[];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// Clients differ on a trailing slash (the JS SDK lists functions at `/functions/`, botocore at `/functions`).
const trimSlash = (path: string) => (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);

function compile(route: RestRoute): CompiledRoute {
  const names: string[] = [];
  const source = trimSlash(route.path)
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)(\+?)\}$/.exec(segment);
      if (!param?.[1]) return escapeRegExp(segment);
      names.push(param[1]);
      return param[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { ...route, pattern: new RegExp(`^${source}$`), names };
}

const JSON_TYPE = 'application/json';

/** Routes a REST-JSON service's calls to its operations and renders their output and their AwsErrors. */
export class RestRouter {
  private readonly routes: CompiledRoute[];

  constructor(private readonly protocol: RestProtocol) {
    this.routes = protocol.routes.map(compile);
  }

  /** The operation a method and (decoded) path name, for the edge's chaos and IAM; undefined when none does. */
  operation(method: string, path: string): string | undefined {
    return this.match(method, path)?.route.operation;
  }

  /** An AwsError as this service answers it; the edge renders faults and denials with it too. */
  errorResponse(error: AwsError, requestId: string): AwsResponse {
    return {
      status: error.status,
      headers: { 'Content-Type': JSON_TYPE, 'x-amzn-ErrorType': error.code, 'x-amzn-RequestId': requestId },
      body: JSON.stringify(this.protocol.errorBody?.(error) ?? { message: error.message }),
    };
  }

  readonly handle = async (request: AwsRequest): Promise<AwsResponse> => {
    try {
      const found = this.match(request.method, request.path);
      if (!found) throw new AwsError('UnknownOperationException', `No operation here answers ${request.method} ${request.path}.`, 404);
      const { route, params } = found;
      const output = await route.run({
        params,
        query: request.query,
        body: new JsonInput(parseJsonBody(request.body), this.protocol.validationError),
        request,
      });
      const status = route.status ?? 200;
      const headers = { 'x-amzn-RequestId': request.requestId };
      if (status === 204) return { status, headers, body: '' };
      return { status, headers: { ...headers, 'Content-Type': JSON_TYPE }, body: JSON.stringify(output ?? {}) };
    } catch (error) {
      if (error instanceof AwsError) return this.errorResponse(error, request.requestId);
      throw error;
    }
  };

  private match(method: string, path: string): { route: CompiledRoute; params: Record<string, string> } | undefined {
    const trimmed = trimSlash(path);
    for (const route of this.routes) {
      if (route.method !== method.toUpperCase()) continue;
      const match = route.pattern.exec(trimmed);
      if (match) return { route, params: Object.fromEntries(route.names.map((name, i) => [name, match[i + 1] ?? ''])) };
    }
    return undefined;
  }
}
