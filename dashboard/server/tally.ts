/**
 * What the log lines say: calls and errors on each arrow of the diagram, each function's
 * invocations, errors and cold starts, and whether a product's write reached the table directly
 * or through the queue. Two inputs:
 *
 * - the offline runtime's own log (`AWS dynamodb.PutItem => 200`, `[ProductFunction] START ...`):
 *   exact for the API, SNS, the SQS delivery and the retry function; a DynamoDB call is the
 *   product function's while one of its invocations is under way and the retry function's
 *   otherwise (approximate when both run at once);
 * - the functions' own lines (CloudWatch Logs on LocalStack): DynamoDB and SNS calls are read
 *   from the outcomes the functions log (one "Product stored" is one call; the SDK's retries of
 *   a failing call are not seen), so those arrows are approximate there.
 */
import { names } from '#spec';
import { logMessages } from '../../spec/log-messages';
import { ARROWS, type ArrowName, type FunctionKey, type FunctionState, type LogLine } from '../wire';

const MAX_REMEMBERED = 20_000;

/** The window the arrows' rates are averaged over. */
export const ARROW_WINDOW_MS = 5_000;

const FUNCTION_NAMES: Record<FunctionKey, string> = { product: names.productFunction, retry: names.retryFunction };

interface Hit {
  at: number;
  arrow: ArrowName;
  error: boolean;
}

interface JsonLine {
  message?: string;
  level?: string;
  productId?: string;
  updatedAt?: number;
  cold_start?: boolean;
  function_request_id?: string;
}

function parseJson(text: string): JsonLine | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null ? (value as JsonLine) : undefined;
  } catch {
    return undefined;
  }
}

export class Tally {
  private hits: Hit[] = [];
  private readonly counts: Record<FunctionKey, { invocations: number; errors: number; coldStarts: number }> = {
    product: { invocations: 0, errors: 0, coldStarts: 0 },
    retry: { invocations: 0, errors: 0, coldStarts: 0 },
  };
  /** Invocations under way, by function: whose a DynamoDB call is. */
  private readonly running: Record<FunctionKey, Set<string>> = { product: new Set(), retry: new Set() };
  private readonly coldRequests = new Set<string>();
  /** `<id>@<updatedAt>` → how that write reached the table. */
  private readonly via = new Map<string, 'direct' | 'queue'>();

  constructor(private readonly now: () => number = Date.now) {}

