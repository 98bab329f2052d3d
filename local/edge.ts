/**
 * The edge on port 4566, as LocalStack's: one HTTP port for the AWS APIs (routed to the
 * in-process emulators), the REST API, the Chaos API and the health check. Faults and latency
 * from the Chaos API apply here, to every AWS call, whoever makes it.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ApiRequest, type HttpAnswer, matchApiRequest } from './apigateway';
import { type AwsCall, faultResponse, identify } from './aws-protocol';
import { Chaos, ChaosValidationError } from './chaos';

export interface EdgeOptions {
  host: string;
  port: number;
  chaos: Chaos;
  /** Where each service's calls go: a loopback port of its emulator. */
  backends: Record<string, number>;
  api: (request: ApiRequest, req: IncomingMessage, body: string) => Promise<HttpAnswer>;
  health: () => Record<string, unknown>;
  log: (line: string) => void;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024; // API Gateway's payload limit
const HELD_RETRY_MS = 250;

class PayloadTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new PayloadTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, answer: HttpAnswer): void {
  res.writeHead(answer.statusCode, answer.headers);
  res.end(answer.body);
}

const sendJson = (res: ServerResponse, statusCode: number, body: unknown) =>
  send(res, { statusCode, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

export class Edge {
  private readonly server: http.Server;
  /** SNS publishes whose delivery to SQS a fault is holding back; retried as AWS retries SQS deliveries. */
  private readonly held: Array<{ req: { method: string; url: string; headers: http.IncomingHttpHeaders }; body: string; call: AwsCall }> = [];
  private heldTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: EdgeOptions) {
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        options.log(`Edge error on ${req.method} ${req.url}: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) sendJson(res, 500, { message: 'Internal error in the offline runtime' });
        else res.destroy();
      });
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'EADDRINUSE'
            ? new Error(`Port ${this.options.port} on ${this.options.host} is already in use (LocalStack, or another offline runtime?). Stop it or choose another port with --port.`)
            : error,
        ),
      );
      this.server.listen(this.options.port, this.options.host, resolve);
    });
    this.heldTimer = setInterval(() => void this.retryHeld(), HELD_RETRY_MS).unref();
    return (this.server.address() as AddressInfo).port;
  }

  get pendingDeliveries(): number {
    return this.held.length;
  }

  async close(): Promise<void> {
    clearInterval(this.heldTimer);
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: string;
    try {
      body = await readBody(req);
    } catch (error) {
      if (error instanceof PayloadTooLarge) return sendJson(res, 413, { message: `Request body larger than ${MAX_BODY_BYTES} bytes` });
      throw error;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/_localstack/')) return this.localstackApi(req, res, url.pathname, body);

    const api = matchApiRequest(req.headers.host, req.url ?? '/');
    if (api) return send(res, await this.options.api(api, req, body));

    const call = identify(req.headers, body);
    if (!call || this.options.backends[call.service] === undefined) {
      return sendJson(res, 400, { message: `Not an AWS call this runtime serves (DynamoDB, SNS, SQS, STS): ${req.method} ${url.pathname}` });
    }
    const { chaos, log } = this.options;
    const request = { method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers };
    if (chaos.latency > 0) await sleep(chaos.latency);
    const fault = chaos.faultFor(call);
    if (fault) {
      log(`AWS ${call.service}.${call.operation} => ${fault.statusCode} (${fault.code})`);
      return send(res, faultResponse(call, fault));
    }
    if (call.service === 'sns' && call.operation === 'Publish' && chaos.faultFor({ service: 'sqs', region: call.region, operation: 'SendMessage' })) {
      // The topic accepts the message, but its delivery to the queue is faulted: hold it back and retry.
      this.held.push({ req: request, body, call });
      log(`AWS sns.Publish => 200 (delivery to SQS held back by a fault; ${this.held.length} pending)`);
      return send(res, publishAccepted());
    }
    const answer = await this.forward(call.service, request, body);
    log(`AWS ${call.service}.${call.operation} => ${answer.statusCode}${answer.statusCode >= 400 ? ` (${errorCode(answer)})` : ''}`);
    send(res, answer);
  }

  private async forward(service: string, req: { method: string; url: string; headers: http.IncomingHttpHeaders }, body: string): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const upstream = http.request(
        { host: '127.0.0.1', port: this.options.backends[service], method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => {
            const headers: Record<string, string | string[]> = {};
            for (const [key, value] of Object.entries(answer.headers)) if (value !== undefined) headers[key] = value;
            resolve({ statusCode: answer.statusCode ?? 502, headers, body: Buffer.concat(chunks) });
          });
          answer.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }

  private async retryHeld(): Promise<void> {
    for (let next = this.held[0]; next; next = this.held[0]) {
      if (this.options.chaos.faultFor({ service: 'sqs', region: next.call.region, operation: 'SendMessage' })) return;
      this.held.shift();
      try {
        await this.forward('sns', next.req, next.body);
        this.options.log(`SNS delivery to SQS released (${this.held.length} still pending)`);
      } catch (error) {
        this.held.unshift(next);
        this.options.log(`SNS delivery retry failed: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
    }
  }

  private localstackApi(req: IncomingMessage, res: ServerResponse, path: string, body: string): void {
    const { chaos } = this.options;
    if (path === '/_localstack/health' || path === '/_localstack/health/') return sendJson(res, 200, this.options.health());
    const handlers: Record<string, Record<string, (input: unknown) => unknown>> = {
      '/_localstack/chaos/faults': {
        GET: () => chaos.getFaults(),
        POST: (input) => chaos.setFaults(input),
        PATCH: (input) => chaos.addFaults(input),
        DELETE: (input) => chaos.removeFaults(input),
      },
      '/_localstack/chaos/effects': { GET: () => chaos.getEffects(), POST: (input) => chaos.setEffects(input) },
    };
    const routes = handlers[path.replace(/\/$/, '')];
    if (!routes) return sendJson(res, 404, { message: `Unknown LocalStack endpoint ${path}` });
    const handler = routes[req.method ?? 'GET'];
    if (!handler) return sendJson(res, 405, { message: `${req.method} is not supported on ${path}; use ${Object.keys(routes).join(', ')}` });
    let input: unknown;
    if (req.method !== 'GET') {
      try {
        input = JSON.parse(body);
      } catch (error) {
        return sendJson(res, 400, { message: `Invalid JSON body: ${error instanceof Error ? error.message : String(error)}` });
      }
    }
    try {
      const result = handler(input);
      this.options.log(`Chaos ${req.method} ${path} => ${JSON.stringify(result)}`);
      sendJson(res, 200, result);
    } catch (error) {
      if (error instanceof ChaosValidationError) return sendJson(res, 400, { message: error.message });
      throw error;
    }
  }
}

function publishAccepted(): HttpAnswer {
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'text/xml' },
    body:
      '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>' +
      `<MessageId>${randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
  };
}

function errorCode(answer: HttpAnswer): string {
  const type = answer.headers['x-amzn-errortype'];
  if (typeof type === 'string') return type.split(':')[0] ?? type;
  const text = answer.body.toString();
  return /"__type"\s*:\s*"(?:[^"#]*#)?([^"]+)"/.exec(text)?.[1] ?? /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? 'Error';
}
