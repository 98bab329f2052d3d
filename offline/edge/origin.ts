/**
 * Which web pages may change the runtime, as LocalStack's CORS enforcer decides it. A browser
 * sends any page's "simple" POST (text/plain, no custom header) to any port, so without this check
 * every site the user visits could install fault rules or write to the tables and queues (the
 * runtime does not check signatures). Requests that change something (anything but GET, HEAD and
 * OPTIONS) on the control endpoints (/_localstack/*) and the AWS APIs are refused when they come
 * from a page of another origin. Clients that send no Origin (curl, the SDKs, the AWS CLI) and
 * pages served by the runtime itself are let through; more origins through
 * EXTRA_CORS_ALLOWED_ORIGINS (LocalStack's name) or `npm start -- --allow-origin URL`.
 * The product API is the app's public API and is not checked here, as API Gateway does not.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** LocalStack's variable for origins allowed besides its own; comma-separated. */
export const EXTRA_ORIGINS_ENV = 'EXTRA_CORS_ALLOWED_ORIGINS';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `http://host[:port]` from what a user typed; throws with the reason when it is not an origin. */
export function normalizeOrigin(raw: string): string {
  const text = raw.trim().replace(/\/$/, '');
  if (text === '*') throw new Error('"*" would let every web page change the faults and the data; name the origins instead, e.g. http://localhost:3000');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`"${raw}" is not an origin such as http://localhost:3000`);
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.username || url.password || url.pathname !== '/' || url.search || url.hash) {
    throw new Error(`"${raw}" is not an origin such as http://localhost:3000 (scheme, host and port only)`);
  }
  return url.origin;
}

/** The origins in a comma- or space-separated list, such as EXTRA_CORS_ALLOWED_ORIGINS. */
export function parseOrigins(list: string | undefined): string[] {
  return (list ?? '')
    .split(/[\s,]+/)
    .filter((item) => item !== '')
    .map(normalizeOrigin);
}

/** The runtime's own origins: a page it serves (a dashboard, later) calls it from one of these. */
export function ownOrigins(port: number): string[] {
  return ['localhost', '127.0.0.1', 'localhost.localstack.cloud', '[::1]'].map((host) => `http://${host}${port === 80 ? '' : `:${port}`}`);
}

export type OriginDecision =
  /** Not from a browser page, or a safe method from a foreign one: nothing to add. */
  | { kind: 'pass' }
  /** From an allowed page: the CORS headers that let it read the answer. */
  | { kind: 'allowed'; headers: Record<string, string> }
  /** An allowed page's preflight: answer it with these headers and stop. */
  | { kind: 'preflight'; headers: Record<string, string> }
  /** A foreign page: refuse with 403 and this message. */
  | { kind: 'refused'; origin: string; message: string };

const EXPOSED_HEADERS = 'x-amzn-RequestId, x-amzn-ErrorType, x-amzn-query-error, x-amz-crc32, Retry-After';

export class OriginPolicy {
  private readonly allowed: Set<string>;

  constructor(port: number, extra: string[] = []) {
    this.allowed = new Set([...ownOrigins(port), ...extra]);
  }

  get origins(): string[] {
    return [...this.allowed];
  }

  isAllowed(origin: string): boolean {
    try {
      return this.allowed.has(normalizeOrigin(origin));
    } catch {
      return false; // "null" (sandboxed frames, file: pages) and anything unparsable
    }
  }

  decide(method: string, headers: IncomingHttpHeaders): OriginDecision {
    const origin = typeof headers.origin === 'string' ? headers.origin : undefined;
    const site = typeof headers['sec-fetch-site'] === 'string' ? headers['sec-fetch-site'] : undefined;
    const preflight = method === 'OPTIONS' && headers['access-control-request-method'] !== undefined;
    if (origin === undefined) {
      // Browsers send Origin with every cross-origin request that can change something; a
      // cross-site fetch metadata header without one is refused all the same.
      if (SAFE_METHODS.has(method) || (site !== 'cross-site' && site !== 'same-site')) return { kind: 'pass' };
      return this.refuse(method, `a ${site} page (Sec-Fetch-Site: ${site}, no Origin header)`, undefined);
    }
    if (this.isAllowed(origin)) {
      const cors: Record<string, string> = { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
      if (!preflight) return { kind: 'allowed', headers: { ...cors, 'Access-Control-Expose-Headers': EXPOSED_HEADERS } };
      const requested = headers['access-control-request-headers'];
      return {
        kind: 'preflight',
        headers: {
          ...cors,
          'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, PATCH, DELETE',
          ...(typeof requested === 'string' ? { 'Access-Control-Allow-Headers': requested } : {}),
          'Access-Control-Max-Age': '600',
        },
      };
    }
    // A foreign page may read nothing (no CORS headers) and change nothing; its preflight fails.
    if (SAFE_METHODS.has(method) && !preflight) return { kind: 'pass' };
    return this.refuse(preflight ? `${String(headers['access-control-request-method'])} (preflight)` : method, `origin ${origin}`, origin);
  }

  private refuse(method: string, from: string, origin: string | undefined): OriginDecision {
    const how =
      origin === undefined
        ? 'Send the request from a page of an allowed origin, or from a client that sends no Origin header.'
        : `To allow it, start the runtime with ${EXTRA_ORIGINS_ENV}=${origin} npm start (or npm start -- --allow-origin ${origin}).`;
    return {
      kind: 'refused',
      origin: origin ?? 'none',
      message:
        `Refused a ${method} from ${from}: the offline runtime accepts changes to its faults and AWS resources only from ` +
        `clients that send no Origin header (curl, the SDKs, the AWS CLI) and from the origins ${this.origins.join(', ')}. ${how}`,
    };
  }
}
