/**
 * The live dashboard's server: one module the offline runtime mounts at /dashboard/ on its own
 * port and `npm run dashboard` serves on another, for any target speaking the Chaos API.
 *
 * - `GET /dashboard/` the page; `/dashboard/app.js`, `app.css` its bundle (esbuild, in memory).
 * - `GET /dashboard/api/state` the snapshot (dashboard/wire.ts) as JSON; `GET /dashboard/api/events` the
 *   same pushed as Server-Sent Events (`event: state` about once a second, `event: log` with new
 *   log lines). The target is read only while at least one page holds the event stream open:
 *   with no page, the dashboard makes no call at all.
 * - `POST /dashboard/api/<control>` the controls (controls.ts); `GET /dashboard/api/experiments`
 *   the library; `GET /dashboard/reports/...` the reports folder, read-only.
 *
 * Safe by default: any request to /dashboard/ whose Host is not a loopback name (or one allowed
 * through OFFLINE_ALLOWED_HOSTS) is refused, as the runtime's edge refuses it (a DNS-rebinding
 * page cannot read it), and anything but a GET from a page of a foreign origin (or
 * `Sec-Fetch-Site: cross-site`) is refused 403 by the runtime's own OriginPolicy, as are GETs of
 * the API from one; nothing sends CORS headers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { names } from '#spec';
import { InvalidJson, parseJson } from '../../shared/http/json-body';
import type { LogSource } from '../../shared/contracts/mount';
import { HostPolicy, OriginPolicy } from '../../shared/http/origin';
import { BadRequest, Controls } from './controls';
import { ExperimentRunner, listExperiments, REPORTS_DIR } from './experiment';
import { WriteLoad } from './load';
import { Readings, type TableRow } from './readings';
import { PAGE_HEADERS, PageFiles, send, serveReport, typeOf } from './static';
import { Tally } from './tally';
import { type ControlAnswer, type LogLine, type ServiceName, SERVICES, type Snapshot, type TimelinePoint } from '../wire';

export type * from '../wire';

export interface DashboardOptions {
  /** The target: the offline runtime or LocalStack. */
  endpoint: string;
  /** The runtime's own log; without it (LocalStack) the functions' lines come from CloudWatch Logs. */
  log?: LogSource;
  /** The port the page is served on, for its origin (default: the endpoint's). */
  port?: number;
  /** Origins besides the server's own whose pages may use the controls (the runtime's --allow-origin). */
  allowedOrigins?: string[];
  /** Host names besides the loopback ones it answers under (OFFLINE_ALLOWED_HOSTS, the runtime's --allow-host). */
  allowedHosts?: string[];
  /** How often the target is read while a page is open (default 1000 ms). */
  pollMs?: number;
  /** The folder served under /dashboard/reports/ (default the project's reports/). */
  reportsDir?: string;
}

export interface Dashboard {
  /** Answers a /dashboard/... request; false for any other path (left to the caller). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  /** Ends every event stream, the load and a running experiment; no reading happens after. */
  close(): void;
  /** Pages connected now. */
  readonly clients: number;
}

const PREFIX = '/dashboard';
const TIMELINE_POINTS = 300;
const LOG_BACKLOG = 300;
/** Lambda's configuration and the mapping change rarely: read every this many ticks. */
const SLOW_EVERY = 5;
const MAX_BODY_BYTES = 64 * 1024;

