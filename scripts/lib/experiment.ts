/**
 * The tutorial as an experiment: a steady-state hypothesis checked before, during and after an
 * injected DynamoDB outage, and under latency. Drives any target that serves the product API and
 * the Chaos API (the offline runtime or LocalStack); always removes what it injected.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { names } from '../../infra/spec';
import { ChaosClient, type FaultRule } from './chaos-client';
import { Target } from './target';

export interface ExperimentOptions {
  endpoint: string;
  /** Writes during the outage: `ids` products, each written `versions` times. */
  ids: number;
  versions: number;
  latencyMs: number;
  recoveryTimeoutMs: number;
  signal?: AbortSignal;
  progress?: (event: ProgressEvent) => void;
}

export type ProgressEvent = { kind: 'step'; step: string; text: string } | { kind: 'wait'; text: string } | { kind: 'result'; step: Step };

export interface RequestRecord {
  t: number;
  step: string;
  id: string;
  name: string;
  status: number;
  ms: number;
}

export interface Sample {
  t: number;
  queue: number | null;
  dlq: number | null;
  inTable: number | null;
}

interface Observation {
  t: number;
  queue: number | null;
  dlq: number | null;
  table: Map<string, string> | null;
}

export interface Step {
  name: string;
  hypothesis: string;
  held: boolean;
  details: string;
  startedAt: number;
  endedAt: number;
}

export interface Journal {
  runId: string;
  endpoint: string;
  startedAt: string;
  steps: Step[];
  requests: RequestRecord[];
  samples: Sample[];
  faultWindows: Array<{ label: string; start: number; end: number }>;
  summary: Summary;
}

export interface Summary {
  held: boolean;
  failedHypotheses: string[];
  requestsByStatus: Record<string, number>;
  accepted: number;
  queued: number;
  drained: boolean;
  lost: number;
  recoveryMs: number | null;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
}

const API_BUDGET_MS = 29_000; // API Gateway's integration timeout
const SAMPLE_EVERY_MS = 250;

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

export class Experiment {
  readonly runId = randomBytes(3).toString('hex');
  private readonly started = Date.now();
  private readonly chaos: ChaosClient;
  private readonly target: Target;
  private readonly apiUrl: string;
  private readonly requests: RequestRecord[] = [];
  private readonly samples: Sample[] = [];
  private readonly steps: Step[] = [];
  private readonly faultWindows: Journal['faultWindows'] = [];
  /** The newest accepted value per id: what the table must hold once the outage is over. */
  private readonly expected = new Map<string, string>();
  private readonly injectedRules: FaultRule[] = [];
  private latencyBefore: number | undefined;
  /** The sampler's newest observation, which the recovery step judges instead of asking the target again. */
  private latest: Observation | undefined;
  private recoveryMs: number | null = null;

  constructor(private readonly options: ExperimentOptions) {
    // One attempt per reading: under a fault the sampler records "unknown" rather than retrying.
    this.target = new Target(options.endpoint, { maxAttempts: 1 });
    this.chaos = new ChaosClient(this.target.endpoint);
    this.apiUrl = this.target.apiUrl;
  }

  private now = () => Date.now() - this.started;

  async run(): Promise<Journal> {
    const sampling = this.sampleLoop();
    try {
      this.latencyBefore = (await this.chaos.getEffects()).latency;
      await this.step('preflight', 'The API stores a product (200) and reads it back.', () => this.preflight());
      await this.step('outage', 'With DynamoDB failing 80% of calls, every write is accepted (200 or 202), some are queued, none fails.', () => this.outage());
      await this.step(
        'recovery',
        `Once the outage ends, every accepted write is in the table with its newest value, and the queue and DLQ are empty, within ${this.options.recoveryTimeoutMs / 1000} s.`,
        () => this.recovery(),
      );
      await this.step('latency', `With ${this.options.latencyMs} ms added to every AWS call, the API still answers 200 or 202 within API Gateway's 29 s.`, () => this.latency());
    } finally {
      await this.cleanUp();
      // Stop observing; an in-flight call may be sitting out injected latency, so abort it.
      this.sampling.abort();
      await sampling;
    }
    return this.journal();
  }

  private async step(name: string, hypothesis: string, body: () => Promise<string>): Promise<void> {
    this.options.signal?.throwIfAborted();
    this.options.progress?.({ kind: 'step', step: name, text: hypothesis });
    const startedAt = this.now();
    let held = true;
    let details: string;
    try {
      details = await body();
    } catch (error) {
      if (this.options.signal?.aborted) throw error;
      held = false;
      details = error instanceof Error ? error.message : String(error);
    }
    const step: Step = { name, hypothesis, held, details, startedAt, endedAt: this.now() };
    this.steps.push(step);
    this.options.progress?.({ kind: 'result', step });
  }

