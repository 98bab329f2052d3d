/**
 * Runs fauxqs (SNS + SQS) with the app's topic, queue and DLQ in a child process. fauxqs ships
 * only as an ES module, which jest's CommonJS sandbox cannot import; a child process can.
 * Prints {"port": N} once ready; stops on SIGTERM.
 */
import { messagingConfig } from '../../local/resources';

async function main(): Promise<void> {
  const { startFauxqs } = await import('fauxqs');
  const server = await startFauxqs({ port: 0, logger: false, init: messagingConfig(JSON.parse(process.argv[2] ?? '{}')) });
  process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
  process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
