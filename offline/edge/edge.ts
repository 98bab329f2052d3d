/**
 * The edge on port 4566, as LocalStack's: one HTTP port for the AWS APIs (routed to the
 * in-process emulators), the REST API, the Chaos API and the health check. Faults and latency
 * from the Chaos API apply here, to every AWS call, whoever makes it; the runtime's own control
 * endpoints (/_offline/*: the Lambda faults the function host applies) are served here too. Web
 * pages of other origins may not change anything through the control endpoints or the AWS APIs
 * (shared/http/origin.ts); the product API is left open, as API Gateway leaves it. SQS queue
 * URLs in any form LocalStack accepts are mapped to the one the emulator knows. A call an
 * emulator lacks, or answers in a shape the Terraform AWS provider cannot use, goes through that
 * service's shim (offline/services/shims/dynamodb.ts, sns.ts). IAM is enforced here too, for
 * every call signed with a role session's credentials (see `refusal`).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { awsLimits } from '#spec';
import { type ApiRequest, type HttpAnswer, matchApiRequest, newRequestId, stoppingAnswer } from '../services/apigateway/serve';
import { accessDenied, canonicalQueueUrl, EVENT_SOURCE_HEADER, FAULT_MESSAGE, faultResponse, identify } from '../protocol/aws-wire';
import { Chaos } from '../chaos/chaos';
import type { Call, Fault } from '../../shared/contracts/chaos-api';
import { ChaosValidationError } from '../../shared/contracts/chaos-api-validate';
import { HeldDeliveries } from './held-deliveries';
import { InvalidJson, nestingProblem, parseJson } from '../../shared/http/json-body';
import { HostPolicy, OriginPolicy } from '../../shared/http/origin';
import type { EmulatorShim } from '../services/shims/emulator-shim';
import type { IamService } from '../services/iam/iam';
import type { AuthorizedCall } from '../services/iam/actions';
import { AwsError, type AwsResponse, type AwsService, type Principal, signingScope, toAwsRequest } from '../protocol/service';
import type { StsService } from '../services/sts';
import { BACKEND_KEY_HEADER } from '../protocol/backend-key';
import type { Mount } from '../../shared/contracts/mount';
import { LAMBDA_FAULTS_PATH, OBSERVER_HEADER, OFFLINE_PREFIX } from '../../shared/contracts/offline-api';

/** `info` lines are the default view; `debug` lines (the event source's empty polls) only with --verbose. */
export type LogLevel = 'info' | 'debug';

export interface EdgeOptions {
  host: string;
  port: number;
  chaos: Chaos;
  /** Where each service's calls go: a loopback port of its emulator. */
  backends: Record<string, number>;
  /** The key the emulators require (backend-key.ts): only the edge may call them. */
  backendKey: string;
  /** Shims in front of the emulators, by service: what they lack or answer in a shape the Terraform provider cannot use. */
  shims?: Record<string, EmulatorShim>;
  /** The services the runtime answers itself (the control plane), by signing name. */
  services?: readonly AwsService[];
  /** The account the runtime's resources live in. */
  accountId: string;
  /**
   * IAM enforcement, as LocalStack's ENFORCE_IAM: STS's role sessions and the roles' policies. A
   * call signed with a role session's key is served only as its role allows; the user's keys (any
   * key STS did not issue) are not restricted. Without it every call is the user's.
   */
  enforceIam?: { sessions: Pick<StsService, 'principalOf'>; roles: Pick<IamService, 'authorize'> };
  /** Answers a product API request, given its body's bytes as sent; `requestId` is API Gateway's id for it. */
  api: (request: ApiRequest, req: IncomingMessage, body: Buffer, requestId: string) => Promise<HttpAnswer>;
  health: () => Record<string, unknown>;
  /** Origins besides the runtime's own whose pages may change faults and data (EXTRA_CORS_ALLOWED_ORIGINS). */
  allowedOrigins?: string[];
  /** Host names besides the loopback ones that requests may name (OFFLINE_ALLOWED_HOSTS). */
  allowedHosts?: string[];
  log: (line: string, level?: LogLevel) => void;
  /** The parts served under their own path prefix (the dashboard), read per request: they are given once the port is known. */
  mounts?: () => readonly Mount[];
}

const observerReadings = new AsyncLocalStorage<boolean>();