  /** One line of the offline runtime's log; the LogLine for the page, or undefined for a line it should not show. */
  runtimeLine(line: string, level?: string): LogLine | undefined {
    const at = this.now();
    if (level === 'debug') return undefined;
    const fn = /^\[([^\]]+)\] (.*)$/s.exec(line);
    if (fn) {
      const key = this.keyOf(fn[1] ?? '');
      if (!key) return { at, source: 'runtime', text: line };
      this.functionLine(key, fn[2] ?? '', at);
      return { at, source: key, text: fn[2] ?? '' };
    }
    const aws = /^AWS ([a-z0-9-]+)\.(\w+) => (\d{3})(.*)$/.exec(line);
    if (aws) {
      this.awsCall(aws[1] ?? '', aws[2] ?? '', Number(aws[3]), aws[4] ?? '', at);
      return { at, source: 'aws', text: line };
    }
    if (line.startsWith('SNS delivery to SQS released')) this.hit('sns-sqs', false, at);
    if (/^API Gateway .* => 5\d\d/.test(line)) this.hit('api-product', true, at);
    return { at, source: 'runtime', text: line };
  }

  /** One line a function logged (CloudWatch Logs on LocalStack): counts and arrows from the functions' own words. */
  cloudWatchLine(key: FunctionKey, text: string, at = this.now()): LogLine {
    this.functionLine(key, text, at, true);
    return { at, source: key, text };
  }

  private keyOf(functionName: string): FunctionKey | undefined {
    return (Object.keys(FUNCTION_NAMES) as FunctionKey[]).find((key) => FUNCTION_NAMES[key] === functionName);
  }

  private functionLine(key: FunctionKey, text: string, at: number, fromFunctionWords = false): void {
    const counts = this.counts[key];
    const start = /^START RequestId: (\S+)/.exec(text);
    if (start) {
      counts.invocations += 1;
      this.running[key].add(start[1] ?? '');
      this.hit(key === 'product' ? 'api-product' : 'sqs-retry', false, at);
      return;
    }
    const end = /^END RequestId: (\S+)(.*)$/.exec(text);
    if (end) {
      this.running[key].delete(end[1] ?? '');
      if (/Error/.test(end[2] ?? '')) {
        counts.errors += 1;
        this.hit(key === 'product' ? 'api-product' : 'sqs-retry', true, at);
      }
      return;
    }
    const json = parseJson(text);
    if (!json) return;
    const request = json.function_request_id;
    // Powertools marks every line of an invocation that started cold (on AWS, LocalStack and offline alike).
    if (json.cold_start === true && request && !this.coldRequests.has(request)) {
      this.coldRequests.add(request);
      if (this.coldRequests.size > MAX_REMEMBERED) this.coldRequests.delete(this.coldRequests.values().next().value ?? '');
      counts.coldStarts += 1;
    }
    const id = json.productId;
    const write = id !== undefined && json.updatedAt !== undefined ? `${id}@${json.updatedAt}` : undefined;
    switch (json.message) {
      case logMessages.stored:
        if (write) this.remember(write, 'direct');
        if (fromFunctionWords) this.hit('product-dynamodb', false, at);
        break;
      case logMessages.applied:
        if (write) this.remember(write, 'queue');
        if (fromFunctionWords) this.hit('retry-dynamodb', false, at);
        break;
      case logMessages.stale:
        if (fromFunctionWords) this.hit('retry-dynamodb', false, at);
        break;
      case logMessages.queued:
        if (fromFunctionWords) {
          this.hit('product-sns', false, at);
          this.hit('sns-sqs', false, at);
        }
        break;
      default:
        if (fromFunctionWords && typeof json.message === 'string') {
          if (key === 'product' && /^DynamoDB unavailable/.test(json.message)) this.hit('product-dynamodb', true, at);
          if (key === 'product' && /^SNS unavailable|^SNS failed/.test(json.message)) this.hit('product-sns', true, at);
          if (key === 'retry' && /DynamoDB/.test(json.message) && json.level !== 'INFO') this.hit('retry-dynamodb', true, at);
        }
    }
  }

  /** Kept for the newest MAX_REMEMBERED writes only: a long soak does not grow the map without end. */
  private remember(write: string, how: 'direct' | 'queue'): void {
    this.via.delete(write);
    this.via.set(write, how);
    if (this.via.size > MAX_REMEMBERED) this.via.delete(this.via.keys().next().value ?? '');
  }

  private awsCall(service: string, operation: string, status: number, rest: string, at: number): void {
    const error = status >= 400;
    if (service === 'dynamodb' && ['PutItem', 'GetItem', 'Scan', 'UpdateItem', 'Query'].includes(operation)) {
      if (this.running.product.size > 0) this.hit('product-dynamodb', error, at);
      else if (this.running.retry.size > 0) this.hit('retry-dynamodb', error, at);
    } else if (service === 'sns' && operation === 'Publish') {
      this.hit('product-sns', error, at);
      if (!error) this.hit('sns-sqs', rest.includes('held back'), at);
    } else if (service === 'sqs' && operation === 'ReceiveMessage' && rest.includes('event source') && error) {
      this.hit('sqs-retry', true, at);
    }
  }

  private hit(arrow: ArrowName, error: boolean, at: number): void {
    this.hits.push({ at, arrow, error });
  }

  /** Calls and errors per second on each arrow, over the last ARROW_WINDOW_MS. */
  arrows(): Record<ArrowName, { calls: number; errors: number }> {
    const since = this.now() - ARROW_WINDOW_MS;
    this.hits = this.hits.filter((hit) => hit.at >= since);
    const result = Object.fromEntries(ARROWS.map((arrow) => [arrow, { calls: 0, errors: 0 }])) as Record<ArrowName, { calls: number; errors: number }>;
    for (const { arrow, error } of this.hits) {
      result[arrow].calls += 1;
      if (error) result[arrow].errors += 1;
    }
    const perSecond = (n: number) => Math.round((n / (ARROW_WINDOW_MS / 1000)) * 10) / 10;
    for (const arrow of ARROWS) result[arrow] = { calls: perSecond(result[arrow].calls), errors: perSecond(result[arrow].errors) };
    return result;
  }

  functions(fallback?: 'on' | 'off'): Record<FunctionKey, FunctionState> {
    return {
      product: { name: FUNCTION_NAMES.product, ...this.counts.product, ...(fallback ? { fallback } : {}) },
      retry: { name: FUNCTION_NAMES.retry, ...this.counts.retry },
    };
  }

  viaOf(id: string, updatedAt: number): 'direct' | 'queue' | 'unknown' {
    return this.via.get(`${id}@${updatedAt}`) ?? 'unknown';
  }
}

export const functionNames = FUNCTION_NAMES;
