/**
 * The page's controls, `POST /dashboard/api/<action>`: each does what the user could do by hand
 * (the Chaos API, Lambda's API through the probes, the product API, the experiment runner) and
 * answers the command that would do the same, so the page teaches the API it drives.
 */
import { names } from '#spec';
import { LAMBDA_FAULTS_PATH } from '../../shared/contracts/offline-api';
import { setFallback, setRetryMapping } from '../../shared/app-client/switches';
import { experimentArgs, type ExperimentRunner, listExperiments } from './experiment';
import { DEFAULT_RATE_PER_SECOND, MAX_RATE_PER_SECOND, type WriteLoad } from './load';
import type { Readings } from './readings';
import type { OfflineEffects, OfflineFaultRule } from '../../shared/contracts/chaos-api';
import type { ControlAnswer } from '../wire';

export class BadRequest extends Error {}

/** A word for a POSIX shell: single-quoted unless it needs no quotes. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The curl command for a JSON request. */
export function curl(method: string, url: string, body?: unknown): string {
  const data = body === undefined ? '' : ` -H 'Content-Type: application/json' -d ${shellQuote(JSON.stringify(body))}`;
  return `curl -X ${method} ${url}${data}`;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function field<T>(body: Record<string, unknown>, name: string, check: (value: unknown) => value is T, what: string): T | undefined {
  const value = body[name];
  if (value === undefined) return undefined;
  if (!check(value)) throw new BadRequest(`"${name}" must be ${what}`);
  return value;
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const isBoolean = (value: unknown): value is boolean => typeof value === 'boolean';

export interface ControlContext {
  /** Where the dashboard sends its calls. */
  endpoint: string;
  /** The same target as the user reaches it (localhost rather than 127.0.0.1): what the commands show. */
  shownEndpoint: string;
  kind: () => Promise<'offline' | 'localstack'>;
  readings: Readings;
  traffic: WriteLoad;
  experiment: ExperimentRunner;
  /** After a control: read the target again now, so every page sees the change at once. */
  refresh: () => void;
}

export class Controls {
  private sent = 0;

  constructor(private readonly context: ControlContext) {}

  async handle(action: string, body: unknown): Promise<ControlAnswer & { status?: number }> {
    if (!isObject(body)) throw new BadRequest('The body must be a JSON object');
    const handlers: Record<string, (body: Record<string, unknown>) => Promise<ControlAnswer>> = {
      faults: (b) => this.faults(b),
      latency: (b) => this.latency(b),
      'lambda-faults': (b) => this.lambdaFaults(b),
      fallback: (b) => this.fallback(b),
      mapping: (b) => this.mapping(b),
      'clear-all': () => this.clearAll(),
      send: (b) => this.send(b),
      load: (b) => this.load(b),
      experiment: (b) => this.runExperiment(b),
    };
    const handler = handlers[action];
    if (!handler) throw new BadRequest(`Unknown control "${action}"; the controls are ${Object.keys(handlers).join(', ')}`);
    const answer = await handler(body);
    this.context.refresh();
    return answer;
  }

  /** One Chaos API (or /_offline/) call, as the user's own: answered with the target's message. */
  private async chaos(method: string, path: string, body: unknown): Promise<{ ok: boolean; message: string; result: unknown }> {
    let response: Response;
    try {
      response = await fetch(`${this.context.endpoint}${path}`, {
        method,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      return { ok: false, message: `Could not reach ${this.context.shownEndpoint}${path}: ${(error as Error).message}`, result: undefined };
    }
    const text = await response.text();
    let result: unknown = text;
    try {
      result = JSON.parse(text);
    } catch {
      // Not JSON: shown as it came.
    }
    if (response.ok) return { ok: true, message: `${method} ${path} => ${response.status}`, result };
    const reason = isObject(result) && typeof result.message === 'string' ? result.message : text;
    const hint =
      response.status === 404 ? ' (this target has no such endpoint: the Chaos API needs LocalStack Enterprise; /_offline/ is the offline runtime only)' : '';
    return { ok: false, message: `${method} ${path} => ${response.status}: ${reason}${hint}`, result };
  }

  private async faults(body: Record<string, unknown>): Promise<ControlAnswer> {
    const op = body.op;
    const path = '/_localstack/chaos/faults';
    const url = `${this.context.shownEndpoint}${path}`;
    if (op === 'clear') {
      const done = await this.chaos('POST', path, []);
      return { ok: done.ok, message: done.ok ? 'Every fault rule removed' : done.message, command: curl('POST', url, []) };
    }
    if (op !== 'add' && op !== 'remove') throw new BadRequest('"op" must be add, remove or clear');
    if (!isObject(body.rule)) throw new BadRequest(`"rule" (a fault rule object) is needed to ${op} a rule`);
    const rule = body.rule as OfflineFaultRule;
    const method = op === 'add' ? 'PATCH' : 'DELETE';
    const done = await this.chaos(method, path, [rule]);
    const rules = Array.isArray(done.result) ? done.result.length : undefined;
    return {
      ok: done.ok,
      message: done.ok ? `Rule ${op === 'add' ? 'added' : 'removed'}${rules === undefined ? '' : `; ${rules} active`}` : done.message,
      command: curl(method, url, [rule]),
    };
  }

  private async latency(body: Record<string, unknown>): Promise<ControlAnswer> {
    const latency = field(body, 'latency', isNumber, 'a number of milliseconds');
    if (latency === undefined || latency < 0 || !Number.isInteger(latency)) throw new BadRequest('"latency" must be a whole number of milliseconds, 0 or more');
    const jitterMs = field(body, 'jitterMs', isNumber, 'a number of milliseconds');
    const service = field(body, 'service', isString, 'a service name such as dynamodb');
    const path = '/_localstack/chaos/effects';
    let effects: OfflineEffects;
    if (service) {
      // Per service: the others' settings are kept (a POST replaces everything).
      const current = (await this.context.readings.effects().catch(() => null)) ?? { latency: 0 };
      const others = Object.entries(current.services ?? {}).filter(([name]) => name !== service);
      const services = Object.fromEntries(latency === 0 && !jitterMs ? others : [...others, [service, { latency, ...(jitterMs ? { jitterMs } : {}) }]]);
      effects = {
        latency: current.latency,
        ...(current.jitterMs ? { jitterMs: current.jitterMs } : {}),
        ...(Object.keys(services).length > 0 ? { services } : {}),
      };
    } else {
      const current = (await this.context.readings.effects().catch(() => null)) ?? { latency: 0 };
      effects = { latency, ...(jitterMs ? { jitterMs } : {}), ...(current.services ? { services: current.services } : {}) };
    }
    const done = await this.chaos('POST', path, effects);
    const what = `${latency} ms${jitterMs ? ` ± ${jitterMs} ms` : ''} on ${service ? `${service} calls` : 'every AWS call'}`;
    return { ok: done.ok, message: done.ok ? `Latency ${what}` : done.message, command: curl('POST', `${this.context.shownEndpoint}${path}`, effects) };
  }

  private async lambdaFaults(body: Record<string, unknown>): Promise<ControlAnswer> {
    const url = `${this.context.shownEndpoint}${LAMBDA_FAULTS_PATH}`;
    const op = body.op;
    if (op !== 'add' && op !== 'clear') throw new BadRequest('"op" must be add or clear');
    if ((await this.context.kind()) !== 'offline') {
      return { ok: false, message: 'Lambda-level faults are the offline runtime’s (npm start); LocalStack has no such endpoint', command: '' };
    }
    if (op === 'clear') {
      const done = await this.chaos('POST', LAMBDA_FAULTS_PATH, []);
      return { ok: done.ok, message: done.ok ? 'Every Lambda fault removed' : done.message, command: curl('POST', url, []) };
    }
    if (!isObject(body.fault)) throw new BadRequest('"fault" (an object shaped like AWS FIS’s, see docs/chaos-api.md) is needed');
    const done = await this.chaos('PATCH', LAMBDA_FAULTS_PATH, [body.fault]);
    return {
      ok: done.ok,
      message: done.ok ? `Lambda fault added on ${String(body.fault.functionName)}` : done.message,
      command: curl('PATCH', url, [body.fault]),
    };
  }

  private probeCommand(args: string): string {
    return `node --import tsx scripts/probe.ts ${args} --endpoint ${this.context.shownEndpoint}`;
  }

  private async fallback(body: Record<string, unknown>): Promise<ControlAnswer> {
    const on = field(body, 'on', isBoolean, 'true or false');
    if (on === undefined) throw new BadRequest('"on" (true or false) is needed');
    const command = this.probeCommand(`fallback --${on ? 'on' : 'off'}`);
    try {
      await setFallback(this.context.readings.controlLambda, on ? 'on' : 'off');
      return { ok: true, message: `${names.productFunction}'s fallback to the queue is ${on ? 'on' : 'off'}`, command };
    } catch (error) {
      return { ok: false, message: `Could not switch the fallback: ${(error as Error).message}`, command };
    }
  }

  private async mapping(body: Record<string, unknown>): Promise<ControlAnswer> {
    const enabled = field(body, 'enabled', isBoolean, 'true or false');
    if (enabled === undefined) throw new BadRequest('"enabled" (true or false) is needed');
    const command = this.probeCommand(`retry-mapping --${enabled ? 'enable' : 'disable'}`);
    try {
      const { state } = await setRetryMapping(this.context.readings.controlLambda, enabled);
      return { ok: true, message: `${names.retryFunction}'s event source mapping is ${state}`, command };
    } catch (error) {
      return { ok: false, message: `Could not ${enabled ? 'enable' : 'disable'} the event source mapping: ${(error as Error).message}`, command };
    }
  }

  private async clearAll(): Promise<ControlAnswer> {
    const offline = (await this.context.kind()) === 'offline';
    const steps = [
      this.faults({ op: 'clear' }),
      this.chaos('POST', '/_localstack/chaos/effects', { latency: 0 }).then((done) => ({
        ok: done.ok,
        message: done.ok ? 'Latency removed' : done.message,
        command: curl('POST', `${this.context.shownEndpoint}/_localstack/chaos/effects`, { latency: 0 }),
      })),
      ...(offline ? [this.lambdaFaults({ op: 'clear' })] : []),
      this.fallback({ on: true }),
      this.mapping({ enabled: true }),
    ];
    const answers = await Promise.all(steps);
    const failed = answers.filter((answer) => !answer.ok);
    return {
      ok: failed.length === 0,
      message:
        failed.length === 0 ? 'All clear: no fault rule, no latency, no Lambda fault, fallback on, mapping enabled' : failed.map((a) => a.message).join('; '),
      command: answers.map((answer) => answer.command).join('\n'),
    };
  }

  private async send(body: Record<string, unknown>): Promise<ControlAnswer> {
    this.sent += 1;
    const id = field(body, 'id', isString, 'a string') || `dash-${Date.now().toString(36)}-${this.sent}`;
    const name = field(body, 'name', isString, 'a string') || `${id} from the dashboard`;
    const price = body.price === undefined ? 1 : body.price;
    if (!isNumber(price) && !isString(price)) throw new BadRequest('"price" must be a number');
    const product = { id, name, price, description: 'sent from the dashboard' };
    const answer = await this.context.traffic.send(product);
    return {
      ok: answer.status === 200 || answer.status === 202,
      message: answer.status === 0 ? 'No answer from the product API' : `The product API answered ${answer.status}`,
      command: curl('POST', this.context.readings.target.apiUrl.replace(this.context.endpoint, this.context.shownEndpoint), product),
      status: answer.status,
      body: answer.body,
    };
  }

  private async load(body: Record<string, unknown>): Promise<ControlAnswer> {
    const running = field(body, 'running', isBoolean, 'true or false');
    if (running === undefined) throw new BadRequest('"running" (true or false) is needed');
    const rate = field(body, 'ratePerSecond', isNumber, 'a number') ?? DEFAULT_RATE_PER_SECOND;
    if (rate <= 0 || rate > MAX_RATE_PER_SECOND) throw new BadRequest(`"ratePerSecond" must be more than 0 and at most ${MAX_RATE_PER_SECOND}`);
    const apiUrl = this.context.readings.target.apiUrl.replace(this.context.endpoint, this.context.shownEndpoint);
    const command = `n=0; while true; do n=$((n+1)); curl -s -o /dev/null -w '%{http_code}\\n' -X POST ${apiUrl} -H 'Content-Type: application/json' -d "{\\"id\\":\\"load-$n\\",\\"name\\":\\"load-$n\\",\\"price\\":$n}"; sleep ${Math.round((1 / rate) * 100) / 100}; done`;
    if (!running) {
      this.context.traffic.stop();
      return { ok: true, message: 'Steady load stopped', command };
    }
    this.context.traffic.start(rate);
    return { ok: true, message: `Steady load: ${rate} writes a second (ids load-<n>)`, command };
  }

  private async runExperiment(body: Record<string, unknown>): Promise<ControlAnswer> {
    const file = field(body, 'file', isString, 'a file of the library, such as experiments/01-tutorial.json');
    // Only the library's own files: the page cannot name any other path to run.
    const entry = listExperiments().find((each) => each.file === file);
    if (!entry)
      throw new BadRequest(
        `"file" must be one of the library's experiments: ${listExperiments()
          .map((each) => each.file)
          .join(', ')}`,
      );
    const vars: Record<string, string | number> = {};
    if (body.vars !== undefined) {
      if (!isObject(body.vars)) throw new BadRequest('"vars" must be an object of names and values');
      for (const [key, value] of Object.entries(body.vars)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) || !(isString(value) || isNumber(value)))
          throw new BadRequest(`"vars.${key}" must be a name with a string or number value`);
        vars[key] = value;
      }
    }
    const args = experimentArgs(entry.file, this.context.shownEndpoint, vars);
    const command = `npm run experiment -- ${args.map(shellQuote).join(' ')}`;
    if (this.context.experiment.running) return { ok: false, message: 'An experiment is running already; wait for its verdict', command };
    this.context.experiment.start(entry.file, experimentArgs(entry.file, this.context.endpoint, vars));
    return { ok: true, message: `Running ${entry.file}: ${entry.title}`, command };
  }
}
