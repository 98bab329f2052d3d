/**
 * The emulators the edge proxies: dynalite for DynamoDB and fauxqs for SNS and SQS, in process,
 * each on a loopback port that answers only the edge (the backend key).
 */
import { GetQueueUrlCommand, QueueDoesNotExist, SQSClient } from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { localstack, names, region } from '#spec';
import { messagesIn } from '../../shared/app-client/queue-depth';
import { BACKEND_KEY_HEADER, BACKEND_REFUSAL, fromEdge, serveOnlyWithKey } from '../protocol/backend-key';

const credentials = { accessKeyId: localstack.accessKey, secretAccessKey: localstack.secretKey };

/** What fauxqs still holds of the app's queues. */
export interface QueueCounts {
  /** Messages in ProductEventsQueue (visible, in flight and delayed); undefined if they could not be counted. */
  queued: number | undefined;
  /** The runtime held no ProductEventsQueue: started empty and nothing deployed, or destroyed again. */
  noQueue: boolean;
  /** Messages in ProductEventsDLQ; undefined if they could not be counted. */
  deadLettered: number | undefined;
}

export interface Emulators {
  databasePort: number;
  messagingPort: number;
  /** Counts the app's queues: called just before fauxqs closes. */
  queueCounts(): Promise<QueueCounts>;
}

async function listenLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Starts both; each one's close joins `cleanup`. */
export async function startEmulators(backendKey: string, cleanup: Array<() => Promise<unknown>>): Promise<Emulators> {
  const database = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  serveOnlyWithKey(database, backendKey);
  const databasePort = await listenLoopback(database);
  cleanup.push(() => new Promise((resolve) => database.close(resolve)));

  // fauxqs is an ES module; its queue URLs take LocalStack's form, with the edge's port.
  const { buildApp } = await import('fauxqs');
  const messaging = buildApp({ logger: false, host: 'localhost.localstack.cloud', defaultRegion: region });
  messaging.addHook('onRequest', async (request, reply) => {
    if (!fromEdge(request.headers, backendKey)) await reply.code(403).send(BACKEND_REFUSAL);
  });
  await messaging.listen({ port: 0, host: '127.0.0.1' });
  const messagingPort = (messaging.server.address() as AddressInfo).port;
  cleanup.push(() => messaging.close());
  return { databasePort, messagingPort, queueCounts: () => queueCounts(messagingPort, backendKey) };
}

async function queueCounts(messagingPort: number, backendKey: string): Promise<QueueCounts> {
  const direct = new SQSClient({ region, endpoint: `http://127.0.0.1:${messagingPort}`, credentials, useQueueUrlAsEndpoint: false, maxAttempts: 1 });
  direct.middlewareStack.add(
    (next) => (args) => {
      (args.request as { headers: Record<string, string> }).headers[BACKEND_KEY_HEADER] = backendKey;
      return next(args);
    },
    { step: 'build' },
  );
  // The queues are found by name; null when there is no such queue (nothing deployed, or destroyed).
  const urlOf = (name: string) =>
    direct.send(new GetQueueUrlCommand({ QueueName: name })).then(
      ({ QueueUrl }) => QueueUrl,
      (error: unknown) => (error instanceof QueueDoesNotExist ? null : undefined),
    );
  const count = async (queueUrl: string | null | undefined) => (queueUrl ? messagesIn(direct, queueUrl) : undefined);
  const queueUrl = await urlOf(names.queue);
  const queued = await count(queueUrl).catch(() => undefined);
  const deadLettered = await count(await urlOf(names.deadLetterQueue)).catch(() => undefined);
  direct.destroy();
  return { queued, noQueue: queueUrl === null, deadLettered };
}
