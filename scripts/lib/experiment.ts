/**
 * The tutorial as an experiment: a steady-state hypothesis checked before, during and after an
 * injected DynamoDB outage, and under latency. Drives any target that serves the product API and
 * the Chaos API (the offline runtime or LocalStack); always removes what it injected, and returns
 * a journal of what happened even when the run is interrupted.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { awsLimits, deadLetterQueues, names, offline, timing, tutorialFault } from '#spec';
import { ChaosApiError, ChaosClient, type FaultRule } from '../../chaos/api/chaos-client';
import { percentiles, type Percentiles } from '../../chaos/report/stats';
import { AppClient } from '../../shared/app-client/app-client';
import { describeRule } from '../../shared/contracts/chaos-api';

export interface ExperimentOptions {
  endpoint: string;
  /** Writes during the outage: `ids` products, each written `versions` times. */
  ids: number;
  versions: number;
  latencyMs: number;
  recoveryTimeoutMs: number;
  /** How long the target's circuit breakers stay open after they trip (the spec's value by default). */
  breakerCooldownMs?: number;
  /** Abort it to interrupt the run: what was injected is removed and the journal says `interrupted`. */
  signal?: AbortSignal;
  progress?: (event: ProgressEvent) => void;
}

/** `wait`: the state while a step waits (shown in place or every few seconds); `note`: a line worth keeping. */
export type ProgressEvent =
  { kind: 'step'; step: string; text: string } | { kind: 'wait'; text: string } | { kind: 'note'; text: string } | { kind: 'result'; step: Step };

export const STEPS = ['preflight', 'outage', 'recovery', 'latency'] as const;
export type StepName = (typeof STEPS)[number];

/** Chaos Toolkit's journal statuses: `failed` when the steady state did not hold before any fault. */
export type RunStatus = 'completed' | 'failed' | 'aborted' | 'interrupted';
export type Verdict = 'held' | 'failed' | 'aborted' | 'interrupted';

export interface RequestRecord {
  /** When the write was sent, in ms since the start of the run. */
  t: number;
  /** When its answer arrived (or it gave up waiting), in ms since the start of the run. */
  answeredAt: number;
  step: StepName;
  /** `check`: a write, under no fault, confirming the API stores directly again before latency is added. */
  phase?: 'check';
  id: string;
  name: string;
  /** The HTTP status; 0 when no answer came. */
  status: number;
  ms: number;
  /** Why no answer came. */
  error?: string;
  /** The run was interrupted before the answer came: neither a success nor a failure of the API. */
  interrupted?: true;
}

export interface Sample {
  /** When the readings came back, in ms since the start of the run. */
  t: number;
  queue: number | null;
  dlq: number | null;
  /** Products with at least one accepted write (200 or 202) by then. */
  accepted: number;
  /** Of those, how many the table holds at their newest accepted value (or a newer one); null when the table could not be read. */
  upToDate: number | null;
}

interface Observation {
  t: number;
  queue: number | null;
  dlq: number | null;
  /** Accepted products the table does not (yet) hold at their newest accepted value; null when it could not be read. */
  behind: string[] | null;
}

export interface Step {
  name: StepName;
  hypothesis: string;
  verdict: Verdict;
  details: string;
  startedAt: number;
  endedAt: number;
}

export interface FaultWindow {
  kind: 'outage' | 'latency';
  label: string;
  start: number;
  end: number;
}

/** The writes of one step (the latency step's healthy check counted apart from its writes under latency). */
export interface WriteCounts {
  group: string;
  step: StepName;
  writes: number;
  /** 200: stored directly. */
  stored: number;
  /** 202: accepted and queued. */
  queued: number;
  /** Any other answer, or none in time. */
  failed: number;
  /** Still waiting for an answer when the run was interrupted. */
  interrupted: number;
  byStatus: Record<string, number>;
  latencyMs: Percentiles;
  /** Products with an accepted write in this group, and how many of them the table held at their newest value when the run ended. */
  products: number;
  upToDateAtEnd: number | null;
}

