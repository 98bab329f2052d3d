/** HTTP concerns of the product API: reading the request body, refusing bad requests and shaping responses. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ValidationError } from '#domain/errors';
import { limits } from '#domain/limits';

/** A request refused before it reaches the domain (no route, a body too large, not JSON, ...), with its status. */
export class HttpError extends Error {
  override name = 'HttpError';

  constructor(
    readonly statusCode: 400 | 404 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

/** The client's mistake as a status and a message: the domain's ValidationError is a 400. Undefined for anything else. */
export function clientError(error: unknown): { statusCode: number; message: string } | undefined {
  if (error instanceof HttpError) return { statusCode: error.statusCode, message: error.message };
  if (error instanceof ValidationError) return { statusCode: 400, message: error.message };
  return undefined;
}

export const text = (statusCode: number, body: string, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'text/plain; charset=utf-8', ...headers },
  body,
});

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'Content-Type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const errorResponse = (statusCode: number, message: string, headers: Record<string, string> = {}) => json(statusCode, { message }, headers);

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const entry = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === wanted);
  return entry?.[1] ?? undefined;
}

/** Parses the JSON body, rejecting what is too large, not UTF-8, not JSON, or sent as another media type. */
export function readJsonBody(event: APIGatewayProxyEvent): unknown {
  const contentType = header(event, 'content-type');
  // No Content-Type is taken as JSON; anything else must say JSON (application/json or a +json type).
  if (contentType !== undefined && !/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(contentType.trim())) {
    throw new HttpError(415, `Unsupported Content-Type "${contentType}": send application/json`);
  }
  if (event.body === null || event.body === undefined || event.body === '') {
    throw new HttpError(400, 'Request body is missing: send a JSON product');
  }
  const raw = event.isBase64Encoded ? base64Bytes(event.body) : Buffer.from(event.body, 'utf8');
  if (raw.byteLength > limits.maxBodyBytes) {
    throw new HttpError(413, `Request body is ${raw.byteLength} bytes; the limit is ${limits.maxBodyBytes}`);
  }
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1];
    const declared = charset && !/^utf-?8$/i.test(charset) ? ` (the Content-Type says charset=${charset})` : '';
    throw new HttpError(400, `Request body is not valid UTF-8: JSON must be sent as UTF-8${declared}`);
  }
  try {
    return JSON.parse(decoded);
  } catch (error) {
    throw new HttpError(400, `Request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The bytes of a body API Gateway base64-encoded (a binary media type), refusing what is not base64 rather than skipping it as Buffer.from does. */
function base64Bytes(body: string): Buffer {
  if (!BASE64.test(body)) throw new HttpError(400, 'Request body is marked base64-encoded (isBase64Encoded) but is not valid base64');
  return Buffer.from(body, 'base64');
}
