/**
 * One Lambda execution environment, in a worker thread: loads the function's handler once (the
 * cold start) with the function's own environment, then runs one invocation at a time with a
 * Lambda context. Bundled by esbuild at start-up, like the functions themselves.
 */
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { localstack } from '#spec';

interface Setup {
  /** The handler's file: .js or .cjs is required, .mjs imported, as Lambda's Node.js runtime loads them. */
  bundle: string;
  /** The export the handler setting names (`index.handler` → `handler`). */
  exportName: string;
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

/** A failed init, named as Lambda's runtime names it (Runtime.ImportModuleError, Runtime.HandlerNotFound). */
class InitError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const setup = workerData as Setup;

async function load(): Promise<Handler> {
  let exported: Record<string, unknown>;
  try {
    exported = setup.bundle.endsWith('.mjs')
      ? ((await import(pathToFileURL(setup.bundle).href)) as Record<string, unknown>)
      : // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle is CommonJS, loaded at run time
        (require(setup.bundle) as Record<string, unknown>);
  } catch (error) {
    throw new InitError('Runtime.ImportModuleError', `Error: ${error instanceof Error ? error.message : String(error)}`);
  }
  const handler = exported[setup.exportName];
  if (typeof handler !== 'function') throw new InitError('Runtime.HandlerNotFound', `${setup.exportName} is undefined or not exported`);
  return handler as Handler;
}

const handler = load();
// Reported to each invocation, as Lambda reports an init error; not an unhandled rejection.
handler.catch(() => undefined);

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
  handler
    .then((run) => run(invocation.event, context))
    .then(
      (result) => parentPort?.postMessage({ id: invocation.id, result }),
      (error: unknown) => {
        const err = error instanceof Error ? error : new Error(String(error));
        parentPort?.postMessage({ id: invocation.id, error: { errorType: err.name, errorMessage: err.message, stack: err.stack } });
      },
    );
});