/**
 * Where every accepted product stood when the run ended. A product that does not hold its newest
 * accepted value is `pending` while the queue still holds a message that can bring it (counted:
 * messages are not read), `deadLettered` while the DLQ does, and `lost` beyond both.
 */
export interface ProductCounts {
  at: number;
  accepted: number;
  upToDate: number | null;
  pending: number | null;
  deadLettered: number | null;
  lost: number | null;
  queue: number | null;
  dlq: number | null;
}

export interface Summary {
  held: boolean;
  failedHypotheses: string[];
  notRun: StepName[];
  writes: WriteCounts[];
  products: ProductCounts;
  /** From the end of the outage to the first observation of every accepted write applied and both queues empty. */
  recoveryMs: number | null;
}

export interface Journal {
  runId: string;
  endpoint: string;
  startedAt: string;
  /** ms from start to end. */
  duration: number;
  status: RunStatus;
  /** Whether any hypothesis failed. */
  deviated: boolean;
  steps: Step[];
  requests: RequestRecord[];
  samples: Sample[];
  faultWindows: FaultWindow[];
  /** Moments worth marking on the chart, in ms since the start. */
  marks: Array<{ t: number; label: string }>;
  /** What the clean-up at the end removed (faults and latency of this run still active then), and what it could not. */
  cleanup: { removed: string[]; failed: string[] };
  summary: Summary;
}

const API_BUDGET_MS = awsLimits.apiGatewayIntegrationTimeoutMs;
const SAMPLE_EVERY_MS = 250;
/** Product environments the API may run at once (the product function's concurrency); each has its own breaker. */
const PRODUCT_ENVIRONMENTS = offline.productConcurrency;
/** The outage step's share of failing calls, as the step and the chart name it. */
const OUTAGE_PERCENT = Math.round(tutorialFault.probability * 100);
const CHECK_ROUNDS = 3;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const accepted = (status: number) => status === 200 || status === 202;

class StepFailure extends Error {}

export class Experiment {
  readonly runId = randomBytes(3).toString('hex');
  private readonly started = Date.now();
  private readonly chaos: ChaosClient;
  private readonly target: AppClient;
  private readonly apiUrl: string;
  private readonly cooldownMs: number;
  private readonly requests: RequestRecord[] = [];
  private readonly samples: Sample[] = [];
  private readonly steps: Step[] = [];
  private readonly faultWindows: FaultWindow[] = [];
  private readonly marks: Journal['marks'] = [];
  /** Per product, the names sent in order (a later name is a newer value), and the newest accepted one. */
  private readonly sent = new Map<string, string[]>();
  private readonly expected = new Map<string, string>();
  private readonly injectedRules: FaultRule[] = [];
  private latencyBefore: number | undefined;
  private latencySet = false;
  /** The sampler's newest observation, which the waiting steps judge instead of asking the target again. */
  private latest: Observation | undefined;
  private recoveryMs: number | null = null;
  private readonly sampling = new AbortController();

  constructor(private readonly options: ExperimentOptions) {
    // One attempt per reading: under a fault the sampler records "unknown" rather than retrying.
    this.target = new AppClient(options.endpoint, { maxAttempts: 1 });
    this.chaos = new ChaosClient(this.target.endpoint);
    this.apiUrl = this.target.apiUrl;
    this.cooldownMs = options.breakerCooldownMs ?? timing.breakerCooldownMs;
  }

  private now = () => Date.now() - this.started;

