/**
 * The end of an AWS call's chain: the runtime's own service answers it, or it is forwarded to its
 * emulator (through the service's shim, if it has one), and its outcome is logged.
 */
import { errorCode } from '../../protocol/aws-wire';
import { type EmulatorShim, forwardTo, type ForwardRequest } from '../../protocol/emulator';
import type { HttpAnswer } from '../../protocol/http-api';
import { AwsError, type AwsResponse } from '../../protocol/service';
import { fromAws } from '../answers';
import type { Handler } from '../chain';
import { type PollLog, receivedCount } from '../poll-log';
import type { EmulatorCallContext, ServiceCallContext } from './aws-call';

export const serveOwnService: Handler<ServiceCallContext, HttpAnswer> = async ({ service, request, name, log }) => {
  let response: AwsResponse;
  try {
    response = await service.handle(request);
  } catch (error) {
    if (!(error instanceof AwsError)) throw error;
    response = service.errorResponse(error, request.requestId);
  }
  // The error's code: REST and JSON protocols carry it in a header, the query protocol (IAM, STS) in its XML body.
  log(`AWS ${name} => ${response.status}${response.status >= 400 ? ` (${response.headers['x-amzn-ErrorType'] ?? errorCode(fromAws(response))})` : ''}`);
  return fromAws(response);
};

export interface EmulatorOptions {
  /** Each service's emulator port. */
  backends: Record<string, number>;
  /** The key the emulators require (offline/protocol/backend-key.ts): only the edge may call them. */
  backendKey: string;
  shims: Record<string, EmulatorShim> | undefined;
  pollLog: PollLog;
}

export const forwardToEmulator =
  ({ backends, backendKey, shims, pollLog }: EmulatorOptions): Handler<EmulatorCallContext, HttpAnswer> =>
  async (context) => {
    const { call, request, body, name, log } = context;
    const port = backends[call.service];
    if (port === undefined) throw new Error(`No emulator serves ${call.service}`);
    const forward = (to: ForwardRequest, toBody: string) => forwardTo(port, backendKey, to, toBody);
    const shim = shims?.[call.service];
    const answer = shim ? await shim(call, body, (shimBody, operation) => forward(withOperation(request, operation), shimBody)) : await forward(request, body);
    const failed = answer.statusCode >= 400;
    const outcome = `${answer.statusCode}${failed ? ` (${errorCode(answer)})` : ''}`;
    if (context.poll) pollLog.note(log, context.sentAt, failed ? outcome : undefined, failed ? 0 : receivedCount(answer));
    else log(`AWS ${name} => ${outcome}${context.fromEventSource ? ' (event source)' : ''}`);
    return answer;
  };

/** The request with another operation named in its X-Amz-Target (JSON protocol; a query call names it in its body). */
function withOperation(request: ForwardRequest, operation: string | undefined): ForwardRequest {
  const target = request.headers['x-amz-target'];
  if (operation === undefined || typeof target !== 'string') return request;
  return { ...request, headers: { ...request.headers, 'x-amz-target': `${target.split('.')[0]}.${operation}` } };
}
