/**
 * What the edge needs from the services it fronts, as interfaces they implement: the edge knows
 * these shapes, never the services (STS is the PrincipalSource, IAM the Authorizer).
 */
import type { Principal, RolePrincipal } from './service';

/** `info` lines are the default view; `debug` lines (the event source's empty polls) only with --verbose. */
export type LogLevel = 'info' | 'debug';

/** The call as the edge has identified it: enough to name its actions and resources. */
export interface AuthorizedCall {
  /** The SigV4 signing name: dynamodb, sqs, sns, logs, lambda, apigateway, iam, sts. */
  service: string;
  /** The API operation, e.g. SendMessage; for REST services the one the module's router names. */
  operation: string;
  /** The request body as sent: JSON, or a form for the query protocol. */
  body: string;
  /** The URL path, decoded, without the query. */
  path: string;
  region: string;
  accountId: string;
  protocol: 'json' | 'query' | 'rest-json';
  /** The HTTP method: API Gateway's actions are named by it (derived from the operation when absent). */
  method?: string;
  /** The URL query: Lambda's `Qualifier` names a function version or alias. */
  query?: URLSearchParams;
}

/** Who signed a call, told by its access key: a role session STS issued, else the user. */
export interface PrincipalSource {
  principalOf(accessKeyId: string): Principal;
}

/** Whether a role session may make a call: undefined when its role's policies allow it. */
export interface Authorizer {
  authorize(principal: RolePrincipal, call: AuthorizedCall): { message: string; summary: string } | undefined;
}