  /**
   * Runs the steps in order. Throws only when the Chaos API cannot be reached at the start;
   * otherwise returns the journal, whatever happened (failure, target error, interruption).
   */
  async run(): Promise<Journal> {
    this.latencyBefore = (await this.chaos.getEffects()).latency;
    const sampling = this.sampleLoop();
    const { latencyMs, recoveryTimeoutMs } = this.options;
    const plan: Array<[StepName, string, () => Promise<string>]> = [
      ['preflight', 'The API stores a product (200) and reads it back.', () => this.preflight()],
      ['outage', `With DynamoDB failing ${OUTAGE_PERCENT}% of calls, every write is accepted (200 or 202), some are queued, none fails.`, () => this.outage()],
      [
        'recovery',
        `Once the outage ends, every accepted product holds its newest value in the table, and the queue and DLQ are empty, within ${recoveryTimeoutMs / 1000} s.`,
        () => this.recovery(),
      ],
      [
        'latency',
        `Once writes are stored directly again (every breaker closed after its cooldown), with ${latencyMs} ms added to every AWS call the API still answers 200 or 202 within API Gateway's 29 s, and any write queued meanwhile reaches the table once the latency is removed.`,
        () => this.latency(),
      ],
    ];
    let status: RunStatus = 'completed';
    try {
      for (const [name, hypothesis, body] of plan) {
        const verdict = await this.step(name, hypothesis, body);
        if (verdict === 'interrupted' || verdict === 'aborted') {
          status = verdict;
          break;
        }
        // The steady state before the method gates it (Chaos Toolkit's semantics).
        if (name === 'preflight' && verdict === 'failed') {
          status = 'failed';
          break;
        }
      }
    } finally {
      this.sampling.abort();
      await sampling;
    }
    const cleanup = await this.cleanUp();
    const end = await this.finalObservation();
    return this.journal(status, cleanup, end);
  }

  private async step(name: StepName, hypothesis: string, body: () => Promise<string>): Promise<Verdict> {
    const startedAt = this.now();
    let verdict: Verdict = 'held';
    let details: string;
    if (this.options.signal?.aborted) {
      verdict = 'interrupted';
      details = 'interrupted (Ctrl-C) before it started';
    } else {
      this.options.progress?.({ kind: 'step', step: name, text: hypothesis });
      try {
        details = await body();
      } catch (error) {
        if (this.options.signal?.aborted) {
          verdict = 'interrupted';
          details = `interrupted (Ctrl-C) ${seconds(this.now() - startedAt)} into the step`;
          this.marks.push({ t: this.now(), label: 'Ctrl-C' });
        } else if (error instanceof StepFailure) {
          verdict = 'failed';
          details = error.message;
        } else {
          // The Chaos API, the target's network or the tool itself failed: no verdict on the
          // system, and no point in going on (Chaos Toolkit's "aborted").
          verdict = 'aborted';
          details = `${error instanceof ChaosApiError ? '' : 'target or tool error: '}${error instanceof Error ? error.message : String(error)}`;
        }
      }
    }
    const step: Step = { name, hypothesis, verdict, details, startedAt, endedAt: this.now() };
    this.steps.push(step);
    this.options.progress?.({ kind: 'result', step });
    return verdict;
  }

  private checkInterrupted(): void {
    this.options.signal?.throwIfAborted();
  }

  private rank(id: string, name: string): number {
    return this.sent.get(id)?.lastIndexOf(name) ?? -1;
  }

  private async write(step: StepName, id: string, name: string, phase?: 'check'): Promise<RequestRecord> {
    const sent = Date.now();
    this.sent.set(id, [...(this.sent.get(id) ?? []), name]);
    const answer = await this.target.post(
      { id, name, price: '29.99', description: `Chaos experiment ${this.runId}` },
      AbortSignal.any([AbortSignal.timeout(API_BUDGET_MS + 5_000), ...(this.options.signal ? [this.options.signal] : [])]),
    );
    const { status } = answer;
    let error: string | undefined;
    if (answer.error !== undefined) {
      const caught = answer.error;
      error = this.options.signal?.aborted
        ? 'interrupted before the answer came'
        : caught instanceof Error && caught.name === 'TimeoutError'
          ? `no answer within ${(API_BUDGET_MS + 5_000) / 1000} s`
          : String((caught as Error).cause ?? caught);
    }
    const answered = Date.now();
    const interrupted = status === 0 && this.options.signal?.aborted === true;
    const record: RequestRecord = {
      t: sent - this.started,
      answeredAt: answered - this.started,
      step,
      ...(phase ? { phase } : {}),
      id,
      name,
      status,
      ms: answered - sent,
      ...(error ? { error } : {}),
      ...(interrupted ? { interrupted: true as const } : {}),
    };
    this.requests.push(record);
    if (accepted(status) && this.rank(id, name) >= this.rank(id, this.expected.get(id) ?? '')) this.expected.set(id, name);
    this.checkInterrupted();
    return record;
  }

