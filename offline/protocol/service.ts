/**
 * The contract of the runtime's own service modules (the control plane the Terraform AWS
 * provider drives, and the services the edge answers itself rather than proxying to an
 * emulator): a module gets one parsed AWS call and returns the HTTP answer in its service's
 * wire format. The edge identifies the call, applies chaos and IAM, and renders AwsError for
 * the module's protocol.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** A session of a role, with credentials STS issued: its calls are allowed only as the role's policies allow them. */
export interface RolePrincipal {
  kind: 'role';
  accessKeyId: string;
  roleArn: string;
  roleName: string;
  /** The session's ARN, `arn:aws:sts::<account>:assumed-role/<role>/<session>`, as IAM names the caller in a denial. */
  arn: string;
}

/** Who signed a call: the user's test credentials (unrestricted) or a function's role. */
export type Principal = { kind: 'user'; accessKeyId: string } | RolePrincipal;

export interface AwsRequest {
  /** The SigV4 signing name: iam, sts, logs, lambda, apigateway, ... */
  service: string;
  /** The API operation, e.g. CreateRole; for REST protocols the module's router names it. */
  operation: string;
  method: string;
  /** The URL path, decoded, without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  region: string;
  accountId: string;
  requestId: string;
  principal: Principal;
}

/** The account and region a call is made in: every control plane keeps its resources apart by it. */
export interface Scope {
  region: string;
  accountId: string;
}

export const scopeOf = (request: Pick<AwsRequest, 'region' | 'accountId'>): Scope => ({ region: request.region, accountId: request.accountId });

export interface AwsResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** An error as the service reports it; its protocol renders it (JSON `__type`, query XML, REST headers). */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

/** What names a call before it is parsed: enough for the edge to apply chaos and IAM to it. */
export type CallShape = Pick<AwsRequest, 'method' | 'path' | 'headers' | 'body'>;

export interface AwsService {
  /** The signing names this module answers. */
  readonly names: readonly string[];
  /** The operation a call names (its X-Amz-Target, its Action, or its method and path), or undefined. */
  operationOf(call: CallShape): string | undefined;
  handle(request: AwsRequest): Promise<AwsResponse>;
  /** An AwsError in this service's wire format: how the edge answers a fault or a denial. */
  errorResponse(error: AwsError, requestId: string): AwsResponse;
  /** The largest request body the service reads, if not the edge's own limit, and its answer to a larger one. */
  readonly bodyLimit?: { bytes: number; refusal(operation: string | undefined): AwsError };
}

/** The SigV4 credential scope of a call: who signed it, for which region and service. */
export function signingScope(authorization: string | string[] | undefined): { accessKeyId: string; region: string; service: string } | undefined {
  // Credential=AKID/20240101/us-east-1/iam/aws4_request
  const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(authorization ?? ''));
  return scope?.[1] && scope[2] && scope[3] ? { accessKeyId: scope[1], region: scope[2], service: scope[3] } : undefined;
}

/** An HTTP request as it arrived: what a module's call is read from. */
export interface IncomingCall {
  method: string;
  /** The request target: path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The AwsRequest a module gets for a call signed for it (`scope` from signingScope). */
export function toAwsRequest(
  module: AwsService,
  call: IncomingCall,
  context: { region: string; service: string; accountId: string; requestId: string; principal: Principal },
): AwsRequest {
  const url = new URL(call.url, 'http://localhost');
  const path = decodeURIComponent(url.pathname);
  const shape = { method: call.method, path, headers: call.headers, body: call.body };
  return { ...shape, ...context, operation: module.operationOf(shape) ?? '', query: url.searchParams };
}
