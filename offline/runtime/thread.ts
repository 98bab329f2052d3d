/**
 * The offline runtime on a worker thread of the demo's process. Its emulators and the API keep
 * that thread busy during an outage; on the main thread they would delay the Ctrl-C handler, and
 * tsx's CLI (what `npm run demo` runs) kills a child whose handler does not answer its relayed
 * signal within about 60 ms, before any clean-up or report. Worker threads never receive signals.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { startRuntime } from './compose';

type FromWorker = { kind: 'log'; line: string } | { kind: 'ready'; url: string } | { kind: 'failed'; message: string } | { kind: 'stopped' };

export interface RuntimeThread {
  url: string;
  stop(): Promise<void>;
}

export function startRuntimeThread(log: (line: string) => void, options: { build?: boolean } = {}): Promise<RuntimeThread> {
  // tsx's loader hooks do not reach a worker's entry file: register tsx's require hook there first.
  const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(__filename)});`, { eval: true, workerData: { build: options.build !== false } });
  return new Promise((resolve, reject) => {
    let stopped: (() => void) | undefined;
    worker.on('message', (message: FromWorker) => {
      if (message.kind === 'log') log(message.line);
      else if (message.kind === 'failed') reject(new Error(message.message));
      else if (message.kind === 'stopped') stopped?.();
      else
        resolve({
          url: message.url,
          stop: () =>
            new Promise<void>((done) => {
              stopped = done;
              worker.postMessage('stop');
            }).then(() => worker.terminate().then(() => undefined)),
        });
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the runtime's thread exited with ${code} before it was ready`)));
  });
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  const send = (message: FromWorker) => port.postMessage(message);
  void (async () => {
    try {
      const { build } = workerData as { build: boolean };
      const runtime = await startRuntime({ port: 0, build, log: (line) => send({ kind: 'log', line }) });
      port.on('message', (message: unknown) => {
        if (message === 'stop') void runtime.stop().finally(() => send({ kind: 'stopped' }));
      });
      send({ kind: 'ready', url: runtime.url });
    } catch (error) {
      send({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
    }
  })();
}
