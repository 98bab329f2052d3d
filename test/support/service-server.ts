/**
 * Serves the runtime's own service modules over HTTP on a free port, so a test drives one with the
 * real SDK clients and the AWS CLI without the rest of the runtime: the signing name, region and
 * access key come from the SigV4 Authorization header, the operation from X-Amz-Target (JSON
 * protocols) or the form body's Action (query protocol). An AwsError a module throws is answered
 * in its call's protocol, as the edge answers one.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { localstack, region as defaultRegion } from '#spec';
import { faultResponse } from '../../local/aws-protocol';
import { AwsError, type AwsRequest, type AwsService, type Principal } from '../../local/services/service';

export interface ServeOptions {
  accountId?: string;
  /** Who signs with an access key; the user (unrestricted) unless told otherwise. */
  principalOf?: (accessKeyId: string) => Principal;
}

export interface ServiceServer {
  url: string;
  close(): Promise<void>;
}

export async function serveServices(services: AwsService[], options: ServeOptions = {}): Promise<ServiceServer> {
  const { accountId = localstack.accountId, principalOf = (accessKeyId: string): Principal => ({ kind: 'user', accessKeyId }) } = options;
  const server = http.createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      answer(incoming, body)
        .then(({ status, headers, body: text }) => outgoing.writeHead(status, headers).end(text))
        .catch((error: unknown) => outgoing.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(error)));
    });
  });

  async function answer(incoming: http.IncomingMessage, body: string) {
    // SigV4: Credential=AKID/20240101/us-east-1/iam/aws4_request
    const scope = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(incoming.headers.authorization ?? ''));
    const [, accessKeyId = localstack.accessKey, region = defaultRegion, service = ''] = scope ?? [];
    const owner = services.find((candidate) => candidate.names.includes(service));
    if (!owner) return { status: 400, headers: { 'Content-Type': 'text/plain' }, body: `No service here answers ${service || 'unsigned calls'}` };
    const target = incoming.headers['x-amz-target'];
    const json = typeof target === 'string';
    const url = new URL(incoming.url ?? '/', 'http://localhost');
    const request: AwsRequest = {
      service,
      // REST protocols leave the operation to the module's router.
      operation: json ? (target.split('.').pop() ?? '') : (new URLSearchParams(body).get('Action') ?? ''),
      method: incoming.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: url.searchParams,
      headers: incoming.headers,
      body,
      region,
      accountId,
      requestId: randomUUID(),
      principal: principalOf(accessKeyId),
    };
    try {
      return await owner.handle(request);
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      const call = { service, region, operation: request.operation, protocol: json || request.operation === '' ? ('json' as const) : ('query' as const) };
      const { statusCode, headers, body: text } = faultResponse(call, { statusCode: error.status, code: error.code }, error.message);
      return { status: statusCode, headers, body: text };
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
