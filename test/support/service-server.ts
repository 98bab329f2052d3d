/**
 * Serves the runtime's own service modules over HTTP on a free port, so a test drives one with the
 * real SDK clients and the AWS CLI without the rest of the runtime: the signing name, region and
 * access key come from the SigV4 Authorization header, the operation from the module itself. An
 * AwsError a module throws is answered in its own format, as the edge answers one.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { localstack, region as defaultRegion } from '#spec';
import { AwsError, type AwsService, type Principal, signingScope, toAwsRequest } from '../../offline/protocol/service';
import { sdkConfig } from './clients';

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
    const scope = signingScope(incoming.headers.authorization) ?? { accessKeyId: localstack.accessKey, region: defaultRegion, service: '' };
    const owner = services.find((candidate) => candidate.names.includes(scope.service));
    if (!owner) return { status: 400, headers: { 'Content-Type': 'text/plain' }, body: `No service here answers ${scope.service || 'unsigned calls'}` };
    const call = { method: incoming.method ?? 'GET', url: incoming.url ?? '/', headers: incoming.headers, body };
    const request = toAwsRequest(owner, call, {
      region: scope.region,
      service: scope.service,
      accountId,
      requestId: randomUUID(),
      principal: principalOf(scope.accessKeyId),
    });
    try {
      return await owner.handle(request);
    } catch (error) {
      if (!(error instanceof AwsError)) throw error;
      return owner.errorResponse(error, request.requestId);
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

/** The services served, and an SDK client made for them; `close` destroys the client, then stops the server. */
export async function serveWithClient<C extends { destroy(): void }>(
  services: AwsService[],
  newClient: (config: ReturnType<typeof sdkConfig>) => C,
): Promise<{ client: C; url: string; close(): Promise<void> }> {
  const server = await serveServices(services);
  const client = newClient(sdkConfig(server.url));
  return {
    client,
    url: server.url,
    close: async () => {
      client.destroy();
      await server.close();
    },
  };
}