  /** Runs `count` writers at once and waits for all of them, even when one is interrupted. */
  private async parallel<T>(count: number, writer: (i: number) => Promise<T>): Promise<T[]> {
    const settled = await Promise.allSettled(Array.from({ length: count }, (_, i) => writer(i)));
    const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (rejected) throw rejected.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
  }

  private async preflight(): Promise<string> {
    const id = `exp-${this.runId}-preflight`;
    const record = await this.write('preflight', id, 'Ultimate Gadget');
    if (record.status !== 200) throw new StepFailure(`the API answered ${record.status || `nothing (${record.error})`} instead of 200`);
    const read = await fetch(`${this.apiUrl}?id=${encodeURIComponent(id)}`, this.options.signal ? { signal: this.options.signal } : {});
    const body = (await read.json().catch(() => ({}))) as { name?: string };
    if (read.status !== 200 || body.name !== 'Ultimate Gadget') throw new StepFailure(`reading it back gave ${read.status} ${JSON.stringify(body)}`);
    return `stored in ${record.ms} ms and read back`;
  }

  private async injectFault(rule: FaultRule): Promise<void> {
    await this.chaos.addFaults([rule]);
    this.injectedRules.push(rule);
  }

  private async removeFault(rule: FaultRule): Promise<void> {
    await this.chaos.removeFaults([rule]);
    this.injectedRules.splice(this.injectedRules.indexOf(rule), 1);
  }

  private async outage(): Promise<string> {
    const rule: FaultRule = { ...tutorialFault, description: `chaos experiment ${this.runId}` };
    const total = this.options.ids * this.options.versions;
    await this.injectFault(rule);
    const start = this.now();
    try {
      // Each product is written `versions` times in order; products in parallel.
      await this.parallel(this.options.ids, async (i) => {
        for (let v = 1; v <= this.options.versions; v += 1) {
          await this.write('outage', `exp-${this.runId}-${i}`, `Super Widget v${v}`);
          this.options.progress?.({ kind: 'wait', text: `${this.requests.filter((r) => r.step === 'outage').length}/${total} writes answered` });
        }
      });
      await this.removeFault(rule);
    } finally {
      this.faultWindows.push({ kind: 'outage', label: `DynamoDB outage (${OUTAGE_PERCENT}%)`, start, end: this.now() });
    }

    const outage = this.requests.filter((r) => r.step === 'outage');
    const failed = outage.filter((r) => !accepted(r.status));
    const queued = outage.filter((r) => r.status === 202).length;
    if (failed.length > 0)
      throw new StepFailure(`${failed.length} of ${outage.length} writes failed (${[...new Set(failed.map((r) => r.status || 'no answer'))].join(', ')})`);
    if (queued === 0) throw new StepFailure('no write was queued: the fault did not reach the product Lambda');
    return `${outage.length} writes: ${outage.length - queued} stored directly (200), ${queued} queued (202), 0 failed`;
  }

