/**
 * The offline runtime's extensions of the Chaos API (README, "Offline-only extensions"), as the
 * runner applies them to the requests an experiment's http providers send:
 *
 * - against the offline runtime, a fault rule with a `probability` below 1 and no `seed` gets one
 *   derived from the run's seed and the rule itself, so `--seed N` replays the same decisions
 *   (and a DELETE of the same rule, seeded the same way, still matches it); `durationMs` is sent
 *   as it is (the runtime removes the rule itself);
 * - against LocalStack, `durationMs` and `seed` are stripped (LocalStack would refuse or ignore
 *   them), and the runner itself DELETEs a rule with a duration once the duration is over.
 *
 * Also: which offline-only features an experiment uses, and the `serverless-chaos` extension
 * block (`requires`, `expect`, `why`, `outlasts`), so an experiment is skipped, never run
 * without its fault, on a target that lacks them.
 */
import { createHash } from 'node:crypto';
import type { TargetKind } from '../../shared/contracts/offline-api';
import { NAMED_TIMINGS, type NamedTiming } from './timings';

/** The Chaos API's fault rules: where the extensions apply. */
export const FAULTS_PATH = '/_localstack/chaos/faults';
/** The Chaos API's effects (latency). */
export const EFFECTS_PATH = '/_localstack/chaos/effects';

/** A request an http provider is about to send: its body as the experiment gives it (JSON). */
export interface HttpRequest {
  method: string;
  url: string;
  body: unknown;
}

/** A request the runner sends itself later: LocalStack's stand-in for `durationMs`. */
export interface FollowUp {
  afterMs: number;
  method: 'DELETE';
  url: string;
  body: unknown[];
}

export interface Prepared {
  body: unknown;
  followUps: FollowUp[];
}

type Rule = Record<string, unknown>;

const isRule = (value: unknown): value is Rule => typeof value === 'object' && value !== null && !Array.isArray(value);

/** JSON with sorted keys: the same rule gives the same text, whatever the order of its fields. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRule(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A rule's seed for this run: a 32-bit number from the run's seed and the rule's content. */
export function ruleSeed(runSeed: number, rule: Rule): number {
  return createHash('sha256')
    .update(`${runSeed}:${canonical(rule)}`)
    .digest()
    .readUInt32BE(0);
}

const isFaultsRequest = (request: HttpRequest) => {
  try {
    return new URL(request.url).pathname.replace(/\/$/, '') === FAULTS_PATH && ['POST', 'PATCH', 'DELETE'].includes(request.method.toUpperCase());
  } catch {
    return false;
  }
};

/**
 * The body to send for `request` on a target of this kind, and what the runner must send later.
 * Anything but a list of rules to the faults endpoint goes as it is.
 */
export function prepareRequest(kind: TargetKind, runSeed: number, request: HttpRequest): Prepared {
  if (!isFaultsRequest(request) || !Array.isArray(request.body)) return { body: request.body, followUps: [] };
  const adding = request.method.toUpperCase() !== 'DELETE';
  if (kind === 'offline') {
    const body = request.body.map((rule: unknown) => {
      if (!isRule(rule) || rule.seed !== undefined || typeof rule.probability !== 'number' || rule.probability >= 1) return rule;
      return { ...rule, seed: ruleSeed(runSeed, rule) };
    });
    return { body, followUps: [] };
  }
  const followUps: FollowUp[] = [];
  const body = request.body.map((rule: unknown) => {
    if (!isRule(rule) || (rule.durationMs === undefined && rule.seed === undefined)) return rule;
    const { durationMs } = rule;
    const stripped = { ...rule };
    delete stripped.durationMs;
    delete stripped.seed;
    if (adding && typeof durationMs === 'number') followUps.push({ afterMs: durationMs, method: 'DELETE', url: request.url, body: [stripped] });
    return stripped;
  });
  return { body, followUps };
}

/** The `serverless-chaos` entry of an experiment's `extensions`, with its defaults. */
export interface Declared {
  requires: string[];
  expect: 'held' | 'deviated';
  why?: string;
  /** Configuration values (seconds) that must outlast a timing of the target, by name; else the run is skipped (chaos/runner/sizing.ts). */
  outlasts?: Record<string, NamedTiming>;
}

export const EXTENSION_NAME = 'serverless-chaos';

