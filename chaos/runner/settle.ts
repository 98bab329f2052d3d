/**
 * The target between experiments. Before each experiment's hypothesis the runner waits, no
 * longer than the target's own timings allow (the settle bound, plus what is left of a rule's
 * duration), for the queue, the DLQs and SNS's held deliveries to be empty and no fault rule or
 * effect to be left; after each, it waits the same way for what that run left behind and records
 * it in the run's journal. What does not settle in time is that run's leftover: the next
 * experiment is skipped, naming it, instead of failing a hypothesis it never had a chance at.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { deadLetterQueues, names } from '#spec';
import type { FaultRule } from '../api/chaos-client';
import { describeRule } from '../../shared/contracts/chaos-api';
import { AppClient } from '../../shared/app-client/app-client';
import type { Settling } from './journal';
import { canonical } from './offline-extensions';
import { type TargetKind } from '../../shared/contracts/offline-api';

export interface TargetState {
  queue: number | null;
  dlq: number | null;
  /** SNS deliveries to the queue a fault is holding back (the offline runtime's health says; 0 where a target does not). */
  held: number | null;
  faults: Rule[] | null;
  /** The offline runtime's Lambda faults ([] elsewhere). */
  lambdaFaults: Rule[] | null;
  effects: unknown;
}

/** A settled target: nothing queued, no fault, no effect. */
export const SETTLED: TargetState = { queue: 0, dlq: 0, held: 0, faults: [], lambdaFaults: [], effects: { latency: 0 } };

const READING_TIMEOUT_MS = 3_000;
const READ_EVERY_MS = 250;

interface Item {
  text: string;
  /** `drains`: the system clears it by itself; `expires`: a rule's duration ends it; `stays`: only someone's action does. */
  kind: 'drains' | 'expires' | 'stays';
  remainingMs?: number;
}

type Rule = FaultRule & { remainingMs?: number };

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
// A rule read back carries the time it has left: the same rule all the same.
const ruleKey = (rule: Rule) => canonical(Object.fromEntries(Object.entries(rule).filter(([key]) => key !== 'remainingMs')));

// No latency reads as `{"latency": 0}` or, on some targets, `{}`: the same.
const effectsKey = (effects: unknown) =>
  canonical(
    typeof effects === 'object' && effects !== null
      ? Object.fromEntries(Object.entries(effects).filter(([key, value]) => !(key === 'latency' && value === 0)))
      : effects,
  );