  /**
   * Waits until an observation made after `since` shows every accepted product at its newest
   * value and both queues empty; returns when that observation was made.
   */
  private async settle(since: number, timeoutMs: number): Promise<Observation> {
    const deadline = Date.now() + timeoutMs;
    let judged: Observation | undefined;
    for (;;) {
      this.checkInterrupted();
      const state = this.latest;
      if (state && state !== judged && state.t > since) {
        judged = state;
        const behind = state.behind?.length ?? this.expected.size;
        this.options.progress?.({
          kind: 'wait',
          text: `${this.expected.size - behind}/${this.expected.size} products hold their newest value; queue ${state.queue ?? '?'}, DLQ ${state.dlq ?? '?'}`,
        });
        if (behind === 0 && state.queue === 0 && state.dlq === 0) return state;
      }
      if (Date.now() > deadline) {
        const limit = `after ${timeoutMs / 1000} s`;
        if (!judged) throw new StepFailure(`${limit}, the target had not answered an observation`);
        const behind =
          judged.behind === null
            ? 'the table could not be read'
            : `${judged.behind.length} of ${this.expected.size} accepted products do not hold their newest value`;
        throw new StepFailure(`${limit}, ${behind}; the queue holds ${judged.queue ?? '?'} messages, the DLQ ${judged.dlq ?? '?'}`);
      }
      await sleep(SAMPLE_EVERY_MS / 5);
    }
  }

  private async recovery(): Promise<string> {
    const ended = this.faultWindows.find((w) => w.kind === 'outage')?.end ?? this.now();
    const state = await this.settle(ended, this.options.recoveryTimeoutMs);
    this.recoveryMs = state.t - ended;
    this.marks.push({ t: state.t, label: `recovered ${seconds(this.recoveryMs)} after the outage` });
    return `all ${this.expected.size} accepted products hold their newest value; queue and DLQ empty ${seconds(this.recoveryMs)} after the outage ended`;
  }

  /**
   * The breakers the outage opened stay open for their cooldown, and each product environment has
   * its own. Wait the cooldown out, then write from as many environments as the outage used, all
   * at once: every write must be stored directly (200) before latency is added.
   */
  private async healthyCheck(): Promise<string> {
    const ended = this.faultWindows.find((w) => w.kind === 'outage')?.end ?? 0;
    const writers = Math.min(this.options.ids, PRODUCT_ENVIRONMENTS);
    let from = ended;
    const rounds: string[] = [];
    for (let round = 1; round <= CHECK_ROUNDS; round += 1) {
      const until = from + this.cooldownMs + 100;
      if (this.now() < until)
        this.options.progress?.({
          kind: 'note',
          text: `waiting out the circuit breakers' ${seconds(this.cooldownMs)} cooldown (${seconds(until - this.now())} more)`,
        });
      while (this.now() < until) {
        this.checkInterrupted();
        this.options.progress?.({ kind: 'wait', text: `breaker cooldown: ${seconds(until - this.now())} left` });
        await sleep(Math.min(250, until - this.now()));
      }
      this.options.progress?.({
        kind: 'wait',
        text: `checking with ${writers} writes at once that the API stores directly again (round ${round} of ${CHECK_ROUNDS})`,
      });
      const records = await this.parallel(writers, (i) => this.write('latency', `exp-${this.runId}-check${round}-${i}`, 'Steady Widget', 'check'));
      const direct = records.filter((r) => r.status === 200).length;
      if (direct === records.length) {
        this.marks.push({ t: this.now(), label: `healthy: ${writers} writes stored directly` });
        return `${writers} writes stored directly (200) ${seconds(this.now() - ended)} after the outage ended`;
      }
      rounds.push(`${direct}/${records.length} stored directly (${records.map((r) => r.status || 'none').join(', ')})`);
      from = this.now();
    }
    throw new StepFailure(
      `not healthy before latency, so none was added: after ${CHECK_ROUNDS} rounds of ${writers} writes, each after a ${seconds(this.cooldownMs)} breaker cooldown: ${rounds.join('; ')}`,
    );
  }