  private async write(step: string, id: string, name: string): Promise<RequestRecord> {
    const sent = Date.now();
    let status = 0;
    try {
      const response = await fetch(this.apiUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ id, name, price: '29.99', description: `Chaos experiment ${this.runId}` }),
        signal: AbortSignal.any([AbortSignal.timeout(API_BUDGET_MS + 5_000), ...(this.options.signal ? [this.options.signal] : [])]),
      });
      status = response.status;
      await response.text();
    } catch (error) {
      if (this.options.signal?.aborted) throw error;
    }
    const record = { t: sent - this.started, step, id, name, status, ms: Date.now() - sent };
    this.requests.push(record);
    if (status === 200 || status === 202) this.expected.set(id, name);
    return record;
  }

  private async preflight(): Promise<string> {
    const id = `exp-${this.runId}-preflight`;
    const record = await this.write('preflight', id, 'Ultimate Gadget');
    if (record.status !== 200) throw new Error(`the API answered ${record.status || 'nothing'} instead of 200`);
    const read = await fetch(`${this.apiUrl}?id=${encodeURIComponent(id)}`);
    const body = (await read.json()) as { name?: string };
    if (read.status !== 200 || body.name !== 'Ultimate Gadget') throw new Error(`reading it back gave ${read.status} ${JSON.stringify(body)}`);
    return `stored in ${record.ms} ms and read back`;
  }

  private async injectFault(rule: FaultRule): Promise<void> {
    await this.chaos.addFaults([rule]);
    this.injectedRules.push(rule);
  }

  private async outage(): Promise<string> {
    const rule: FaultRule = { service: 'dynamodb', probability: 0.8, error: { statusCode: 500, code: 'SomethingWentWrong' }, description: `chaos experiment ${this.runId}` };
    await this.injectFault(rule);
    const start = this.now();
    // Each product is written `versions` times in order; products in parallel.
    await Promise.all(
      Array.from({ length: this.options.ids }, async (_, i) => {
        for (let v = 1; v <= this.options.versions; v += 1) {
          await this.write('outage', `exp-${this.runId}-${i}`, `Super Widget v${v}`);
          this.options.progress?.({ kind: 'wait', text: `${this.requests.filter((r) => r.step === 'outage').length}/${this.options.ids * this.options.versions} writes sent` });
        }
      }),
    );
    await this.chaos.removeFaults([rule]);
    this.injectedRules.splice(this.injectedRules.indexOf(rule), 1);
    this.faultWindows.push({ label: 'DynamoDB outage (80%)', start, end: this.now() });

    const outage = this.requests.filter((r) => r.step === 'outage');
    const failed = outage.filter((r) => r.status !== 200 && r.status !== 202);
    const queued = outage.filter((r) => r.status === 202).length;
    if (failed.length > 0) throw new Error(`${failed.length} of ${outage.length} writes failed (${[...new Set(failed.map((r) => r.status || 'no answer'))].join(', ')})`);
    if (queued === 0) throw new Error('no write was queued: the fault did not reach the product Lambda');
    return `${outage.length} writes: ${outage.length - queued} stored directly, ${queued} queued, 0 failed`;
  }

  private async recovery(): Promise<string> {
    const ended = this.faultWindows.at(-1)?.end ?? this.now();
    const deadline = Date.now() + this.options.recoveryTimeoutMs;
    const missingIn = (state: Observation) => (state.table ? [...this.expected].filter(([id, name]) => state.table?.get(id) !== name).length : this.expected.size);
    let judged: Observation | undefined;
    for (;;) {
      this.options.signal?.throwIfAborted();
      // Judge each new observation the sampler makes after the outage ended, and only those.
      const state = this.latest;
      if (state && state !== judged && state.t > ended) {
        judged = state;
        const missing = missingIn(state);
        this.options.progress?.({ kind: 'wait', text: `waiting for recovery: ${this.expected.size - missing}/${this.expected.size} in the table, queue ${state.queue ?? '?'}, DLQ ${state.dlq ?? '?'}` });
        if (missing === 0 && state.queue === 0 && state.dlq === 0) {
          this.recoveryMs = state.t - ended;
          return `all ${this.expected.size} products hold their newest value; queue and DLQ empty ${(this.recoveryMs / 1000).toFixed(1)} s after the outage`;
        }
      }
      if (Date.now() > deadline) {
        const limit = `after ${this.options.recoveryTimeoutMs / 1000} s`;
        if (!judged) throw new Error(`${limit}, the target had not answered an observation since the outage ended`);
        throw new Error(`${limit}, ${missingIn(judged)} of ${this.expected.size} accepted writes are missing or stale in the table; queue ${judged.queue ?? '?'}, DLQ ${judged.dlq ?? '?'}`);
      }
      await sleep(SAMPLE_EVERY_MS / 5);
    }
  }

  private async latency(): Promise<string> {
    await this.chaos.setLatency(this.options.latencyMs);
    const start = this.now();
    try {
      const records = [await this.write('latency', `exp-${this.runId}-slow-1`, 'Slow Widget'), await this.write('latency', `exp-${this.runId}-slow-2`, 'Slow Widget')];
      const bad = records.filter((r) => (r.status !== 200 && r.status !== 202) || r.ms > API_BUDGET_MS);
      if (bad.length > 0) throw new Error(`answers: ${records.map((r) => `${r.status || 'none'} in ${r.ms} ms`).join(', ')}`);
      return `answered ${records.map((r) => `${r.status} in ${(r.ms / 1000).toFixed(1)} s`).join(' and ')}`;
    } finally {
      await this.chaos.setLatency(this.latencyBefore ?? 0);
      this.faultWindows.push({ label: `${this.options.latencyMs} ms latency`, start, end: this.now() });
    }
  }

  /** Removes what this run injected, and nothing else. */
  private async cleanUp(): Promise<void> {
    if (this.injectedRules.length > 0) await this.chaos.removeFaults(this.injectedRules).catch(() => undefined);
    if (this.latencyBefore !== undefined) await this.chaos.setLatency(this.latencyBefore).catch(() => undefined);
  }

  private readonly sampling = new AbortController();

  private async sampleLoop(): Promise<void> {
    while (!this.sampling.signal.aborted) {
      await this.observe().catch(() => undefined);
      await sleep(SAMPLE_EVERY_MS);
    }
  }

  /** Queue depths and this run's products in the table; null where the target could not say (faults hit us too). */
  private async observe(): Promise<void> {
    const [queue, dlq, table] = await Promise.all([this.depth('queue'), this.depth('dlq'), this.table()]);
    const t = this.now();
    const inTable = table ? [...this.expected.keys()].filter((id) => table.has(id)).length : null;
    this.samples.push({ t, queue, dlq, inTable });
    this.latest = { t, queue, dlq, table };
  }

  private async depth(which: 'queue' | 'dlq'): Promise<number | null> {
    return this.target.queueDepth(which === 'queue' ? names.queue : names.deadLetterQueue, this.sampling.signal).catch(() => null);
  }

  private async table(): Promise<Map<string, string> | null> {
    try {
      const products = await this.target.products(`exp-${this.runId}-`, this.sampling.signal);
      return new Map([...products].map(([id, { name }]) => [id, name]));
    } catch {
      return null;
    }
  }

  private journal(): Journal {
    const byStatus: Record<string, number> = {};
    for (const r of this.requests) byStatus[String(r.status || 'no answer')] = (byStatus[String(r.status || 'no answer')] ?? 0) + 1;
    // The newest answer the target gave (the last samples may have been cut off by injected latency).
    const lastKnown = (key: 'inTable') => this.samples.findLast((sample) => sample[key] !== null)?.[key] ?? null;
    const recovery = this.steps.find((s) => s.name === 'recovery');
    const lost = recovery?.held ? 0 : this.expected.size - (lastKnown('inTable') ?? 0);
    const ms = this.requests.map((r) => r.ms);
    return {
      runId: this.runId,
      endpoint: this.options.endpoint,
      startedAt: new Date(this.started).toISOString(),
      steps: this.steps,
      requests: this.requests,
      samples: this.samples,
      faultWindows: this.faultWindows,
      summary: {
        held: this.steps.length === 4 && this.steps.every((s) => s.held),
        failedHypotheses: this.steps.filter((s) => !s.held).map((s) => s.name),
        requestsByStatus: byStatus,
        accepted: this.requests.filter((r) => r.status === 200 || r.status === 202).length,
        queued: this.requests.filter((r) => r.status === 202).length,
        // Judged when recovery was: the latency step may queue a write of its own afterwards.
        drained: this.recoveryMs !== null,
        lost,
        recoveryMs: this.recoveryMs,
        latencyMs: { p50: percentile(ms, 50), p95: percentile(ms, 95), p99: percentile(ms, 99), max: Math.max(0, ...ms) },
      },
    };
  }
}