/** Reads the experiment's extension block; throws a sentence when it is malformed. */
export function declaredExtension(experiment: unknown): Declared {
  const list = isRule(experiment) ? experiment.extensions : undefined;
  const entry = Array.isArray(list) ? list.find((item: unknown) => isRule(item) && item.name === EXTENSION_NAME) : undefined;
  if (!isRule(entry)) return { requires: [], expect: 'held' };
  const { requires = [], expect = 'held', why, outlasts } = entry;
  if (!Array.isArray(requires) || !requires.every((item) => typeof item === 'string')) {
    throw new Error(`extensions.${EXTENSION_NAME}.requires must be a list of strings`);
  }
  if (expect !== 'held' && expect !== 'deviated') throw new Error(`extensions.${EXTENSION_NAME}.expect must be "held" or "deviated"`);
  if (why !== undefined && typeof why !== 'string') throw new Error(`extensions.${EXTENSION_NAME}.why must be a string`);
  return {
    requires: requires as string[],
    expect,
    ...(why === undefined ? {} : { why }),
    ...(outlasts === undefined ? {} : { outlasts: declaredOutlasts(experiment as Rule, outlasts) }),
  };
}

/** `outlasts`: {"<configuration name>": "<target timing>"}, each name declared in the configuration. */
function declaredOutlasts(experiment: Rule, outlasts: unknown): Record<string, NamedTiming> {
  const where = `extensions.${EXTENSION_NAME}.outlasts`;
  const known = Object.keys(NAMED_TIMINGS);
  if (!isRule(outlasts)) throw new Error(`${where} must be an object: {"<configuration name>": "${known.join('" | "')}"}`);
  const configuration = isRule(experiment.configuration) ? experiment.configuration : {};
  for (const [name, timing] of Object.entries(outlasts)) {
    if (!(name in configuration)) throw new Error(`${where}.${name} names no configuration value of the experiment`);
    if (typeof timing !== 'string' || !known.includes(timing)) throw new Error(`${where}.${name} must be one of: ${known.join(', ')}`);
  }
  return outlasts as Record<string, NamedTiming>;
}

/** Every provider the experiment declares, wherever it is. */
function providers(experiment: Rule): Rule[] {
  const found: Rule[] = [];
  const visit = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (isRule(value)) {
      if ((value.type === 'http' || value.type === 'process') && ('url' in value || 'path' in value)) found.push(value);
      Object.values(value).forEach(visit);
    }
  };
  visit(experiment);
  return found;
}

const mentionsOffline = (value: unknown): boolean =>
  typeof value === 'string'
    ? value.includes('/_offline/')
    : Array.isArray(value)
      ? value.some(mentionsOffline)
      : isRule(value) && Object.values(value).some(mentionsOffline);

/** The offline-only features the experiment uses, named for a reason to skip it; none: it runs anywhere. */
export function offlineFeatures(experiment: unknown): string[] {
  if (!isRule(experiment)) return [];
  const features = new Set<string>();
  for (const provider of providers(experiment)) {
    if (mentionsOffline(provider.url) || mentionsOffline(provider.arguments)) features.add("the offline runtime's own endpoints (/_offline/...)");
    if (typeof provider.url === 'string' && provider.url.replace(/\/$/, '').endsWith(EFFECTS_PATH)) {
      const effects = [provider.arguments].flat();
      if (effects.some((effect) => isRule(effect) && effect.jitterMs !== undefined)) features.add('latency jitter (jitterMs)');
      if (effects.some((effect) => isRule(effect) && effect.services !== undefined)) features.add('latency per service (services)');
    }
  }
  return [...features];
}

/**
 * Why the experiment cannot run on this target, or undefined when it can: a declared
 * `requires: ["offline"]`, or an offline-only feature it uses.
 */
export function skipReason(experiment: unknown, kind: TargetKind, declared: Declared = declaredExtension(experiment)): string | undefined {
  if (kind === 'offline') return undefined;
  const unknown = declared.requires.filter((item) => item !== 'offline');
  if (unknown.length > 0) return `it requires ${unknown.join(', ')}, which this runner does not know`;
  const features = offlineFeatures(experiment);
  if (declared.requires.includes('offline')) {
    return `it requires the offline runtime (npm start)${declared.why ? `: ${declared.why}` : ''}${features.length > 0 ? `; it uses ${features.join(', ')}` : ''}`;
  }
  if (features.length > 0) return `it uses ${features.join(', ')}, which only the offline runtime (npm start) has`;
  return undefined;
}