  private async latency(): Promise<string> {
    const before = await this.healthyCheck();
    const { latencyMs } = this.options;
    this.latencySet = true;
    await this.chaos.setLatency(latencyMs);
    const start = this.now();
    let records: RequestRecord[];
    try {
      this.options.progress?.({ kind: 'wait', text: `2 writes under ${latencyMs} ms latency` });
      records = await this.parallel(2, (i) => this.write('latency', `exp-${this.runId}-slow-${i + 1}`, 'Slow Widget'));
      await this.chaos.setLatency(this.latencyBefore ?? 0);
      this.latencySet = false;
    } finally {
      this.faultWindows.push({ kind: 'latency', label: `+${latencyMs} ms on every AWS call`, start, end: this.now() });
    }
    const answers = records.map((r) => `${r.status || 'none'} in ${seconds(r.ms)}`).join(' and ');
    const bad = records.filter((r) => !accepted(r.status) || r.ms > API_BUDGET_MS);
    if (bad.length > 0) throw new StepFailure(`${before}; under latency the API answered ${answers}`);
    const queued = records.filter((r) => r.status === 202).length;
    if (queued === 0) return `${before}; under latency it answered ${answers}`;
    // A write queued under latency must still reach the table once the latency is gone.
    const removed = this.faultWindows.at(-1)?.end ?? this.now();
    try {
      const state = await this.settle(removed, this.options.recoveryTimeoutMs);
      this.marks.push({ t: state.t, label: `queued under latency: applied` });
      return `${before}; under latency it answered ${answers}; the ${queued} queued write(s) reached the table ${seconds(state.t - removed)} after the latency was removed`;
    } catch (error) {
      if (error instanceof StepFailure) throw new StepFailure(`${before}; under latency it answered ${answers}; ${queued} queued write(s): ${error.message}`);
      throw error;
    }
  }

  /** Removes what this run injected and is still active, and nothing else. */
  private async cleanUp(): Promise<Journal['cleanup']> {
    const cleanup: Journal['cleanup'] = { removed: [], failed: [] };
    if (this.injectedRules.length > 0) {
      const rules = [...this.injectedRules];
      try {
        await this.chaos.removeFaults(rules);
        this.injectedRules.length = 0;
        cleanup.removed.push(...rules.map(describeRule));
      } catch (error) {
        cleanup.failed.push(`${rules.map(describeRule).join(', ')}: ${(error as Error).message}`);
      }
    }
    if (this.latencySet) {
      try {
        await this.chaos.setLatency(this.latencyBefore ?? 0);
        this.latencySet = false;
        cleanup.removed.push(`the ${this.options.latencyMs} ms latency (set back to ${this.latencyBefore ?? 0} ms)`);
      } catch (error) {
        cleanup.failed.push(`the ${this.options.latencyMs} ms latency: ${(error as Error).message}`);
      }
    }
    return cleanup;
  }

  private async sampleLoop(): Promise<void> {
    while (!this.sampling.signal.aborted) {
      await this.observe(this.sampling.signal).catch(() => undefined);
      await sleep(SAMPLE_EVERY_MS, undefined, { signal: this.sampling.signal }).catch(() => undefined);
    }
  }

  /** Queue depths and this run's products in the table; null where the target could not say (the faults hit the observer too). */
  private async observe(signal: AbortSignal): Promise<Observation> {
    const [queue, dlq, table] = await Promise.all([this.depth(names.queue, signal), this.deadLettered(signal), this.table(signal)]);
    const t = this.now();
    const behind = table ? [...this.expected].filter(([id, name]) => this.rank(id, table.get(id) ?? '') < this.rank(id, name)).map(([id]) => id) : null;
    this.samples.push({ t, queue, dlq, accepted: this.expected.size, upToDate: behind === null ? null : this.expected.size - behind.length });
    const observation = { t, queue, dlq, behind };
    this.latest = observation;
    return observation;
  }

