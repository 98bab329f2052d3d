/** A client for the Chaos API, on LocalStack or the offline runtime: only the endpoint differs. */
import type { FaultRule } from '../../local/chaos';

export type { FaultRule };

export class ChaosApiError extends Error {}

export class ChaosClient {
  constructor(readonly endpoint: string) {}

  getFaults = () => this.call<FaultRule[]>('GET', 'faults');
  /** PATCH: appends rules, keeping the ones already active. */
  addFaults = (rules: FaultRule[]) => this.call<FaultRule[]>('PATCH', 'faults', rules);
  /** DELETE: removes exactly these rules. */
  removeFaults = (rules: FaultRule[]) => this.call<FaultRule[]>('DELETE', 'faults', rules);
  /** POST: replaces every rule ([] ends every outage). */
  setFaults = (rules: FaultRule[]) => this.call<FaultRule[]>('POST', 'faults', rules);
  getEffects = () => this.call<{ latency: number }>('GET', 'effects');
  setLatency = (latency: number) => this.call<{ latency: number }>('POST', 'effects', { latency });

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

/** Checks a rule before it is sent, with a sentence per problem. */
export function checkRule(rule: FaultRule): string[] {
  const problems: string[] = [];
  if (rule.service !== undefined && !/^[a-z0-9-]+$/.test(rule.service)) problems.push(`service "${rule.service}" should be an AWS service name such as dynamodb, sqs or sns`);
  if (rule.operation !== undefined && !/^[A-Z][A-Za-z0-9]+$/.test(rule.operation)) problems.push(`operation "${rule.operation}" should be an API operation name such as PutItem`);
  if (rule.probability !== undefined && !(rule.probability >= 0 && rule.probability <= 1)) problems.push('probability must be a number from 0 to 1');
  const status = rule.error?.statusCode;
  if (status !== undefined && !(Number.isInteger(status) && status >= 400 && status <= 599)) problems.push('status code must be a whole number from 400 to 599');
  if (rule.error?.code !== undefined && rule.error.code.trim() === '') problems.push('error code must not be empty');
  return problems;
}
