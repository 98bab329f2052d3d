/**
 * Which requests the runtime answers at all, by the host name they name, and which web pages may
 * change it.
 *
 * Host names: a page can make its own name resolve to 127.0.0.1 (DNS rebinding) and then read
 * whatever the runtime answers, as a page of its own origin: the function's configuration and
 * environment, the fault rules, the dashboard. So every request whose Host is not a loopback name
 * (localhost and *.localhost, 127.x.x.x, [::1], localhost.localstack.cloud and its subdomains,
 * which the product API's host-style URL and SQS's queue URLs use) is refused with 403; names the
 * user reaches the runtime by besides those through OFFLINE_ALLOWED_HOSTS or
 * `npm start -- --allow-host NAME`. The dashboard's server applies the same rule.
 *
 * Web pages, as LocalStack's CORS enforcer decides it: a browser sends any page's "simple" POST
 * (text/plain, no custom header) to any port, so without this check every site the user visits
 * could install fault rules or write to the tables and queues (the runtime does not check
 * signatures). Requests that change something (anything but GET, HEAD and
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

/** The runtime's variable for host names it answers under besides the loopback ones; comma-separated. */
export const EXTRA_HOSTS_ENV = 'OFFLINE_ALLOWED_HOSTS';

const LOOPBACK_NAMES = 'localhost, *.localhost, 127.x.x.x, [::1], localhost.localstack.cloud and *.localhost.localstack.cloud';

/** The host name (lower case) and port of a Host header or of what a user typed; undefined when it is neither. */
function parseHost(raw: string): { hostname: string; port: string } | undefined {
  try {
    const url = new URL(`http://${raw.trim()}`);
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return undefined;
    return { hostname: url.hostname.replace(/\.$/, ''), port: url.port };
  } catch {
    return undefined;
  }
}

/** Names only this machine resolves (RFC 6761's localhost, the loopback addresses) or LocalStack's name for 127.0.0.1: a page cannot rebind them. */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) ||
    hostname === '[::1]' ||
    hostname === 'localhost.localstack.cloud' ||
    hostname.endsWith('.localhost.localstack.cloud')
  );
}

/** A host name as a user wrote it (`devbox.lan`, `192.168.1.20`), lower case; throws with the reason when it is not one. */
export function normalizeHost(raw: string): string {
  if (raw.trim() === '*') throw new Error('"*" would let a page under any name read the runtime (DNS rebinding); name the hosts instead, e.g. devbox.lan');
  const host = parseHost(raw);
  if (host === undefined || host.port !== '') throw new Error(`"${raw}" is not a host name such as devbox.lan (the name only: no scheme, port or path)`);
  return host.hostname;
}

/** The items of a comma- or space-separated list, such as an environment variable's. */
const listItems = (list: string | undefined): string[] => (list ?? '').split(/[\s,]+/).filter((item) => item !== '');

/** The host names in a comma- or space-separated list, such as OFFLINE_ALLOWED_HOSTS. */
export const parseHosts = (list: string | undefined): string[] => listItems(list).map(normalizeHost);

/** The host names requests may name: the loopback ones and the extra ones. */
export class HostPolicy {
  private readonly allowed: Set<string>;

  constructor(
    extra: string[] = [],
    /** Who answers, for the refusal's message. */
    private readonly server = 'the offline runtime',
  ) {
    this.allowed = new Set(extra);
  }

  /** The extra names. */
  get extra(): string[] {
    return [...this.allowed];
  }

  /**
   * Why a request naming this Host is refused, or undefined when it is served. A request without
   * one (HTTP/1.0) is served: a browser always sends it.
   */
  refusal(host: string | undefined): string | undefined {
    if (host === undefined) return undefined;
    const hostname = parseHost(host)?.hostname;
    if (hostname !== undefined && (isLoopbackHost(hostname) || this.allowed.has(hostname))) return undefined;
    const name = hostname ?? host;
    const extra = this.allowed.size > 0 ? ` and under ${this.extra.join(', ')}` : '';
    return (
      `Refused a request for the host "${host}": ${this.server} answers only under loopback names (${LOOPBACK_NAMES})${extra}, ` +
      `so that a web page cannot read it under a name of its own (DNS rebinding). If you reach it by this name, start it with ` +
      `${EXTRA_HOSTS_ENV}=${name} in its environment (npm start also takes --allow-host ${name}).`
    );
  }
}

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
export const parseOrigins = (list: string | undefined): string[] => listItems(list).map(normalizeOrigin);

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
