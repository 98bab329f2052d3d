/** HTTP concerns of the product API: reading the request body and shaping responses. */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { limits } from '#spec';
import { InputError } from '#domain/product';

/** The tutorial's response sentences, verbatim. */
export const STORED_MESSAGE = 'Product added/updated successfully.';
export const QUEUED_MESSAGE = 'A DynamoDB error occurred. Message sent to queue.';

/**
 * 503 when DynamoDB and SNS both answered every attempt with a failure: nothing was kept, and
 * the write will never appear unless the client sends it again.
 */
export const NOT_SAVED_MESSAGE = 'The product could not be saved: DynamoDB and the retry queue are both unavailable. Try again shortly.';

/**
 * 503 when no attempt succeeded but one timed out or was aborted: that request may still be
 * processed, so the write may appear later. Sending the same product again is safe: every write
 * is ordered by its acceptance time, so a late copy of this one never overwrites a newer write.
 */
export const OUTCOME_UNKNOWN_MESSAGE =
  'The outcome is unknown: DynamoDB or the retry queue did not answer in time, so the product may or may not be saved. Retrying the same product is safe.';

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

export const errorResponse = (statusCode: number, message: string, headers: Record<string, string> = {}) =>
  json(statusCode, { message }, headers);

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const entry = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === wanted);
  return entry?.[1] ?? undefined;
}

/** Parses the JSON body, rejecting what is too large, not JSON, or sent as another media type. */
export function readJsonBody(event: APIGatewayProxyEvent): unknown {
  const contentType = header(event, 'content-type');
  // No Content-Type is taken as JSON; anything else must say JSON (application/json or a +json type).
  if (contentType !== undefined && !/^application\/([\w.-]+\+)?json\s*(;|$)/i.test(contentType.trim())) {
    throw new InputError(415, `Unsupported Content-Type "${contentType}": send application/json`);
  }
  if (event.body === null || event.body === undefined || event.body === '') {
    throw new InputError(400, 'Request body is missing: send a JSON product');
  }
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (raw.byteLength > limits.maxBodyBytes) {
    throw new InputError(413, `Request body is ${raw.byteLength} bytes; the limit is ${limits.maxBodyBytes}`);
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch (error) {
    const reason = error instanceof SyntaxError ? error.message : 'it is not valid UTF-8';
    throw new InputError(400, `Request body is not valid JSON: ${reason}`);
  }
}
