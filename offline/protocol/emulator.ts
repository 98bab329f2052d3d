/**
 * What a service puts in front of the emulator the runtime proxies it to (dynalite for DynamoDB,
 * fauxqs for SNS and SQS), and how a call reaches that emulator.
 *
 * - A shim: where an emulator lacks a call the Terraform AWS provider makes, or answers it in a
 *   shape the provider cannot use, the shim answers (or rewrites) that call in the service's own
 *   wire format; every other call goes to the emulator unchanged.
 * - A step: runs in the edge's chain once IAM and the Chaos API's faults let the call through, and
 *   answers it or passes it on (SNS holds a publish whose delivery a fault fails; SQS names queues
 *   as fauxqs knows them).
 */
import http from 'node:http';
import type { AwsCall } from './aws-wire';
import { BACKEND_KEY_HEADER } from './backend-key';
import type { LogLevel } from './contracts';
import type { HttpAnswer } from './http-api';

/** Sends a body to the emulator; `operation` replaces the call's (its X-Amz-Target or Action) for a look-up of the shim's own. */
export type Forward = (body: string, operation?: string) => Promise<HttpAnswer>;

/** One service's shim: answers the call itself, or through `forward`, possibly more than once. */
export type EmulatorShim = (call: AwsCall, body: string, forward: Forward) => Promise<HttpAnswer>;

export const bodyText = (answer: HttpAnswer): string => (typeof answer.body === 'string' ? answer.body : answer.body.toString('utf8'));

/** A request as it is forwarded to an emulator (a step may rewrite its URL). */
export interface ForwardRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** A call on its way to its emulator, as a step sees it. */
export interface EmulatorCall {
  readonly call: AwsCall;
  /** The request and body as they will be forwarded: a step may replace them. */
  request: ForwardRequest;
  body: string;
  /** The port the edge listens on: the one every URL it hands out names. */
  readonly edgePort: number;
  /** The runtime's log, as this call's lines go to it. */
  log(line: string, level?: LogLevel): void;
}

/** A service's step in the edge's chain: answers the call, or hands it on with `next`. */
export type EmulatorStep = (call: EmulatorCall, next: () => Promise<HttpAnswer>) => Promise<HttpAnswer>;

/** Sends a request to the emulator on this loopback port, with the key only the runtime has (backend-key.ts). */
export function forwardTo(port: number, backendKey: string, request: ForwardRequest, body: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    // The body may have been rewritten (a queue URL), so it is sent with its own length.
    const headers: http.OutgoingHttpHeaders = { ...request.headers, 'content-length': Buffer.byteLength(body), [BACKEND_KEY_HEADER]: backendKey };
    delete headers['transfer-encoding'];
    const upstream = http.request({ host: '127.0.0.1', port, method: request.method, path: request.url, headers }, (answer) => {
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