const MAX_BODY_BYTES = awsLimits.apiGatewayMaxPayloadBytes;

class PayloadTooLarge extends Error {}

/** Why a call is answered with an error instead of being served: IAM refused it, or a fault. */
interface Refusal {
  fault: Fault;
  message: string;
  /** The log line's outcome: status and code, and for a denial the role and what it may not do. */
  outcome: string;
}

const STOPPING_MESSAGE = 'The offline runtime is stopping: this call was not run';
const SQS_QUERY_REFUSAL =
  "The offline runtime serves SQS's JSON protocol only (the AWS SDKs and CLIs of 2023 and later use it); this form-encoded query-protocol call was not run";
const CUT_SHORT_MESSAGE = 'The offline runtime stopped before this call finished: its outcome is unknown';

/** What a request gets if the runtime stops before it is answered: `started` once it is under way. */
type Fallback = (started: boolean) => HttpAnswer;

/** Answers of the edge while it stops: refused at once, or cut short when the wait for them ran out. */
export interface EdgeStopCounts {
  refused: number;
  cutShort: number;
}

async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new PayloadTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, answer: HttpAnswer): void {
  // Answered already (the runtime stopped before this request finished and said so).
  if (res.headersSent || res.writableEnded) return;
  res.writeHead(answer.statusCode, answer.headers);
  res.end(answer.body);
}

const json = (statusCode: number, body: unknown): HttpAnswer => ({ statusCode, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

const sendJson = (res: ServerResponse, statusCode: number, body: unknown) => send(res, json(statusCode, body));

/** An answer with the emulator's own CORS headers (dynalite allows every origin) replaced by the edge's. */
function withCors(answer: HttpAnswer, cors: Record<string, string>): HttpAnswer {
  const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !/^access-control-/i.test(name)));
  return { ...answer, headers: { ...headers, ...cors } };
}

export class Edge {
  private readonly server: http.Server;
  /** SNS publishes whose delivery to SQS a fault is holding back (or the emulator refused); kept until delivered. */
  private readonly held: HeldDeliveries;
  private readonly hosts: HostPolicy;
  private origins: OriginPolicy | undefined;
  private listeningPort = 0;
  /** The event source's latest failing poll (what and when it was sent), so a streak of them is logged once. */
  private pollTrouble: { outcome: string; sentAt: number } | undefined;
  /** Every request not answered yet, with the answer it gets if the runtime stops first. */
  private readonly open = new Map<ServerResponse, { fallback: Fallback; started: boolean }>();
  private stopping = false;
  private readonly stopSignal = new AbortController();
  private readonly stopCounts: EdgeStopCounts = { refused: 0, cutShort: 0 };

  private readonly options: EdgeOptions;

