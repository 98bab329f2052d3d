/**
 * When the run's faults and latency were on, read from what its http activities sent to the
 * Chaos API (and the DELETEs the runner sent itself on LocalStack): a window opens when the call
 * adding a rule or a latency was answered, and closes at the call removing it (a DELETE of the
 * same rule, a POST replacing the rules, a latency of 0), at the end of the rule's durationMs, or
 * at the end of the run. Also when the target recovered after the last fault, from the sampler's
 * readings, and the moments the chart marks.
 */
import { describeRule, type FaultRule, LAMBDA_DELAY, type LambdaFault } from '../../shared/contracts/chaos-api';
import { LAMBDA_FAULTS_PATH } from '../../shared/contracts/offline-api';
import type { Journal } from '../runner/journal';
import { canonical, EFFECTS_PATH, FAULTS_PATH } from '../runner/offline-extensions';
import { extrasOf } from './model';

export interface FaultWindow {
  /** A fault rule or a Lambda fault, or latency on AWS calls. */
  kind: 'fault' | 'latency';
  label: string;
  /** Ms since the journal's start. */
  start: number;
  end: number;
}

type Rule = Record<string, unknown>;
const isRule = (value: unknown): value is Rule => typeof value === 'object' && value !== null && !Array.isArray(value);

interface Call {
  t: number;
  path: string;
  method: string;
  body: unknown;
}

const pathOf = (url: string) => {
  try {
    return new URL(url).pathname.replace(/\/$/, '');
  } catch {
    return '';
  }
};

/** The Chaos API calls the target took (2xx), in the order they were answered. */
function calls(journal: Journal): Call[] {
  const extras = extrasOf(journal);
  return [...(extras.chaosCalls ?? []), ...(extras.followUps ?? [])]
    .filter((call) => call.status >= 200 && call.status < 300)
    .map((call) => ({ t: call.t, path: pathOf(call.url), method: call.method.toUpperCase(), body: call.body }))
    .sort((a, b) => a.t - b.t);
}

const lambdaLabel = (fault: Partial<LambdaFault>) =>
  `${fault.action === LAMBDA_DELAY ? `+${fault.startupDelayMilliseconds ?? 1000} ms before` : 'errors in'} ${fault.invocationPercentage ?? 100}% of ${fault.functionName ?? '?'} invocations`;

function latencyLabel(effects: Rule): string | undefined {
  const latency = typeof effects.latency === 'number' ? effects.latency : 0;
  const jitter = typeof effects.jitterMs === 'number' && effects.jitterMs > 0 ? ` ±${effects.jitterMs}` : '';
  const services = isRule(effects.services)
    ? Object.entries(effects.services).flatMap(([service, effect]) =>
        isRule(effect) && typeof effect.latency === 'number' && effect.latency > 0 ? [`+${effect.latency} ms on ${service}`] : [],
      )
    : [];
  const parts = [...(latency > 0 ? [`+${latency}${jitter} ms on every AWS call`] : []), ...services];
  return parts.length > 0 ? parts.join(', ') : undefined;
}

// A rule read back carries the time it has left: the same rule all the same.
const ruleKey = (rule: Rule) => canonical(Object.fromEntries(Object.entries(rule).filter(([key]) => key !== 'remainingMs')));

export function faultWindows(journal: Journal): FaultWindow[] {
  const runEnd = Math.round(journal.duration * 1000);
  const windows: FaultWindow[] = [];
  const open = new Map<string, { window: FaultWindow; expires: number }>();
  const close = (key: string, t: number) => {
    const found = open.get(key);
    if (!found) return;
    found.window.end = Math.min(t, found.expires);
    windows.push(found.window);
    open.delete(key);
  };
  const closeAll = (prefix: string, t: number) => [...open.keys()].filter((key) => key.startsWith(prefix)).forEach((key) => close(key, t));
  let latency: FaultWindow | undefined;
  for (const call of calls(journal)) {
    // A rule whose duration ran out before this call is gone: the same rule added again is a new window.
    for (const [key, { expires }] of [...open]) if (expires <= call.t) close(key, expires);
    if (call.path === EFFECTS_PATH) {
      if (call.method !== 'POST' || !isRule(call.body)) continue;
      if (latency) windows.push({ ...latency, end: call.t });
      const label = latencyLabel(call.body);
      latency = label ? { kind: 'latency', label, start: call.t, end: runEnd } : undefined;
      continue;
    }
    const kind = call.path === FAULTS_PATH ? 'faults' : call.path === LAMBDA_FAULTS_PATH ? 'lambda' : undefined;
    if (!kind || !Array.isArray(call.body)) continue;
    const rules = call.body.filter(isRule);
    // POST replaces every rule of its kind; PATCH adds; DELETE removes the rules it names.
    if (call.method === 'POST') closeAll(`${kind}:`, call.t);
    if (call.method === 'DELETE') {
      for (const rule of rules) close(`${kind}:${ruleKey(rule)}`, call.t);
      continue;
    }
    for (const rule of rules) {
      const key = `${kind}:${ruleKey(rule)}`;
      if (open.has(key)) continue;
      const label = kind === 'faults' ? describeRule(rule as FaultRule) : lambdaLabel(rule as Partial<LambdaFault>);
      const expires = typeof rule.durationMs === 'number' ? call.t + rule.durationMs : Infinity;
      open.set(key, { window: { kind: 'fault', label, start: call.t, end: runEnd }, expires });
    }
  }
  for (const key of [...open.keys()]) close(key, runEnd);
  if (latency) windows.push(latency);
  return windows.sort((a, b) => a.start - b.start || a.end - b.end);
}

export interface Recovery {
  /** When the last fault window ended (ms since the start). */
  faultsEnded: number;
  /** The first reading after it with every accepted product holding its newest value and the queues back where they started; null: none before the run ended. */
  recoveredAt: number | null;
}

/** When the run's products recovered after its last fault; undefined when it had no fault, or no reading. */
export function recoveryOf(journal: Journal, windows = faultWindows(journal)): Recovery | undefined {
  const series = extrasOf(journal).series ?? [];
  const faults = windows.filter((w) => w.kind === 'fault');
  if (faults.length === 0 || series.length === 0) return undefined;
  const faultsEnded = Math.max(...faults.map((w) => w.end));
  // What the queues held before the run did anything: what they must come back to.
  const [first] = series;
  const queue = first?.queue ?? 0;
  const dlq = first?.dlq ?? 0;
  const recovered = series.find(
    (s) =>
      s.t >= faultsEnded &&
      typeof s.holding === 'number' &&
      s.holding >= (s.accepted ?? 0) &&
      s.queue !== null &&
      s.queue <= queue &&
      s.dlq !== null &&
      s.dlq <= dlq,
  );
  return { faultsEnded, recoveredAt: recovered?.t ?? null };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** Moments the chart marks with a rule (ms since the start): recovery, and Ctrl-C. */
export function marks(journal: Journal, windows = faultWindows(journal)): Array<{ t: number; label: string }> {
  const found: Array<{ t: number; label: string }> = [];
  const recovered = recoveryOf(journal, windows);
  if (recovered?.recoveredAt != null)
    found.push({ t: recovered.recoveredAt, label: `recovered ${seconds(recovered.recoveredAt - recovered.faultsEnded)} after the faults` });
  const stopped = extrasOf(journal).interruptedAt;
  if (stopped) found.push({ t: Date.parse(stopped) - Date.parse(journal.start), label: 'Ctrl-C' });
  return found;
}
