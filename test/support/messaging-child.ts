/**
 * Runs fauxqs (SNS + SQS) with the app's topic, queue and DLQ in a child process. fauxqs ships
 * only as an ES module, which jest's CommonJS sandbox cannot import; a child process can.
 * Prints {"port", ...resources} once ready; stops on SIGTERM.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { localstack, region, retryPath } from '#spec';
import { createMessaging } from '../../offline/runtime/provision';

async function main(): Promise<void> {
  const { startFauxqs } = await import('fauxqs');
  const server = await startFauxqs({ port: 0, logger: false });
  const config = {
    region,
    endpoint: `http://127.0.0.1:${server.port}`,
    credentials: { accessKeyId: localstack.accessKey, secretAccessKey: localstack.secretKey },
  };
  const settings = { maxReceiveCount: retryPath.maxReceiveCount, ...(JSON.parse(process.argv[2] ?? '{}') as { visibilityTimeoutSeconds: number }) };
  const messaging = await createMessaging(new SQSClient({ ...config, useQueueUrlAsEndpoint: false }), new SNSClient(config), settings);
  process.stdout.write(`${JSON.stringify({ port: server.port, ...messaging })}\n`);
  process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
