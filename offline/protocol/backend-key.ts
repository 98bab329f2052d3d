/**
 * The emulators (dynalite, fauxqs) listen on loopback ports of their own, and a web page can reach
 * any loopback port: dynalite even answers every preflight with `Access-Control-Allow-Origin: *`.
 * So they serve only the edge, which checks origins, IAM and faults first: it sends a key made at
 * start-up, and a request without it gets a 403 that says where to go instead.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';

export const BACKEND_KEY_HEADER = 'x-offline-backend-key';

export const newBackendKey = (): string => randomUUID();

export const BACKEND_REFUSAL = { message: "This port is the offline runtime's internal emulator; call the runtime's edge port instead." };

export const fromEdge = (headers: IncomingHttpHeaders, key: string): boolean => headers[BACKEND_KEY_HEADER] === key;

/** Puts the key check in front of a plain HTTP server's request listeners (dynalite). */
export function serveOnlyWithKey(server: Server, key: string): void {
  const listeners = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (fromEdge(req.headers, key)) for (const listener of listeners) listener(req, res);
    else res.writeHead(403, { 'Content-Type': 'application/json' }).end(JSON.stringify(BACKEND_REFUSAL));
  });
}
