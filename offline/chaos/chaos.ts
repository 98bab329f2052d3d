/**
 * The runtime's fault engine: the rules and effects of the Chaos API (shared/contracts/chaos-api.ts)
 * as they are applied to calls and Lambda invocations.
 */
import {
  type Call,
  type Fault,
  LAMBDA_DELAY,
  LAMBDA_ERROR,
  type LambdaFault,
  type LatencyEffect,
  MAX_SLEEP_MS,
  type OfflineEffects,
  type OfflineFaultRule,
} from '../../shared/contracts/chaos-api';
import { checkLambdaFaults, checkOfflineEffects, checkOfflineRules, validated } from '../../shared/contracts/chaos-api-validate';
import { RuleList } from './rule-list';

/** What the function host does to one invocation: wait before the handler, and fail it. */
export interface InvocationFault {
  startupDelayMs: number;
  error?: { preventExecution: boolean };
}

/** One latency effect as waited: the latency, moved up or down by at most the jitter (as netem and toxiproxy do), within a timer's reach. */
function delayOf({ latency, jitterMs = 0 }: LatencyEffect, random: () => number): number {
  const jitter = jitterMs === 0 ? 0 : Math.round((random() * 2 - 1) * Math.min(jitterMs, MAX_SLEEP_MS));
  return Math.max(0, Math.min(Math.min(latency, MAX_SLEEP_MS) + jitter, MAX_SLEEP_MS));
}

export class Chaos {
  private readonly rules: RuleList<OfflineFaultRule>;
  private readonly lambdaFaults: RuleList<LambdaFault>;
  private effects: OfflineEffects = { latency: 0 };

  constructor(
    private readonly random: () => number = Math.random,
    now: () => number = () => performance.now(),
  ) {
    this.rules = new RuleList(random, now);
    this.lambdaFaults = new RuleList(random, now);
  }

  getFaults(): OfflineFaultRule[] {
    return this.rules.list();
  }

  /** POST: replace every rule. */
  setFaults(input: unknown): OfflineFaultRule[] {
    return this.rules.replace(validated<OfflineFaultRule[]>(checkOfflineRules(input), input));
  }

  /** PATCH: append rules (a rule equal to an active one is appended again, as LocalStack does). */
  addFaults(input: unknown): OfflineFaultRule[] {
    return this.rules.append(validated<OfflineFaultRule[]>(checkOfflineRules(input), input));
  }

  /** DELETE: remove every active rule equal to one given; `[]` removes nothing. */
  removeFaults(input: unknown): OfflineFaultRule[] {
    return this.rules.remove(validated<OfflineFaultRule[]>(checkOfflineRules(input), input));
  }

  /** As set: `{"latency": n}` after LocalStack's POST, the offline-only fields only when given. */
  getEffects(): OfflineEffects {
    return this.effects;
  }

  setEffects(input: unknown): OfflineEffects {
    this.effects = validated<OfflineEffects>(checkOfflineEffects(input), input);
    return this.effects;
  }

  /** The delay every AWS call waits, in milliseconds, without jitter or a service's own. */
  get latency(): number {
    return Math.min(this.effects.latency, MAX_SLEEP_MS);
  }

  /** The delay to add to this call to `service`: its service's latency if set, else the global one, with the jitter drawn. */
  latencyFor(service: string): number {
    const { services } = this.effects;
    const effect = services !== undefined && Object.hasOwn(services, service) ? services[service] : undefined;
    return delayOf(effect ?? this.effects, this.random);
  }

  /**
   * The fault for this call, if the first matching rule fires; undefined lets the call through.
   * An empty rule `{}` matches every call; probability 0 never fires.
   */
  faultFor(call: Call): Fault | undefined {
    const active = this.rules.find(
      (r) =>
        (r.service === undefined || r.service === call.service) &&
        (r.region === undefined || r.region === call.region) &&
        (r.operation === undefined || r.operation === call.operation),
    );
    if (!active || active.draw() >= (active.rule.probability ?? 1)) return undefined;
    const { error } = active.rule;
    return { statusCode: error?.statusCode ?? 503, code: error?.code ?? 'ServiceUnavailable' };
  }

  getLambdaFaults(): LambdaFault[] {
    return this.lambdaFaults.list();
  }

  setLambdaFaults(input: unknown): LambdaFault[] {
    return this.lambdaFaults.replace(validated<LambdaFault[]>(checkLambdaFaults(input), input));
  }

  addLambdaFaults(input: unknown): LambdaFault[] {
    return this.lambdaFaults.append(validated<LambdaFault[]>(checkLambdaFaults(input), input));
  }

  removeLambdaFaults(input: unknown): LambdaFault[] {
    return this.lambdaFaults.remove(validated<LambdaFault[]>(checkLambdaFaults(input), input));
  }

  /**
   * What happens to this invocation of the function: the first matching fault of each FIS action
   * fires with its invocationPercentage; undefined when neither does.
   */
  invocationFault(functionName: string): InvocationFault | undefined {
    const fires = (action: LambdaFault['action']) => {
      const active = this.lambdaFaults.find((fault) => fault.functionName === functionName && fault.action === action);
      return active && active.draw() * 100 < (active.rule.invocationPercentage ?? 100) ? active.rule : undefined;
    };
    const delay = fires(LAMBDA_DELAY);
    const error = fires(LAMBDA_ERROR);
    if (!delay && !error) return undefined;
    return {
      startupDelayMs: delay ? (delay.startupDelayMilliseconds ?? 1000) : 0,
      ...(error ? { error: { preventExecution: error.preventExecution ?? false } } : {}),
    };
  }
}
