/**
 * The AWS query protocol as IAM and STS speak it: a form-encoded request (`Action`, `Version` and
 * the operation's members, lists as `Name.member.N`, maps as `Name.entry.N.key/value`) answered
 * with `<{Op}Response><{Op}Result>…</{Op}Result>` XML, or an `<ErrorResponse>` with the error's
 * status. The SDKs, botocore and the Terraform provider all parse exactly this shape.
 */
import { AwsError, type AwsRequest, type AwsResponse, type CallShape } from './service';

export type QueryValue = string | QueryValue[] | QueryParams;
export interface QueryParams {
  [name: string]: QueryValue;
}

/** The operation's members from a form body: `Tags.member.1.Key=k` becomes `{ Tags: [{ Key: 'k' }] }`. */
export function parseQuery(body: string): QueryParams {
  const root: QueryParams = {};
  for (const [key, value] of new URLSearchParams(body)) {
    if (key === 'Action' || key === 'Version') continue;
    const path = key.split('.');
    const last = path.pop() ?? key;
    let node = root;
    for (const segment of path) {
      const child = node[segment];
      node = isParams(child) ? child : (node[segment] = {});
    }
    node[last] = value;
  }
  return collapse(root) as QueryParams;
}

const isParams = (value: QueryValue | undefined): value is QueryParams => typeof value === 'object' && !Array.isArray(value);

// `{ member: { 1: a, 2: b } }` is the list [a, b]; `{ entry: { 1: { key, value } } }` is a map.
function collapse(value: QueryValue): QueryValue {
  if (!isParams(value)) return value;
  const keys = Object.keys(value);
  const only = keys.length === 1 ? keys[0] : undefined;
  const items = only === 'member' || only === 'entry' ? value[only] : undefined;
  if (items !== undefined && isParams(items)) {
    const ordered = Object.entries(items)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([, item]) => collapse(item));
    if (only === 'member') return ordered;
    return Object.fromEntries(ordered.filter(isParams).map((entry) => [String(entry.key ?? ''), entry.value ?? '']));
  }
  return Object.fromEntries(keys.map((key) => [key, collapse(value[key] as QueryValue)]));
}

/** A string member, or undefined when it is absent. */
export function optional(params: QueryParams, name: string): string | undefined {
  const value = params[name];
  return typeof value === 'string' ? value : undefined;
}

/** A string member the operation cannot do without, refused as AWS refuses a missing one. */
export function required(params: QueryParams, name: string): string {
  const value = optional(params, name);
  if (value === undefined) {
    const member = name.charAt(0).toLowerCase() + name.slice(1);
    throw new AwsError('ValidationError', `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  }
  return value;
}

/** A list member (`Name.member.N`), empty when absent. */
export function list(params: QueryParams, name: string): QueryValue[] {
  const value = params[name];
  return Array.isArray(value) ? value : [];
}

/** What a result renders from: structures as elements, lists as `<member>` elements, absent members left out. */
export type XmlValue = string | number | boolean | undefined | readonly XmlValue[] | { readonly [name: string]: XmlValue };

// Only element text is escaped; quotes need no escaping there.
const escapeXml = (text: string) => text.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c] ?? c);

function toXml(value: XmlValue): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return value.map((item: XmlValue) => `<member>${toXml(item)}</member>`).join('');
  if (typeof value === 'object') {
    return Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .map(([name, member]) => `<${name}>${toXml(member)}</${name}>`)
      .join('');
  }
  return escapeXml(String(value));
}

/** One operation: its result's members, or nothing for operations that answer only metadata (DeleteRole). */
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- an operation without a result returns nothing
export type QueryOperation = (params: QueryParams, request: AwsRequest) => Record<string, XmlValue> | void;

/**
 * The `handle` of a query-protocol service: parses the body, runs the named operation and renders
 * its result, or the AwsError it throws, in the service's XML namespace.
 */
export function queryHandler(xmlns: string, operations: Record<string, QueryOperation>): (request: AwsRequest) => Promise<AwsResponse> {
  return async (request) => {
    const headers = { 'Content-Type': 'text/xml', 'x-amzn-RequestId': request.requestId };
    const metadata = `<ResponseMetadata><RequestId>${request.requestId}</RequestId></ResponseMetadata>`;
    try {
      const operation = Object.hasOwn(operations, request.operation) ? operations[request.operation] : undefined;
      if (!operation) throw new AwsError('InvalidAction', `The action ${request.operation} is not valid for this web service.`);
      const result = operation(parseQuery(request.body), request);
      const op = request.operation;
      const body = `<${op}Response xmlns="${xmlns}">${result ? `<${op}Result>${toXml(result)}</${op}Result>` : ''}${metadata}</${op}Response>`;
      return { status: 200, headers, body };
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      return queryErrorResponse(xmlns, error, request.requestId);
    }
  };
}

/** The Action a query-protocol call names. */
export const queryOperation = (call: CallShape): string | undefined => new URLSearchParams(call.body).get('Action') ?? undefined;

/** An AwsError as a query-protocol service answers it, in its XML namespace. */
export function queryErrorResponse(xmlns: string, error: AwsError, requestId: string): AwsResponse {
  return { status: error.status, headers: { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId }, body: queryError(xmlns, error, requestId) };
}

/** An error as query-protocol services report it: Sender for the caller's mistakes, Receiver for the service's. */
export function queryError(xmlns: string, error: AwsError, requestId: string): string {
  const type = error.status < 500 ? 'Sender' : 'Receiver';
  return (
    `<ErrorResponse xmlns="${xmlns}"><Error><Type>${type}</Type><Code>${escapeXml(error.code)}</Code>` +
    `<Message>${escapeXml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}