  constructor(edgeOptions: EdgeOptions) {
    const options: EdgeOptions = {
      ...edgeOptions,
      log: (line, level) => (observerReadings.getStore() ? edgeOptions.log(`${line} (dashboard)`, 'debug') : edgeOptions.log(line, level)),
    };
    this.options = options;
    this.hosts = new HostPolicy(options.allowedHosts);
    this.held = new HeldDeliveries({
      faulted: (region) => options.chaos.faultFor({ service: 'sqs', region, operation: 'SendMessage' }) !== undefined,
      release: async (request, body) => {
        const answer = await this.forward('sns', request, body);
        return answer.statusCode < 400 ? undefined : `${answer.statusCode} (${errorCode(answer)})`;
      },
      log: (line, level) => options.log(line, level),
    });
    // Every AWS call waiting out the latency listens on this one signal: as many as there are calls in flight.
    setMaxListeners(0, this.stopSignal.signal);
    this.server = http.createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      // Every route: a page that reaches the runtime under a name of its own (DNS rebinding) reads nothing.
      const wrongHost = this.hosts.refusal(req.headers.host);
      if (wrongHost) {
        options.log(`Refused ${req.method} ${path} for the host ${req.headers.host} (not a loopback name)`);
        return sendJson(res, 403, { message: wrongHost });
      }
      const mount = options.mounts?.().find(({ prefix }) => path === prefix || path.startsWith(`${prefix}/`));
      if (mount) return this.serveMount(mount, req, res);
      if (req.headers[OBSERVER_HEADER] !== undefined) return void observerReadings.run(true, () => this.serve(req, res));
      this.serve(req, res);
    });
  }

  /**
   * A mount (the dashboard's page and API). Its requests are not the runtime's work: a stop does not
   * wait for them (the page's event stream stays open for as long as the page does), it refuses new ones.
   */
  private serveMount(mount: Mount, req: IncomingMessage, res: ServerResponse): void {
    if (this.stopping) return sendJson(res, 503, { message: STOPPING_MESSAGE });
    mount.handle(req, res).then(
      (handled) => {
        if (!handled) sendJson(res, 404, { message: `Not a ${mount.name} path: ${req.url ?? '/'}` });
      },
      (error: unknown) => {
        const name = `${mount.name.charAt(0).toUpperCase()}${mount.name.slice(1)}`;
        this.options.log(`${name} error on ${req.method} ${req.url}: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) sendJson(res, 500, { message: `Internal error in the ${mount.name}` });
        else res.destroy();
      },
    );
  }

  private serve(req: IncomingMessage, res: ServerResponse): void {
    this.open.set(res, { fallback: () => json(503, { message: STOPPING_MESSAGE }), started: false });
    res.once('close', () => this.open.delete(res));
    this.handle(req, res).catch((error: unknown) => {
      this.options.log(`Edge error on ${req.method} ${req.url}: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal error in the offline runtime' });
      else res.destroy();
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE'
            ? new Error(
                `Port ${this.options.port} on ${this.options.host} is already in use (LocalStack, or another offline runtime?). Stop it or choose another port with --port.`,
              )
            : error,
        ),
      );
      this.server.listen(this.options.port, this.options.host, resolve);
    });
    this.held.start();
    this.listeningPort = (this.server.address() as AddressInfo).port;
    this.origins = new OriginPolicy(this.listeningPort, this.options.allowedOrigins);
    return this.listeningPort;
  }

  /** The origins whose pages may change faults and data: the runtime's own and the extra ones. */
  get allowedOrigins(): string[] {
    return this.origins?.origins ?? [];
  }

  /** Host names besides the loopback ones that requests may name. */
  get allowedHosts(): string[] {
    return this.hosts.extra;
  }

  get pendingDeliveries(): number {
    return this.held.pending;
  }

  /** Requests received and not answered yet. */
  get openRequests(): number {
    return this.open.size;
  }

  /**
   * From now on every new request (API, AWS call, Chaos API, health) is answered 503 at once, in
   * its own format, saying the runtime is stopping; AWS calls waiting out the latency effect are
   * refused now rather than forwarded; held SNS deliveries are no longer retried.
   */
  beginStop(): void {
    this.stopping = true;
    this.stopSignal.abort();
    this.held.stop();
  }

  /** Resolves once every open request is answered, or after `timeoutMs`; true if all are. */
  async drain(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.open.size > 0 && Date.now() < until) await sleep(20);
    return this.open.size === 0;
  }

  /** Answers every request still open: 503, the runtime stopped before it finished (or before it began). */
  answerOpen(): void {
    this.beginStop();
    for (const [res, { fallback, started }] of this.open) {
      if (!res.headersSent) this.stopCounts.cutShort += 1;
      send(res, fallback(started));
      if (!res.writableEnded) res.end();
    }
  }

  /** Answers every request still open, then closes. */
  async close(): Promise<EdgeStopCounts> {
    this.answerOpen();
    this.server.closeIdleConnections();
    const closed = new Promise((resolve) => this.server.close(resolve));
    // Connections with a request still arriving (or a client that never reads) do not hold the stop.
    setTimeout(() => this.server.closeAllConnections(), 500).unref();
    await closed;
    return { ...this.stopCounts };
  }

  /**
   * Whether a request is refused because the runtime is stopping; if so it is answered. Only
   * callers' requests are counted: the event source's own polls are the runtime's, not anyone's work.
   */
  private refuseIfStopping(req: IncomingMessage, res: ServerResponse): boolean {
    if (!this.stopping) return false;
    const entry = this.open.get(res);
    if (req.headers[EVENT_SOURCE_HEADER] === undefined) this.stopCounts.refused += 1;
    send(res, entry ? entry.fallback(false) : json(503, { message: STOPPING_MESSAGE }));
    return true;
  }

  private setFallback(res: ServerResponse, fallback: Fallback): void {
    const entry = this.open.get(res);
    if (entry) entry.fallback = fallback;
  }

  private markStarted(res: ServerResponse): void {
    const entry = this.open.get(res);
    if (entry) entry.started = true;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const owner = this.serviceFor(req.headers.authorization);
    let raw: Buffer;
    try {
      raw = await readBody(req, owner?.bodyLimit?.bytes);
    } catch (error) {
      if (error instanceof PayloadTooLarge) return send(res, tooLarge(req, owner));
      throw error;
    }
    // The AWS APIs and the control endpoints take UTF-8 text; the product API gets the bytes as sent (serve.ts).
    const body = raw.toString('utf8');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const control = url.pathname.startsWith('/_localstack/') || url.pathname.startsWith(OFFLINE_PREFIX);

    // The product API is the app's public API: answered as API Gateway would, whatever the origin.
    const api = control ? undefined : matchApiRequest(req.headers.host, req.url ?? '/');
    if (api) {
      const requestId = newRequestId();
      this.setFallback(res, (started) => stoppingAnswer(requestId, started));
      if (this.refuseIfStopping(req, res)) return;
      this.markStarted(res);
      return send(res, await this.options.api(api, req, raw, requestId));
    }
    const service = control ? undefined : this.serviceFor(req.headers.authorization);
    if (service) {
      this.setFallback(res, (started) => fromAws(service.errorResponse(stoppingError(started), randomUUID())));
    } else if (!control) {
      const call = identify(req.headers, body);
      if (call)
        this.setFallback(res, (started) =>
          faultResponse(call, { statusCode: 503, code: 'ServiceUnavailable' }, started ? CUT_SHORT_MESSAGE : STOPPING_MESSAGE),
        );
    }
    if (this.refuseIfStopping(req, res)) return;

    // The control endpoints and the AWS APIs change only for the runtime's own pages (and non-browser clients).
    const method = req.method ?? 'GET';
    const decision = this.origins?.decide(method, req.headers) ?? { kind: 'pass' as const };
    if (decision.kind === 'refused') {
      this.options.log(`Refused ${method} ${url.pathname} from ${decision.origin === 'none' ? 'a cross-site page' : decision.origin} (cross-origin)`);
      const call = control ? undefined : identify(req.headers, body);
      return send(res, json(403, { ...(call?.protocol === 'json' ? { __type: 'AccessDeniedException' } : {}), message: decision.message }));
    }
    if (decision.kind === 'preflight') return send(res, { statusCode: 204, headers: decision.headers, body: '' });
    const cors = decision.kind === 'allowed' ? decision.headers : {};

    if (!control) this.markStarted(res);
    const answer = control
      ? this.controlApi(method, url.pathname, body)
      : service
        ? await this.serviceCall(service, req, body)
        : await this.awsCall(req, url, body);
    send(res, withCors(answer, cors));
  }

  private serviceFor(authorization: string | string[] | undefined): AwsService | undefined {
    const scope = signingScope(authorization);
    return scope && this.options.services?.find((service) => service.names.includes(scope.service));
  }

  /** A call to one of the runtime's own services: latency, IAM and faults first, as for every AWS call. */
  private async serviceCall(service: AwsService, req: IncomingMessage, body: string): Promise<HttpAnswer> {
    const { log, accountId } = this.options;
    const scope = signingScope(req.headers.authorization);
    if (!scope) throw new Error('serviceCall without a signing scope');
    const call = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body };
    const principal = this.principalOf(scope.accessKeyId);
    const request = toAwsRequest(service, call, { region: scope.region, service: scope.service, accountId, requestId: randomUUID(), principal });
    const name = `${scope.service}.${request.operation || `${request.method} ${request.path}`}`;
    if (await this.waitOutLatency(scope.service)) {
      log(`AWS ${name} => 503 (not run: the runtime is stopping)`);
      return fromAws(service.errorResponse(stoppingError(false), request.requestId));
    }
    const refused = this.refusal({ service: scope.service, region: scope.region, operation: request.operation }, principal, () => ({
      ...request,
      protocol: protocolOf(req.headers),
    }));
    if (refused) {
      log(`AWS ${name} => ${refused.outcome}`);
      return fromAws(service.errorResponse(new AwsError(refused.fault.code, refused.message, refused.fault.statusCode), request.requestId));
    }
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
  }

  /** Who signed a call: the user, unless the key is a role session's. A map look-up, so the user's calls cost nothing more. */
  private principalOf(accessKeyId = ''): Principal {
    return this.options.enforceIam?.sessions.principalOf(accessKeyId) ?? { kind: 'user', accessKeyId };
  }

  /**
   * Why a call is not served: IAM first, then the Chaos API's faults. A role session's call its
   * role's policies do not allow is refused as AWS refuses it (the service's AccessDenied, with
   * IAM's message) and never reaches the service; only a call IAM lets through can meet a fault,
   * as on AWS, where authorization happens at the front door, before the service does anything.
   * LocalStack does not document the order of its IAM enforcement and Chaos API (both are
   * request handlers of its Pro image); the latency, a network effect, comes first for every call.
   * `authorized` builds what IAM needs only for a role session's call.
   */
  private refusal(call: Call, principal: Principal, authorized: () => AuthorizedCall): Refusal | undefined {
    const denial = principal.kind === 'role' && this.options.enforceIam?.roles.authorize(principal, authorized());
    if (denial) {
      const fault = accessDenied(call.service);
      return { fault, message: denial.message, outcome: `${fault.statusCode} (${fault.code}): AccessDenied for role ${principal.roleName}, ${denial.summary}` };
    }
    // The dashboard's readings observe the outage without being part of it (nor drawing from a seeded rule's sequence).
    if (observerReadings.getStore()) return undefined;
    const fault = this.options.chaos.faultFor(call);
    return fault && { fault, message: FAULT_MESSAGE, outcome: `${fault.statusCode} (${fault.code})` };
  }

  /** Waits out the latency effect for a call to `service`; true when the runtime began to stop meanwhile (the call is then not run). */
  private async waitOutLatency(service: string): Promise<boolean> {
    const latency = observerReadings.getStore() ? 0 : this.options.chaos.latencyFor(service);
    if (latency > 0) await sleep(latency, undefined, { signal: this.stopSignal.signal }).catch(() => undefined);
    if (this.stopping) this.stopCounts.refused += 1;
    return this.stopping;
  }

  private async awsCall(req: IncomingMessage, url: URL, originalBody: string): Promise<HttpAnswer> {
    const call = identify(req.headers, originalBody);
    if (!call || this.options.backends[call.service] === undefined) {
      const served = [...Object.keys(this.options.backends), ...(this.options.services ?? []).flatMap((service) => service.names)].sort();
      return json(400, { message: `Not an AWS call this runtime serves (${served.join(', ')}): ${req.method} ${url.pathname}` });
    }
    const { chaos, log, accountId } = this.options;
    // Before anything reads the body: the emulators' own validation recurses.
    const tooDeep = call.protocol === 'json' ? nestingProblem(originalBody) : undefined;
    if (tooDeep) {
      log(`AWS ${call.service}.${call.operation} => 400 (SerializationException: nested too deeply)`);
      return faultResponse(call, { statusCode: 400, code: 'SerializationException' }, tooDeep);
    }
    const poll = call.service === 'sqs' && call.operation === 'ReceiveMessage' && req.headers[EVENT_SOURCE_HEADER] !== undefined;
    const sentAt = performance.now();
    let request = { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers };
    let body = originalBody;
    if (call.service === 'sqs' && call.protocol === 'json') {
      // The JSON protocol carries everything in the body; fauxqs serves it at / only.
      request = { ...request, url: '/' };
      body = this.canonicalQueueUrls(body, call.region);
    }
    // A call still waiting out the latency when the runtime began to stop is not run.
    if (await this.waitOutLatency(call.service)) {
      log(`AWS ${call.service}.${call.operation} => 503 (not run: the runtime is stopping)`);
      return faultResponse(call, { statusCode: 503, code: 'ServiceUnavailable' }, STOPPING_MESSAGE);
    }
    const principal = this.principalOf(signingScope(req.headers.authorization)?.accessKeyId);
    // An SQS query call may name its queue by the path it is posted to (iam-actions.ts).
    const refused = this.refusal(call, principal, () => ({ ...call, body, path: url.pathname, accountId, method: request.method }));
    if (refused) {
      if (poll) this.logPoll(sentAt, refused.outcome, 0);
      else log(`AWS ${call.service}.${call.operation} => ${refused.outcome}`);
      return faultResponse(call, refused.fault, refused.message);
    }
    if (call.service === 'sns' && call.operation === 'Publish' && chaos.faultFor({ service: 'sqs', region: call.region, operation: 'SendMessage' })) {
      // The topic accepts the message, but its delivery to the queue is faulted: hold it back and retry.
      this.held.hold(request, body, call.region);
      log(`AWS sns.Publish => 200 (delivery to SQS held back by a fault; ${this.held.pending} pending)`);
      return publishAccepted();
    }
    if (call.service === 'sqs' && call.protocol === 'query') {
      // After IAM and faults, as any call: fauxqs speaks SQS's JSON protocol only, and would answer a form-encoded call as another service.
      log(`AWS sqs.${call.operation} => 400 (query protocol, not served)`);
      return faultResponse(call, { statusCode: 400, code: 'InvalidAction' }, SQS_QUERY_REFUSAL);
    }
    const shim = this.options.shims?.[call.service];
    const answer = shim
      ? await shim(call, body, (shimBody, operation) => this.forward(call.service, withOperation(request, operation), shimBody))
      : await this.forward(call.service, request, body);
    const outcome = `${answer.statusCode}${answer.statusCode >= 400 ? ` (${errorCode(answer)})` : ''}`;
    if (poll) this.logPoll(sentAt, answer.statusCode >= 400 ? outcome : undefined, answer.statusCode >= 400 ? 0 : receivedCount(answer));
    else log(`AWS ${call.service}.${call.operation} => ${outcome}${req.headers[EVENT_SOURCE_HEADER] === undefined ? '' : ' (event source)'}`);
    return answer;
  }

  /**
   * The event source's long polls, in the default view only when they say something: a batch
   * received, the first of a streak of failures, the first success after one. Every poll with
   * --verbose. A poll sent before the latest failure ends no streak (with two pollers, one's
   * long poll often outlasts the other's failure).
   */
  private logPoll(sentAt: number, failure: string | undefined, received: number): void {
    const { log } = this.options;
    const trouble = this.pollTrouble;
    if (failure !== undefined) {
      const first = trouble?.outcome !== failure;
      this.pollTrouble = { outcome: failure, sentAt: Math.max(sentAt, trouble?.sentAt ?? 0) };
      return log(`AWS sqs.ReceiveMessage => ${failure} (event source${first ? '; it keeps polling, repeats are not shown' : ''})`, first ? 'info' : 'debug');
    }
    const recovered = trouble !== undefined && sentAt > trouble.sentAt;
    if (recovered) this.pollTrouble = undefined;
    if (received > 0) return log(`AWS sqs.ReceiveMessage => 200 (event source: ${received} message${received === 1 ? '' : 's'})`);
    log(`AWS sqs.ReceiveMessage => 200 (event source: ${recovered ? 'receiving again, queue empty' : 'empty poll'})`, recovered ? 'info' : 'debug');
  }

  /** Rewrites a QueueUrl in any form LocalStack accepts to the one fauxqs knows. */
  private canonicalQueueUrls(body: string, region: string): string {
    let input: unknown;
    try {
      input = JSON.parse(body);
    } catch {
      return body; // fauxqs answers malformed JSON itself
    }
    if (typeof input !== 'object' || input === null || !('QueueUrl' in input) || typeof input.QueueUrl !== 'string') return body;
    const canonical = canonicalQueueUrl(input.QueueUrl, region, this.listeningPort);
    return canonical === undefined || canonical === input.QueueUrl ? body : JSON.stringify({ ...input, QueueUrl: canonical });
  }

  private async forward(service: string, req: { method: string; url: string; headers: http.IncomingHttpHeaders }, body: string): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      // The body may have been rewritten (a queue URL), so it is sent with its own length.
      const headers: http.OutgoingHttpHeaders = { ...req.headers, 'content-length': Buffer.byteLength(body), [BACKEND_KEY_HEADER]: this.options.backendKey };
      delete headers['transfer-encoding'];
      const upstream = http.request({ host: '127.0.0.1', port: this.options.backends[service], method: req.method, path: req.url, headers }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const headers: Record<string, string | string[]> = {};
          for (const [key, value] of Object.entries(answer.headers)) if (value !== undefined) headers[key] = value;
          resolve({ statusCode: answer.statusCode ?? 502, headers, body: Buffer.concat(chunks) });
        });
        answer.on('error', reject);
      });
      upstream.on('error', reject);
      upstream.end(body);
    });
  }

  /** LocalStack's endpoints, and the runtime's own under /_offline/. */
  private controlApi(method: string, path: string, body: string): HttpAnswer {
    const { chaos } = this.options;
    if (path === '/_localstack/health' || path === '/_localstack/health/') return json(200, this.options.health());
    const handlers: Record<string, Record<string, (input: unknown) => unknown>> = {
      '/_localstack/chaos/faults': {
        GET: () => chaos.getFaults(),
        POST: (input) => chaos.setFaults(input),
        PATCH: (input) => chaos.addFaults(input),
        DELETE: (input) => chaos.removeFaults(input),
      },
      '/_localstack/chaos/effects': { GET: () => chaos.getEffects(), POST: (input) => chaos.setEffects(input) },
      [LAMBDA_FAULTS_PATH]: {
        GET: () => chaos.getLambdaFaults(),
        POST: (input) => chaos.setLambdaFaults(input),
        PATCH: (input) => chaos.addLambdaFaults(input),
        DELETE: (input) => chaos.removeLambdaFaults(input),
      },
    };
    const routes = handlers[path.replace(/\/$/, '')];
    if (!routes) return json(404, { message: `Unknown ${path.startsWith(OFFLINE_PREFIX) ? 'offline runtime' : 'LocalStack'} endpoint ${path}` });
    const handler = routes[method];
    if (!handler) return json(405, { message: `${method} is not supported on ${path}; use ${Object.keys(routes).join(', ')}` });
    try {
      const result = handler(method === 'GET' ? undefined : parseJson(body));
      this.options.log(`Chaos ${method} ${path} => ${JSON.stringify(result)}`);
      return json(200, result);
    } catch (error) {
      if (error instanceof ChaosValidationError || error instanceof InvalidJson) return json(400, { message: error.message });
      throw error;
    }
  }
}

