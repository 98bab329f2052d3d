/**
 * A DynamoDB outage for the handler tests: an HTTP proxy in front of the emulator that either
 * forwards, answers every call with the fault the Chaos API would inject
 * (the tutorial's fault, in DynamoDB's JSON error format), or never answers at all.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tutorialFault } from '#spec';

export type ProxyMode = 'up' | 'error' | 'hang';

export interface FaultProxy {
  url: string;
  mode: ProxyMode;
  calls: number;
  close(): Promise<void>;
}

export async function startFaultProxy(targetPort: number): Promise<FaultProxy> {
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    proxy.calls += 1;
    if (proxy.mode === 'hang') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (proxy.mode === 'error') {
      req.resume();
      const { statusCode, code } = tutorialFault.error;
      res.writeHead(statusCode, { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amzn-ErrorType': code });
      res.end(JSON.stringify({ __type: code, message: 'Operation failed due to a simulated fault' }));
      return;
    }
    const upstream = http.request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: FaultProxy = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    mode: 'up',
    calls: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return proxy;
}
