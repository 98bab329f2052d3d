/** A request's body, read up to a limit: the edge's own (API Gateway's payload limit), or a service's. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { awsLimits } from '#spec';
import type { HttpAnswer } from '../protocol/http-api';
import type { AwsService } from '../protocol/service';
import { fromAws, jsonAnswer } from './answers';

const MAX_BODY_BYTES = awsLimits.apiGatewayMaxPayloadBytes;

export class PayloadTooLarge extends Error {}

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new PayloadTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** A body over the limit, refused in the service's own format when it sets its limit (Lambda's RequestEntityTooLargeException). */
export function tooLarge(req: IncomingMessage, service: AwsService | undefined): HttpAnswer {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  const refusal = service?.bodyLimit?.refusal(service.operationOf({ method: req.method ?? 'GET', path: pathname, headers: req.headers, body: '' }));
  const answer =
    service && refusal
      ? fromAws(service.errorResponse(refusal, randomUUID()))
      : jsonAnswer(413, { message: `Request body larger than ${MAX_BODY_BYTES} bytes` });
  // The rest of the body is never read, so the connection cannot carry another request.
  return { ...answer, headers: { ...answer.headers, Connection: 'close' } };
}
