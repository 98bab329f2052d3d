/**
 * Runs an activity's provider, as chaoslib's provider/http.py and provider/process.py do, and
 * returns its output in the journal's shape: {status, headers, body} or {status, stdout, stderr}.
 * A timeout, a refused connection or a process that cannot start throws ActivityFailed; an HTTP
 * error status or a non-zero exit code does not (a tolerance judges those), except that an http
 * provider's `expected_status`, when given, must match.
 */
import { spawn } from 'node:child_process';
import { ACTIVITY_ENV } from '../probes/records';
import { type Configuration, substitute } from './configuration';
import type { HttpProvider, ProcessProvider, Provider } from './schema';
import type { HttpRequest } from './offline-extensions';

export interface HttpOutput {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface ProcessOutput {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The activity failed to run: a tool or target error, not a verdict on the system. */
export class ActivityFailed extends Error {
  constructor(
    message: string,
    readonly output: unknown = null,
  ) {
    super(message);
  }
}

/** An http request about to be sent, its body the provider's arguments after substitution. */
/** A request an http provider sends, and the activity sending it. */
export interface ActivityRequest extends HttpRequest {
  /** The activity sending it: `<phase>:<name>`. */
  activity: string;
}

/** What a RequestHook wants sent, and to be told once the request was answered (its status). */
export interface PreparedRequest {
  body: unknown;
  answered?: (status: number) => void;
}

/**
 * Called before an http provider sends its request: returns the body to send instead (the
 * runner's offline extensions; see offline-extensions.ts). Throwing fails the activity.
 */
export type RequestHook = (request: ActivityRequest) => PreparedRequest;

/** What a provider runs with besides the configuration. */
export interface ProviderContext {
  /** Interrupts the run: the activity stops and the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  onRequest?: RequestHook;
  /** The activity, `<phase>:<name>`: told to the request hook, and to a process as $CHAOS_ACTIVITY (its writes carry it). */
  activity?: string;
}

export function runProvider(provider: Provider, configuration: Configuration, context: ProviderContext = {}): Promise<HttpOutput | ProcessOutput> {
  return provider.type === 'http' ? runHttp(provider, configuration, context) : runProcess(provider, configuration, context);
}

function timeoutMs(timeout: HttpProvider['timeout']): number | undefined {
  // [connect, read]: fetch has one deadline, so the two add up.
  if (Array.isArray(timeout)) return (timeout[0] + timeout[1]) * 1000;
  return timeout === undefined ? undefined : timeout * 1000;
}

/** The body as requests sends it: JSON when the headers say so, a string as it is, a mapping as a form. */
function requestBody(method: string, headers: Record<string, string>, args: unknown): { body?: string; contentType?: string } {
  if (args === undefined || method === 'GET') return {};
  if (headers['Content-Type'] === 'application/json') return { body: JSON.stringify(args) };
  if (typeof args === 'string') return { body: args };
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(args as Record<string, unknown>)) form.append(key, String(value));
  return { body: form.toString(), contentType: 'application/x-www-form-urlencoded' };
}

async function runHttp(provider: HttpProvider, configuration: Configuration, { signal, onRequest, activity = '' }: ProviderContext): Promise<HttpOutput> {
  const url = new URL(String(substitute(provider.url, configuration)));
  const method = (provider.method ?? 'GET').toUpperCase();
  const headers = substitute(provider.headers ?? {}, configuration);
  const given = substitute(provider.arguments, configuration);
  let prepared: PreparedRequest = { body: given };
  try {
    if (onRequest) prepared = onRequest({ method, url: url.href, body: given, activity });
  } catch (error) {
    throw new ActivityFailed(`the request could not be prepared: ${(error as Error).message}`);
  }
  const args = prepared.body;
  if (method === 'GET' && args !== null && typeof args === 'object' && !Array.isArray(args)) {
    for (const [key, value] of Object.entries(args)) url.searchParams.append(key, String(value));
  }
  const request = requestBody(method, headers, args);
  const limit = timeoutMs(provider.timeout);
  const deadline = limit === undefined ? undefined : AbortSignal.timeout(limit);
  const signals = [signal, deadline].filter((s): s is AbortSignal => s !== undefined);
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method,
      headers: { ...(request.contentType ? { 'Content-Type': request.contentType } : {}), ...headers },
      body: request.body,
      signal: AbortSignal.any(signals),
    });
    text = await response.text();
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (deadline?.aborted) throw new ActivityFailed('activity took too long to complete');
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new ActivityFailed(`failed to connect to ${url.href}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
  let body: unknown = text;
  // chaoslib parses the body only for exactly this content type; a jsonpath tolerance parses text itself.
  if (response.headers.get('content-type') === 'application/json') {
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON after all: kept as text.
    }
  }
  prepared.answered?.(response.status);
  // fetch gives header names in lower case (requests keeps the server's case).
  const output: HttpOutput = { status: response.status, headers: Object.fromEntries(response.headers), body };
  if (provider.expected_status !== undefined && response.status !== provider.expected_status) {
    throw new ActivityFailed(`expected HTTP status ${provider.expected_status}, got ${response.status}`, output);
  }
  return output;
}

function runProcess(provider: ProcessProvider, configuration: Configuration, { signal, activity }: ProviderContext): Promise<ProcessOutput> {
  const args = substitute(provider.arguments ?? [], configuration);
  const options = {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
    ...(activity === undefined ? {} : { env: { ...process.env, [ACTIVITY_ENV]: activity } }),
  };
  // A string is one shell command line, as in chaoslib; a list is the arguments as they are.
  const child =
    typeof args === 'string'
      ? spawn(`${provider.path} ${args}`, { ...options, shell: true })
      : spawn(
          provider.path,
          args.map(String).filter((arg) => arg !== ''),
          options,
        );
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  return new Promise((resolve, reject) => {
    let failure: unknown;
    // The whole process group: a shell's children too.
    const stop = (why: unknown) => {
      failure ??= why;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer =
      provider.timeout === undefined
        ? undefined
        : setTimeout(() => stop(new ActivityFailed('process activity took too long to complete')), provider.timeout * 1000);
    const onAbort = () => stop(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    const settle = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (error) => {
      settle();
      reject(failure ?? new ActivityFailed(`could not run ${provider.path}: ${error.message}`));
    });
    child.on('close', (code) => {
      settle();
      if (failure !== undefined) reject(failure);
      else resolve({ status: code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') });
    });
  });
}
