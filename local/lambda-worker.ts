/**
 * One Lambda execution environment, in a worker thread: loads the function's bundle once (the
 * cold start) with the function's own environment, then runs one invocation at a time with a
 * Lambda context. Bundled by esbuild at start-up, like the functions themselves.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { localstack } from '#spec';

interface Setup {
  bundle: string;
  functionName: string;
  memoryMb: number;
  region: string;
}

interface Invocation {
  id: number;
  event: unknown;
  requestId: string;
  deadline: number;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const setup = workerData as Setup;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle is CommonJS, loaded at run time
const { handler } = require(setup.bundle) as { handler: Handler };

parentPort?.on('message', (invocation: Invocation) => {
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: setup.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${setup.region}:${localstack.accountId}:function:${setup.functionName}`,
    memoryLimitInMB: String(setup.memoryMb),
    awsRequestId: invocation.requestId,
    logGroupName: `/aws/lambda/${setup.functionName}`,
    logStreamName: 'offline',
    getRemainingTimeInMillis: () => Math.max(0, invocation.deadline - Date.now()),
  };
  handler(invocation.event, context).then(
    (result) => parentPort?.postMessage({ id: invocation.id, result }),
    (error: unknown) => {
      const err = error instanceof Error ? error : new Error(String(error));
      parentPort?.postMessage({ id: invocation.id, error: { errorType: err.name, errorMessage: err.message, stack: err.stack } });
    },
  );
});
