/**
 * An AWS call: to one of the runtime's own services (the control plane), or to the emulator
 * behind its service. Either way it goes through its own chain (see offline/edge/edge.ts):
 * latency, IAM and the Chaos API's faults first, as every AWS call, then the service.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { nestingProblem } from '../../../shared/http/json-body';
import { type AwsCall, EVENT_SOURCE_HEADER, faultResponse, identify } from '../../protocol/aws-wire';
import type { AuthorizedCall, PrincipalSource } from '../../protocol/contracts';
import type { EmulatorCall } from '../../protocol/emulator';
import type { HttpAnswer } from '../../protocol/http-api';
import { AwsError, type AwsRequest, type AwsService, type Principal, signingScope, toAwsRequest } from '../../protocol/service';
import { fromAws, jsonAnswer } from '../answers';
import { type CallContext, type EdgeContext, type Handler, runChain } from '../chain';
import type { OwnServices, SigningScope } from '../own-services';
import type { PollLog } from '../poll-log';
import type { OpenRequests } from '../stop';

/** A call to one of the runtime's own services. */
export interface ServiceCallContext extends CallContext {
  readonly service: AwsService;
  readonly request: AwsRequest;
}

/** A call forwarded to an emulator; the services' steps may rewrite its request. */
export interface EmulatorCallContext extends CallContext, EmulatorCall {
  readonly call: AwsCall;
  /** Sent by the runtime's own event source mapping. */
  readonly fromEventSource: boolean;
  /** One of the event source's long polls of the queue, logged by the poll log. */
  readonly poll: boolean;
  /** performance.now() when it was sent on. */
  readonly sentAt: number;
}

export interface AwsCallOptions {
  services: OwnServices;
  /** Where each service's calls go: a loopback port of its emulator. */
  backends: Record<string, number>;
  accountId: string;
  /** STS's role sessions, when IAM is enforced. */
  principals: PrincipalSource | undefined;
  open: OpenRequests;
  edgePort: () => number;
  pollLog: PollLog;
  ownService: ReadonlyArray<Handler<ServiceCallContext, HttpAnswer>>;
  emulator: ReadonlyArray<Handler<EmulatorCallContext, HttpAnswer>>;
}

export const awsCall =
  (options: AwsCallOptions): Handler<EdgeContext> =>
  async (context) => {
    const { req } = context;
    options.open.markStarted(context.res);
    const own = options.services.for(req.headers.authorization);
    if (own) return runChain(options.ownService, serviceCall(context, own.service, own.scope, options));
    const call = identify(req.headers, context.body);
    if (!call || options.backends[call.service] === undefined) {
      const served = [...Object.keys(options.backends), ...options.services.names].sort();
      return jsonAnswer(400, { message: `Not an AWS call this runtime serves (${served.join(', ')}): ${req.method} ${context.url.pathname}` });
    }
    // Before anything reads the body: the emulators' own validation recurses.
    const tooDeep = call.protocol === 'json' ? nestingProblem(context.body) : undefined;
    if (tooDeep) {
      context.log(`AWS ${call.service}.${call.operation} => 400 (SerializationException: nested too deeply)`);
      return faultResponse(call, { statusCode: 400, code: 'SerializationException' }, tooDeep);
    }
    return runChain(options.emulator, emulatorCall(context, call, options));
  };

/** Who signed a call: the user, unless the key is a role session's. A map look-up, so the user's calls cost nothing more. */
const principalOf = (principals: PrincipalSource | undefined, accessKeyId = ''): Principal =>
  principals?.principalOf(accessKeyId) ?? { kind: 'user', accessKeyId };

/** The protocol of a call to one of the runtime's own services, which is how IAM reads its input. */
function protocolOf(headers: IncomingHttpHeaders): AuthorizedCall['protocol'] {
  if (headers['x-amz-target'] !== undefined) return 'json';
  return String(headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') ? 'query' : 'rest-json';
}

function serviceCall(context: EdgeContext, service: AwsService, scope: SigningScope, { accountId, principals }: AwsCallOptions): ServiceCallContext {
  const { req, log, observer } = context;
  const principal = principalOf(principals, scope.accessKeyId);
  const incoming = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: context.body };
  const request = toAwsRequest(service, incoming, { region: scope.region, service: scope.service, accountId, requestId: randomUUID(), principal });
  const name = `${scope.service}.${request.operation || `${request.method} ${request.path}`}`;
  return {
    call: { service: scope.service, region: scope.region, operation: request.operation },
    name,
    observer,
    principal,
    service,
    request,
    log,
    authorized: () => ({ ...request, protocol: protocolOf(req.headers) }),
    refuse: (fault, message) => fromAws(service.errorResponse(new AwsError(fault.code, message, fault.statusCode), request.requestId)),
    logRefusal: (outcome) => log(`AWS ${name} => ${outcome}`),
  };
}

function emulatorCall(context: EdgeContext, call: AwsCall, { accountId, principals, edgePort, pollLog }: AwsCallOptions): EmulatorCallContext {
  const { req, log, observer } = context;
  const fromEventSource = req.headers[EVENT_SOURCE_HEADER] !== undefined;
  const poll = call.service === 'sqs' && call.operation === 'ReceiveMessage' && fromEventSource;
  const sentAt = performance.now();
  const name = `${call.service}.${call.operation}`;
  const emulator: EmulatorCallContext = {
    call,
    name,
    observer,
    principal: principalOf(principals, signingScope(req.headers.authorization)?.accessKeyId),
    request: { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers },
    body: context.body,
    edgePort: edgePort(),
    fromEventSource,
    poll,
    sentAt,
    log,
    // An SQS query call may name its queue by the path it is posted to (offline/services/iam/actions.ts).
    authorized: () => ({ ...call, body: emulator.body, path: context.url.pathname, accountId, method: emulator.request.method }),
    refuse: (fault, message) => faultResponse(call, fault, message),
    logRefusal: (outcome) => (poll ? pollLog.note(log, sentAt, outcome, 0) : log(`AWS ${name} => ${outcome}`)),
  };
  return emulator;
}