/** What `state` holds beyond `baseline` (the state the run started from). */
function unsettled(state: TargetState, baseline: TargetState): Item[] {
  const items: Item[] = [];
  const above = (value: number | null, base: number | null, text: (n: number) => string, kind: Item['kind'], what: string) => {
    if (value === null) items.push({ text: `${what} could not be read`, kind: 'drains' });
    else if (value > (base ?? 0)) items.push({ text: text(value - (base ?? 0)), kind });
  };
  above(state.queue, baseline.queue, (n) => plural(n, `message in ${names.queue}`, `messages in ${names.queue}`), 'drains', names.queue);
  // Nothing takes a message out of a DLQ by itself.
  above(
    state.dlq,
    baseline.dlq,
    (n) => plural(n, `message in ${deadLetterQueues.join(', ')}`, `messages in ${deadLetterQueues.join(', ')}`),
    'stays',
    'the DLQ',
  );
  above(state.held, baseline.held, (n) => plural(n, 'SNS delivery held back', 'SNS deliveries held back'), 'drains', 'the held SNS deliveries');
  const rules = (list: Rule[] | null, base: Rule[] | null, describe: (rule: Rule) => string, what: string) => {
    if (list === null) {
      items.push({ text: `${what} could not be read`, kind: 'drains' });
      return;
    }
    const before = new Set((base ?? []).map(ruleKey));
    for (const rule of list.filter((each) => !before.has(ruleKey(each)))) {
      const left = rule.remainingMs;
      items.push(
        left === undefined
          ? { text: describe(rule), kind: 'stays' }
          : { text: `${describe(rule)}, ${(left / 1000).toFixed(1)} s of its duration left`, kind: 'expires', remainingMs: left },
      );
    }
  };
  rules(state.faults, baseline.faults, describeRule, 'the fault rules');
  rules(state.lambdaFaults, baseline.lambdaFaults, (rule) => `the Lambda fault ${JSON.stringify(rule)}`, 'the Lambda faults');
  if (state.effects === null) items.push({ text: 'the effects could not be read', kind: 'drains' });
  else if (effectsKey(state.effects) !== effectsKey(baseline.effects)) items.push({ text: `the effects ${JSON.stringify(state.effects)}`, kind: 'stays' });
  return items;
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url, { signal: AbortSignal.timeout(READING_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

/** Reads the target's state through its normal endpoint; a reading that fails is null. */
export function stateReader(endpoint: string, kind: TargetKind): { read: () => Promise<TargetState>; close: () => void } {
  const target = new AppClient(endpoint, { maxAttempts: 1 });
  const base = target.endpoint;
  const orNull = <T>(promise: Promise<T>) => promise.catch(() => null);
  const depth = (name: string) => target.queueDepth(name, AbortSignal.timeout(READING_TIMEOUT_MS));
  const read = async (): Promise<TargetState> => {
    const [queue, dlq, faults, lambdaFaults, effects, health] = await Promise.all([
      orNull(depth(names.queue)),
      orNull(Promise.all(deadLetterQueues.map(depth)).then((depths) => depths.reduce((sum, each) => sum + each, 0))),
      orNull(getJson(`${base}/_localstack/chaos/faults`) as Promise<Rule[]>),
      kind === 'offline' ? orNull(getJson(`${base}/_offline/chaos/lambda-faults`) as Promise<Rule[]>) : Promise.resolve([]),
      orNull(getJson(`${base}/_localstack/chaos/effects`)),
      orNull(getJson(`${base}/_localstack/health`) as Promise<{ pendingDeliveries?: unknown }>),
    ]);
    return {
      queue,
      dlq,
      held: health === null ? null : typeof health.pendingDeliveries === 'number' ? health.pendingDeliveries : 0,
      faults,
      lambdaFaults,
      effects,
    };
  };
  return {
    read,
    close: () => {
      target.dynamo.destroy();
      target.sqs.destroy();
    },
  };
}

export interface WaitOptions {
  signal?: AbortSignal;
  /** Told once what the wait is for, when there is something to wait for. */
  onWait?: (found: string[], boundSeconds: number) => void;
}

/**
 * Waits until the target holds nothing beyond `baseline`, or the bound (plus the longest rule
 * duration left) is over, or only something that cannot clear by itself is left (a rule without
 * a duration, an effect, a dead letter). Resolves with how it ended and the last state read.
 */
export async function waitToSettle(
  read: () => Promise<TargetState>,
  baseline: TargetState,
  boundSeconds: number,
  { signal, onWait }: WaitOptions = {},
): Promise<{ settling: Settling; state: TargetState }> {
  const start = Date.now();
  let state = await read();
  let items = unsettled(state, baseline);
  const found = items.map((item) => item.text);
  const bound = boundSeconds + Math.max(0, ...items.map((item) => item.remainingMs ?? 0)) / 1000;
  if (items.length > 0) onWait?.(found, Math.ceil(bound));
  while (items.length > 0 && !items.some((item) => item.kind === 'stays') && Date.now() - start < bound * 1000 && !signal?.aborted) {
    await sleep(READ_EVERY_MS, undefined, signal ? { signal } : {}).catch(() => undefined);
    state = await read();
    items = unsettled(state, baseline);
  }
  const waited = Math.round((Date.now() - start) / 100) / 10;
  return { settling: { found, settled: items.length === 0, waited, bound: Math.ceil(bound), remaining: items.map((item) => item.text) }, state };
}

/** Keeps track of whose leftover the target still holds, across the experiments of one run. */
export class Settler {
  private owner: { file: string; baseline: TargetState } | undefined;

  constructor(
    private readonly read: () => Promise<TargetState>,
    /** The target's settle bound (timings.ts). */
    private readonly boundSeconds: number,
  ) {}

  /**
   * Before a run: if an earlier run's leftover is still there, why this one must not run;
   * otherwise waits for the target to settle, and returns the state the run starts from (what
   * it leaves behind is judged against it) and how the wait went when there was one.
   */
  async before(options: WaitOptions = {}): Promise<{ baseline: TargetState; skip?: string; settling?: Settling }> {
    if (this.owner) {
      const { file, baseline } = this.owner;
      const { settling, state } = await waitToSettle(this.read, baseline, 0);
      if (!settling.settled) return { baseline: state, skip: `the target has not settled since ${file} ended: ${settling.remaining.join('; ')}` };
      this.owner = undefined;
    }
    const { settling, state } = await waitToSettle(this.read, SETTLED, this.boundSeconds, options);
    return { baseline: state, ...(settling.found.length > 0 ? { settling } : {}) };
  }

  /** After a run (its rollbacks done): waits for what it left beyond `baseline`; what stays is held against `file`. */
  async after(file: string, baseline: TargetState, options: WaitOptions = {}): Promise<Settling | undefined> {
    const { settling } = await waitToSettle(this.read, baseline, this.boundSeconds, options);
    if (!settling.settled) this.owner = { file, baseline };
    return settling.found.length > 0 ? settling : undefined;
  }
}
