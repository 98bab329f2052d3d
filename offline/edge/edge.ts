/**
 * The edge on port 4566, as LocalStack's: one HTTP port for the AWS APIs (routed to the
 * in-process emulators or to the runtime's own services), the REST API, the Chaos API and the
 * health check. Like LocalStack's gateway it is a server and a chain of small handlers
 * (./handlers/, one concern each), run in the order set here: faults and latency from the Chaos
 * API apply to every AWS call, whoever makes it; IAM is enforced for every call signed with a role
 * session's credentials. The services add their own steps for calls to their emulators (SNS holds
 * deliveries a fault fails, SQS names queues as fauxqs knows them) and shims for what an emulator
 * lacks: the edge knows them only by the contracts in offline/protocol/.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { offline } from '#spec';
import type { Mount } from '../../shared/contracts/mount';
import { HostPolicy, OriginPolicy } from '../../shared/http/origin';
import type { Chaos } from '../chaos/chaos';
import type { Authorizer, LogLevel, PrincipalSource } from '../protocol/contracts';
import type { EmulatorShim, EmulatorStep } from '../protocol/emulator';
import type { HttpAnswer } from '../protocol/http-api';
import type { AwsService } from '../protocol/service';
import { jsonAnswer, sendAnswer } from './answers';
import { type CallContext, EdgeContext, type Handler, runChain } from './chain';
import { awsCall } from './handlers/aws-call';
import { body } from './handlers/body';
import { controlApi } from './handlers/control-api';
import { forwardToEmulator, serveOwnService } from './handlers/dispatch';
import { faults } from './handlers/faults';
import { host } from './handlers/host';
import { iam } from './handlers/iam';
import { latency } from './handlers/latency';
import { mounts } from './handlers/mounts';
import { observer } from './handlers/observer';
import { origin } from './handlers/origin';
import { type ApiServer, productApi } from './handlers/product-api';
import { openRequest, stopping } from './handlers/stopping';
import { OwnServices } from './own-services';
import { PollLog } from './poll-log';
import { type EdgeStopCounts, OpenRequests } from './stop';

export interface EdgeOptions {
  host: string;
  port: number;
  chaos: Chaos;
  /** Where each service's calls go: a loopback port of its emulator. */
  backends: Record<string, number>;
  /** The key the emulators require (offline/protocol/backend-key.ts): only the edge may call them. */
  backendKey: string;
  /** Shims in front of the emulators, by service: what they lack or answer in a shape the Terraform provider cannot use. */
  shims?: Record<string, EmulatorShim>;
  /** The services' own steps for calls to their emulators, run in order once IAM and faults let a call through. */
  emulatorSteps?: readonly EmulatorStep[];
  /** The services the runtime answers itself (the control plane), by signing name. */
  services?: readonly AwsService[];
  /** The account the runtime's resources live in. */
  accountId: string;
  /**
   * IAM enforcement, as LocalStack's ENFORCE_IAM: STS's role sessions and the roles' policies. A
   * call signed with a role session's key is served only as its role allows; the user's keys (any
   * key STS did not issue) are not restricted. Without it every call is the user's.
   */
  enforceIam?: { sessions: PrincipalSource; roles: Authorizer };
  api: ApiServer;
  health: () => Record<string, unknown>;
  /** Origins besides the runtime's own whose pages may change faults and data (EXTRA_CORS_ALLOWED_ORIGINS). */
  allowedOrigins?: string[];
  /** Host names besides the loopback ones that requests may name (OFFLINE_ALLOWED_HOSTS). */
  allowedHosts?: string[];
  log: (line: string, level?: LogLevel) => void;
  /** The parts served under their own path prefix (the dashboard), read per request: they are given once the port is known. */
  mounts?: () => readonly Mount[];
}

export class Edge {
  private readonly server: http.Server;
  private readonly hosts: HostPolicy;
  private origins: OriginPolicy | undefined;
  private listeningPort = 0;
  private readonly open = new OpenRequests();
  private readonly handlers: ReadonlyArray<Handler<EdgeContext>>;

  constructor(private readonly options: EdgeOptions) {
    const { chaos } = options;
    this.hosts = new HostPolicy(options.allowedHosts);
    const services = new OwnServices(options.services);
    const pollLog = new PollLog();
    // Every AWS call, to a service of the runtime's own or to an emulator, meets these first, in this order.
    const callChecks: ReadonlyArray<Handler<CallContext, HttpAnswer>> = [latency(chaos, this.open), iam(options.enforceIam?.roles), faults(chaos)];
    // Each request goes down this list until a handler answers it.
    this.handlers = [
      host(this.hosts),
      mounts(() => options.mounts?.() ?? [], this.open),
      observer,
      openRequest(this.open),
      body(services),
      productApi(options.api, this.open),
      stopping(this.open, services),
      origin(() => this.origins),
      controlApi(chaos, options.health),
      awsCall({
        services,
        backends: options.backends,
        accountId: options.accountId,
        principals: options.enforceIam?.sessions,
        open: this.open,
        edgePort: () => this.listeningPort,
        pollLog,
        ownService: [...callChecks, serveOwnService],
        emulator: [
          ...callChecks,
          ...(options.emulatorSteps ?? []),
          forwardToEmulator({ backends: options.backends, backendKey: options.backendKey, shims: options.shims, pollLog }),
        ],
      }),
    ];
    this.server = http.createServer((req, res) => void this.respond(req, res));
    this.server.keepAliveTimeout = offline.idleConnectionSeconds * 1_000;
    // Node's guidance: the header timeout outlasts the keep-alive one, or a reused socket can be cut mid-request.
    this.server.headersTimeout = (offline.idleConnectionSeconds + 1) * 1_000;
  }

  private async respond(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const context = new EdgeContext(req, res, this.options.log);
    try {
      const answer = await runChain(this.handlers, context);
      if (answer) sendAnswer(res, answer);
    } catch (error) {
      context.log(`Edge error on ${req.method} ${req.url}: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) sendAnswer(res, jsonAnswer(500, { message: 'Internal error in the offline runtime' }));
      else res.destroy();
    }
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

  /**
   * From now on every new request (API, AWS call, Chaos API, health) is answered 503 at once, in
   * its own format, saying the runtime is stopping; AWS calls waiting out the latency effect are
   * refused now rather than forwarded.
   */
  beginStop(): void {
    this.open.beginStop();
  }

  /** Resolves once every open request is answered, or after `timeoutMs`; true if all are. */
  drain(timeoutMs: number): Promise<boolean> {
    return this.open.drain(timeoutMs);
  }

  /** Answers every request still open: 503, the runtime stopped before it finished (or before it began). */
  answerOpen(): void {
    this.open.answerOpen();
  }

  /** Answers every request still open, then closes. */
  async close(): Promise<EdgeStopCounts> {
    this.answerOpen();
    this.server.closeIdleConnections();
    const closed = new Promise((resolve) => this.server.close(resolve));
    // Connections with a request still arriving (or a client that never reads) do not hold the stop.
    setTimeout(() => this.server.closeAllConnections(), 500).unref();
    await closed;
    return { ...this.open.counts };
  }
}