const settled = <T>(promise: Promise<T>): Promise<T | null> =>
  promise.then(
    (value) => value ?? null,
    () => null,
  );

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BadRequest(`The body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const json = (res: ServerResponse, status: number, body: unknown) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));

export function createDashboard(options: DashboardOptions): Dashboard {
  const endpoint = options.endpoint.replace(/\/$/, '');
  const shownEndpoint = endpoint.replace('//127.0.0.1:', '//localhost:');
  const pollMs = options.pollMs ?? 1_000;
  const reportsDir = options.reportsDir ?? REPORTS_DIR;
  const port = options.port ?? Number(new URL(endpoint).port || 80);
  const origins = new OriginPolicy(port, options.allowedOrigins ?? []);
  const hosts = new HostPolicy(options.allowedHosts, 'the dashboard');

  const readings = new Readings(endpoint);
  const tally = new Tally();
  const traffic = new WriteLoad(readings.target);
  const experiment = new ExperimentRunner();
  const page = new PageFiles();
  let kind: Promise<'offline' | 'localstack'> | undefined;
  const kindOf = () => (kind ??= readings.kind());

  const clients = new Set<ServerResponse>();
  const timeline: TimelinePoint[] = [];
  const backlog: LogLine[] = [];
  let pendingLog: LogLine[] = [];
  let latest: Snapshot | undefined;
  let slow: { fallback: 'on' | 'off' | null; mapping: { uuid: string; state: string } | null } = { fallback: null, mapping: null };
  let ticks = 0;
  let lastRows: TableRow[] = [];
  let lastItems: number | null = null;
  let tableNow = true;
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  let polling = false;
  let closed = false;

  const addLog = (line: LogLine | undefined) => {
    if (!line) return;
    pendingLog.push(line);
    backlog.push(line);
    if (backlog.length > LOG_BACKLOG) backlog.splice(0, backlog.length - LOG_BACKLOG);
  };

  /** Reads the target once and builds the snapshot. */
  async function snapshot(): Promise<Snapshot> {
    const targetKind = await kindOf();
    const readSlow = ticks % SLOW_EVERY === 0;
    // The table (a whole scan) every other tick, and at once after a control.
    const readTable = ticks % 2 === 0 || tableNow;
    tableNow = false;
    ticks += 1;
    const [faults, effects, lambdaFaults, queue, dlq, table, fallback, mapping, cloudWatch] = await Promise.all([
      settled(readings.faults()),
      settled(readings.effects()),
      targetKind === 'offline' ? settled(readings.lambdaFaults()) : Promise.resolve(null),
      settled(readings.queueDepth(names.queue)),
      settled(readings.queueDepth(names.deadLetterQueue)),
      readTable ? settled(readings.table()) : Promise.resolve(undefined),
      readSlow ? settled(readings.fallback()) : Promise.resolve(slow.fallback),
      readSlow ? settled(readings.mapping()) : Promise.resolve(slow.mapping),
      options.log ? Promise.resolve(null) : settled(readings.functionLogs()),
    ]);
    slow = { fallback, mapping };
    for (const line of cloudWatch ?? []) addLog(tally.cloudWatchLine(line.key, line.text, line.at));
    const rules = faults ?? [];
    const latency = effects ?? { latency: 0 };
    const services = Object.fromEntries(
      SERVICES.map((service) => {
        const matching = rules.filter((rule) => rule.service === undefined || rule.service === service);
        return [service, { faulted: matching.length > 0, rules: matching, latencyMs: latency.services?.[service]?.latency ?? latency.latency }];
      }),
    ) as Snapshot['services'];
    const at = Date.now();
    if (table !== undefined) lastItems = table ? table.length : null;
    const items = lastItems;
    const point: TimelinePoint = { t: at, answers: traffic.drain(), queue, dlq, items, faulted: rules.length > 0 };
    timeline.push(point);
    if (timeline.length > TIMELINE_POINTS) timeline.splice(0, timeline.length - TIMELINE_POINTS);
    // A failed scan (on LocalStack a DynamoDB fault answers the dashboard too) keeps the last rows read.
    if (table) lastRows = table.sort((a, b) => b.updatedAt - a.updatedAt).slice(0, 50);
    const products = lastRows.map((row) => ({ ...row, via: tally.viaOf(row.id, row.updatedAt) }));
    return {
      at,
      target: { endpoint: shownEndpoint, kind: targetKind },
      services,
      faults: rules,
      effects: latency,
      lambdaFaults: targetKind === 'offline' ? lambdaFaults : null,
      queue,
      dlq,
      items,
      functions: tally.functions(fallback ?? undefined),
      mapping,
      arrows: tally.arrows(),
      traffic: { running: traffic.running, ratePerSecond: traffic.ratePerSecond, answers: { ...traffic.answers } },
      timeline: [...timeline],
      experiment: experiment.state ? { ...experiment.state, lines: [...experiment.state.lines] } : null,
      products,
    };
  }

  const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

  function broadcast(text: string): void {
    for (const res of clients) res.write(text);
  }

  async function tick(): Promise<void> {
    timer = undefined;
    if (!polling) return;
    const started = Date.now();
    try {
      latest = await snapshot();
      if (!polling) return;
      if (pendingLog.length > 0) broadcast(sse('log', { lines: pendingLog }));
      pendingLog = [];
      // One text for every page: two tabs get the very same snapshot.
      broadcast(sse('state', latest));
    } finally {
      if (polling && timer === undefined) timer = setTimeout(() => void tick(), Math.max(0, pollMs - (Date.now() - started)));
    }
  }

  function startPolling(): void {
    if (polling || closed) return;
    polling = true;
    unsubscribe = options.log?.subscribe((line, level) => addLog(tally.runtimeLine(line, level)));
    void tick();
  }

  function stopPolling(): void {
    polling = false;
    clearTimeout(timer);
    timer = undefined;
    unsubscribe?.();
    unsubscribe = undefined;
  }

  /** After a control: read again now rather than at the next tick. */
  function refresh(): void {
    tableNow = true;
    if (!polling || timer === undefined) return;
    clearTimeout(timer);
    timer = setTimeout(() => void tick(), 50);
  }

  const controls = new Controls({ endpoint, shownEndpoint, kind: kindOf, readings, traffic, experiment, refresh });

  function events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    if (backlog.length > 0) res.write(sse('log', { lines: backlog }));
    if (latest && polling) res.write(sse('state', latest));
    clients.add(res);
    res.socket?.setKeepAlive(true);
    req.once('close', () => {
      clients.delete(res);
      if (clients.size === 0) stopPolling();
    });
    startPolling();
  }

  /** Why a request is refused, or undefined: a Host that is not loopback, or a foreign page. */
  function refusal(req: IncomingMessage, api: boolean): { status: number; message: string } | undefined {
    const wrongHost = hosts.refusal(req.headers.host);
    if (wrongHost) return { status: 403, message: wrongHost };
    const method = req.method ?? 'GET';
    const decision = origins.decide(method, req.headers);
    if (decision.kind === 'refused')
      return {
        status: 403,
        message: decision.message.replace('the offline runtime accepts changes to its faults and AWS resources', 'the dashboard accepts controls'),
      };
    // A foreign page may not read the API either (no CORS headers would let it; refused outright all the same).
    const origin = req.headers.origin;
    if (api && typeof origin === 'string' && !origins.isAllowed(origin))
      return { status: 403, message: `Refused a ${method} from origin ${origin}: the dashboard's API serves its own pages only` };
    if (api && req.headers['sec-fetch-site'] === 'cross-site') return { status: 403, message: `Refused a ${method} from a cross-site page` };
    return undefined;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path !== PREFIX && !path.startsWith(`${PREFIX}/`)) return false;
    if (closed) {
      json(res, 503, { message: 'The dashboard is stopping' });
      return true;
    }
    const method = req.method ?? 'GET';
    const api = path.startsWith(`${PREFIX}/api/`);
    const refused = refusal(req, api);
    if (refused) {
      json(res, refused.status, { ok: false, message: refused.message, command: '' } satisfies ControlAnswer);
      return true;
    }
    if (path === PREFIX) {
      res.writeHead(308, { Location: `${PREFIX}/` });
      res.end();
      return true;
    }
    if (api) {
      const name = path.slice(`${PREFIX}/api/`.length);
      if (method === 'GET' || method === 'HEAD') {
        if (name === 'events' && method === 'GET') events(req, res);
        else if (name === 'state') json(res, 200, polling && latest ? latest : await snapshot());
        else if (name === 'experiments') json(res, 200, listExperiments());
        else json(res, 404, { message: `No such dashboard API: GET ${path}` });
        return true;
      }
      if (method !== 'POST') {
        res.setHeader('Allow', 'GET, POST');
        json(res, 405, { ok: false, message: `${method} is not supported; controls are POST`, command: '' });
        return true;
      }
      let answer: ControlAnswer;
      try {
        const text = await readBody(req);
        answer = await controls.handle(name, text.trim() === '' ? {} : parseJson(text));
      } catch (error) {
        if (!(error instanceof BadRequest || error instanceof InvalidJson)) throw error;
        json(res, 400, { ok: false, message: error.message, command: '' });
        return true;
      }
      json(res, 200, answer);
      return true;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      json(res, 405, { message: `${method} is not supported on ${path}` });
      return true;
    }
    if (path === `${PREFIX}/` || path === `${PREFIX}/index.html`) {
      send(res, 200, 'text/html; charset=utf-8', page.index(), PAGE_HEADERS);
      return true;
    }
    if (path.startsWith(`${PREFIX}/reports/`)) {
      await serveReport(res, reportsDir, path.slice(`${PREFIX}/reports/`.length));
      return true;
    }
    const asset = /^\/dashboard\/(app\.(?:js|css)(?:\.map)?)$/.exec(path)?.[1];
    if (asset) {
      let contents: Uint8Array | string | undefined;
      try {
        contents = await page.file(asset);
      } catch (error) {
        send(res, 500, 'text/plain; charset=utf-8', `The dashboard page could not be bundled: ${(error as Error).message}\n`);
        return true;
      }
      if (contents === undefined) send(res, 404, 'text/plain; charset=utf-8', `No such file: ${path}\n`);
      else send(res, 200, typeOf(asset), contents, PAGE_HEADERS);
      return true;
    }
    send(res, 404, 'text/plain; charset=utf-8', `No such dashboard file: ${path}\n`);
    return true;
  }

  return {
    handle,
    close() {
      closed = true;
      stopPolling();
      for (const res of clients) res.end();
      clients.clear();
      traffic.stop();
      experiment.stop();
      readings.destroy();
    },
    get clients() {
      return clients.size;
    },
  };
}

export { SERVICES };
export type { ServiceName };
