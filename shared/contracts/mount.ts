/**
 * What the offline runtime serves beside AWS's APIs on its one port: parts handed to it by whoever
 * starts it (npm start gives it the dashboard). The runtime knows only this shape, never the part.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type LogListener = (line: string, level?: string) => void;

/** The offline runtime's log, line by line (`level` 'debug' for the lines only --verbose prints). */
export interface LogSource {
  subscribe(listener: LogListener): () => void;
}

/** What a mount is told once the runtime has its port. */
export interface MountContext {
  /** The runtime's own URL (http://127.0.0.1:<port>). */
  endpoint: string;
  port: number;
  /** Origins besides the runtime's own whose pages may call it (--allow-origin). */
  allowedOrigins: string[];
  /** Host names besides the loopback ones it answers under (--allow-host). */
  allowedHosts: string[];
  log: LogSource;
}

export interface Mount {
  /** Its name in the runtime's answers and log lines ("Not a dashboard path"). */
  name: string;
  /** The path it answers under, and every path below it. */
  prefix: string;
  /** Answers a request under `prefix`; false for a path it does not serve. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** The runtime begins to stop: end what stays open (event streams). */
  close(): void;
}
