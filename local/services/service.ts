/**
 * The contract of the runtime's own service modules (the control plane the Terraform AWS
 * provider drives, and the services the edge answers itself rather than proxying to an
 * emulator): a module gets one parsed AWS call and returns the HTTP answer in its service's
 * wire format. The edge identifies the call, applies chaos and IAM, and renders AwsError for
 * the module's protocol.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Who signed a call: the user's test credentials (unrestricted) or a function's role. */
export type Principal = { kind: 'user'; accessKeyId: string } | { kind: 'role'; accessKeyId: string; roleArn: string; roleName: string };

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

export interface AwsService {
  /** The signing names this module answers. */
  readonly names: readonly string[];
  handle(request: AwsRequest): Promise<AwsResponse>;
}