  /** One more reading once the run is over and its faults removed: the state the summary reports. */
  private async finalObservation(): Promise<Observation | undefined> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const state = await this.observe(AbortSignal.timeout(3_000)).catch(() => undefined);
      if (state && state.behind !== null && state.queue !== null && state.dlq !== null) return state;
    }
    return this.latest;
  }

  /** What sits in every DLQ of the stack (the retry path's and the SNS subscription's dead letters), summed; null if any could not be read. */
  private async deadLettered(signal: AbortSignal): Promise<number | null> {
    const depths = await Promise.all(deadLetterQueues.map((name) => this.depth(name, signal)));
    return depths.some((d) => d === null) ? null : depths.reduce<number>((sum, d) => sum + (d ?? 0), 0);
  }

  private depth(name: string, signal: AbortSignal): Promise<number | null> {
    return this.target.queueDepth(name, signal).catch(() => null);
  }

  private async table(signal: AbortSignal): Promise<Map<string, string> | null> {
    try {
      const products = await this.target.products(`exp-${this.runId}-`, signal);
      return new Map([...products].map(([id, { name }]) => [id, name]));
    } catch {
      return null;
    }
  }

  private journal(status: RunStatus, cleanup: Journal['cleanup'], end: Observation | undefined): Journal {
    const behind = new Set(end?.behind ?? []);
    const known = end !== undefined && end.behind !== null;
    const groups: Array<[string, StepName, (r: RequestRecord) => boolean]> = [
      ['preflight', 'preflight', (r) => r.step === 'preflight'],
      ['outage', 'outage', (r) => r.step === 'outage'],
      ['latency: healthy check', 'latency', (r) => r.step === 'latency' && r.phase === 'check'],
      ['latency: under latency', 'latency', (r) => r.step === 'latency' && r.phase !== 'check'],
    ];
    const writes = groups
      .map(([group, step, belongs]): WriteCounts => {
        const records = this.requests.filter(belongs);
        const byStatus: Record<string, number> = {};
        for (const r of records) {
          const key = r.interrupted ? 'interrupted' : String(r.status || 'no answer');
          byStatus[key] = (byStatus[key] ?? 0) + 1;
        }
        const interrupted = records.filter((r) => r.interrupted).length;
        const products = [...new Set(records.filter((r) => accepted(r.status)).map((r) => r.id))];
        const stored = records.filter((r) => r.status === 200).length;
        const queued = records.filter((r) => r.status === 202).length;
        return {
          group,
          step,
          writes: records.length,
          stored,
          queued,
          failed: records.length - stored - queued - interrupted,
          interrupted,
          byStatus,
          latencyMs: percentiles(records.map((r) => r.ms)),
          products: products.length,
          upToDateAtEnd: known ? products.filter((id) => !behind.has(id)).length : null,
        };
      })
      .filter((counts) => counts.writes > 0);
    const missing = known ? behind.size : null;
    const pending = missing === null || end?.queue == null ? null : Math.min(missing, end.queue);
    const deadLettered = missing === null || pending === null || end?.dlq == null ? null : Math.min(missing - pending, end.dlq);
    const failedHypotheses = this.steps.filter((s) => s.verdict === 'failed').map((s) => s.name);
    return {
      runId: this.runId,
      endpoint: this.options.endpoint,
      startedAt: new Date(this.started).toISOString(),
      duration: this.now(),
      status,
      deviated: failedHypotheses.length > 0,
      steps: this.steps,
      requests: this.requests,
      samples: this.samples,
      faultWindows: this.faultWindows,
      marks: this.marks,
      cleanup,
      summary: {
        held: status === 'completed' && this.steps.length === STEPS.length && this.steps.every((s) => s.verdict === 'held'),
        failedHypotheses,
        notRun: STEPS.filter((name) => !this.steps.some((s) => s.name === name)),
        writes,
        products: {
          at: end?.t ?? this.now(),
          accepted: this.expected.size,
          upToDate: missing === null ? null : this.expected.size - missing,
          pending,
          deadLettered,
          lost: missing === null || pending === null || deadLettered === null ? null : missing - pending - deadLettered,
          queue: end?.queue ?? null,
          dlq: end?.dlq ?? null,
        },
        recoveryMs: this.recoveryMs,
      },
    };
  }
}