/** The request with another operation named in its X-Amz-Target (JSON protocol; a query call names it in its body). */
function withOperation<T extends { headers: http.IncomingHttpHeaders }>(request: T, operation: string | undefined): T {
  const target = request.headers['x-amz-target'];
  if (operation === undefined || typeof target !== 'string') return request;
  return { ...request, headers: { ...request.headers, 'x-amz-target': `${target.split('.')[0]}.${operation}` } };
}

const fromAws = ({ status, headers, body }: AwsResponse): HttpAnswer => ({ statusCode: status, headers, body });

/** A body over the limit, refused in the service's own format when it sets its limit (Lambda's RequestEntityTooLargeException). */
function tooLarge(req: IncomingMessage, service: AwsService | undefined): HttpAnswer {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  const refusal = service?.bodyLimit?.refusal(service.operationOf({ method: req.method ?? 'GET', path: pathname, headers: req.headers, body: '' }));
  const answer =
    service && refusal ? fromAws(service.errorResponse(refusal, randomUUID())) : json(413, { message: `Request body larger than ${MAX_BODY_BYTES} bytes` });
  // The rest of the body is never read, so the connection cannot carry another request.
  return { ...answer, headers: { ...answer.headers, Connection: 'close' } };
}

/** The protocol of a call to one of the runtime's own services, which is how IAM reads its input. */
function protocolOf(headers: IncomingHttpHeaders): AuthorizedCall['protocol'] {
  if (headers['x-amz-target'] !== undefined) return 'json';
  return String(headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded') ? 'query' : 'rest-json';
}

const stoppingError = (started: boolean) => new AwsError('ServiceUnavailable', started ? CUT_SHORT_MESSAGE : STOPPING_MESSAGE, 503);

function publishAccepted(): HttpAnswer {
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'text/xml' },
    body:
      '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>' +
      `<MessageId>${randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
  };
}

/** How many messages a ReceiveMessage answer (JSON protocol) carries. */
function receivedCount(answer: HttpAnswer): number {
  try {
    const parsed = JSON.parse(answer.body.toString()) as { Messages?: unknown[] };
    return Array.isArray(parsed.Messages) ? parsed.Messages.length : 0;
  } catch {
    return 0;
  }
}

function errorCode(answer: HttpAnswer): string {
  const type = answer.headers['x-amzn-errortype'];
  if (typeof type === 'string') return type.split(':')[0] ?? type;
  const text = answer.body.toString();
  return /"__type"\s*:\s*"(?:[^"#]*#)?([^"]+)"/.exec(text)?.[1] ?? /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? 'Error';
}
