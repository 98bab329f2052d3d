/**
 * A client for the Chaos API, on LocalStack or the offline runtime: only the endpoint differs.
 * Rules are checked with the runtime's own check (LocalStack's schema) and freed of repeats
 * before they are sent, since LocalStack refuses a list with two equal rules.
 */
import { region } from '#spec';
import { ChaosValidationError, checkRules, uniqueRules } from '../../shared/contracts/chaos-api-validate';
import { type FaultRule, formatProblem } from '../../shared/contracts/chaos-api';
import awsNames from './aws-names.json';

export type { FaultRule };

export class ChaosApiError extends Error {}

/** The rules as they may be sent: repeats dropped, then checked; throws ChaosValidationError. */
function sendable(rules: FaultRule[]): FaultRule[] {
  const unique = uniqueRules(rules);
  const problems = checkRules(unique);
  if (problems.length > 0) throw new ChaosValidationError(`Not sent to the Chaos API: ${problems.map(formatProblem).join('; ')}`);
  return unique;
}

const HEALTH_TIMEOUT_MS = 3_000;

export class ChaosClient {
  constructor(readonly endpoint: string) {}

  getFaults = () => this.call<FaultRule[]>('GET', 'faults');
  /** PATCH: appends rules, keeping the ones already active. */
  addFaults = (rules: FaultRule[]) => this.call<FaultRule[]>('PATCH', 'faults', sendable(rules));
  /** DELETE: removes every active rule equal to one of these. */
  removeFaults = (rules: FaultRule[]) => this.call<FaultRule[]>('DELETE', 'faults', sendable(rules));
  /** POST: replaces every rule ([] ends every outage). */
  setFaults = (rules: FaultRule[]) => this.call<FaultRule[]>('POST', 'faults', sendable(rules));
  getEffects = () => this.call<{ latency: number }>('GET', 'effects');
  setLatency = (latency: number) => this.call<{ latency: number }>('POST', 'effects', { latency });

  /**
   * The services the target serves, from `GET /_localstack/health` (`{services: {name: state}}`,
   * "disabled" ones left out), or undefined when it does not say: a check that cannot be made
   * must not block.
   */
  async servedServices(): Promise<string[] | undefined> {
    try {
      const response = await fetch(`${this.endpoint.replace(/\/$/, '')}/_localstack/health`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
      if (!response.ok) return undefined;
      const { services } = (await response.json()) as { services?: unknown };
      if (typeof services !== 'object' || services === null || Array.isArray(services)) return undefined;
      return Object.entries(services)
        .filter(([, state]) => state !== 'disabled')
        .map(([name]) => name)
        .sort();
    } catch {
      return undefined;
    }
  }

  private async call<T>(method: string, path: 'faults' | 'effects', body?: unknown): Promise<T> {
    const url = `${this.endpoint.replace(/\/$/, '')}/_localstack/chaos/${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { 'Content-Type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } }).cause;
      const reason = cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? (error as Error).message;
      throw new ChaosApiError(`Could not reach the Chaos API at ${url} (${reason}). Is LocalStack or the offline runtime (npm start) running?`);
    }
    const text = await response.text();
    if (!response.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // Not JSON: show the text as it came.
      }
      const hint = response.status === 404 ? ' (this LocalStack has no Chaos API: it needs an Enterprise licence)' : '';
      throw new ChaosApiError(`The Chaos API refused ${method} ${path}: ${response.status} ${message}${hint}`);
    }
    return JSON.parse(text) as T;
  }
}

/** The AWS names the CLI accepts, from botocore (see scripts/generate-aws-names.ts). */
export const awsServices: readonly string[] = awsNames.services;
export const awsRegions: readonly string[] = awsNames.regions;

/** Edit distance with adjacent transpositions counted as one edit ("dyanmodb" is 1 from "dynamodb"). */
function distance(a: string, b: string): number {
  const width = b.length + 1;
  const d: number[] = [];
  const at = (i: number, j: number) => d[i * width + j] ?? 0;
  for (let i = 0; i <= a.length; i += 1) {
    for (let j = 0; j <= b.length; j += 1) {
      let value = i === 0 || j === 0 ? i + j : Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, at(i - 2, j - 2) + 1);
      d[i * width + j] = value;
    }
  }
  return at(a.length, b.length);
}

/** The closest names to `name` (case aside), if any is close enough to be a typo of it. */
export function nearest(name: string, names: readonly string[]): string[] {
  const lower = name.toLowerCase();
  const scored = names.map((candidate) => ({ candidate, score: distance(lower, candidate) }));
  const best = Math.min(...scored.map((s) => s.score));
  if (best > Math.max(1, Math.floor(name.length / 3))) return [];
  return scored.filter((s) => s.score === best).map((s) => s.candidate);
}

function unknown(kind: string, name: string, names: readonly string[], examples: string): string | undefined {
  if (names.includes(name)) return undefined;
  const close = nearest(name, names).slice(0, 3);
  const either = close.length > 1 ? `${close.slice(0, -1).join(', ')} or ${close.at(-1)}` : close[0];
  return either ? `Unknown ${kind} ${name}; did you mean ${either}?` : `Unknown ${kind} ${name}: not an AWS ${kind} name (such as ${examples}).`;
}

/** Undefined for an AWS service name (botocore's, as LocalStack uses: dynamodb, sqs, events); else why not. */
export const serviceProblem = (name: string) => unknown('service', name, awsServices, 'dynamodb, sqs, sns, lambda, events or s3');

/** Undefined for an AWS region name; else why not. */
export const regionProblem = (name: string) => unknown('region', name, awsRegions, `${region} or eu-west-1`);
