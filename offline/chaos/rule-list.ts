/**
 * The rules of the Chaos API as the runtime keeps them: in order, each ending itself once its
 * duration has passed, and each drawing from its own seeded sequence if it has a seed.
 */
import type { RuleExtensions } from '../../shared/contracts/chaos-api';
import { jsonEqual } from '../../shared/contracts/chaos-api-validate';

/**
 * mulberry32 (Tommy Ettinger, public domain): a 32-bit seed, uniform draws in [0, 1). No library:
 * it is ten lines, and kept here its sequence for a seed cannot change under a recorded journal
 * with a dependency update.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A rule as added, when it ends (if it has a duration), and what its probability draws on. */
interface Active<T> {
  rule: T;
  endsAt?: number;
  draw: () => number;
}

/** What a rule is compared and stored as: without the read-only remainingMs. */
function withoutRemaining<T extends RuleExtensions>(rule: T): T {
  if (!Object.hasOwn(rule, 'remainingMs')) return rule;
  const copy = { ...rule };
  delete copy.remainingMs;
  return copy;
}

/**
 * Rules in order, each removing itself once its duration has passed (checked whenever the rules
 * are read, so no timer is left behind) and drawing from its own seeded sequence if it has a seed:
 * then only the calls the rule decides advance that sequence, whatever other traffic there is.
 */
export class RuleList<T extends RuleExtensions> {
  private active: Array<Active<T>> = [];

  constructor(
    private readonly random: () => number,
    private readonly now: () => number,
  ) {}

  /** The rules as GET answers them: a rule with a duration also says how long it has left. */
  list(): T[] {
    const now = this.current();
    return this.active.map(({ rule, endsAt }) => (endsAt === undefined ? rule : { ...rule, remainingMs: Math.ceil(endsAt - now) }));
  }

  replace(rules: T[]): T[] {
    this.active = rules.map((rule) => this.activate(rule));
    return this.list();
  }

  append(rules: T[]): T[] {
    this.current();
    this.active = [...this.active, ...rules.map((rule) => this.activate(rule))];
    return this.list();
  }

  remove(rules: T[]): T[] {
    const remove = rules.map(withoutRemaining);
    this.active = this.active.filter(({ rule }) => !remove.some((other) => jsonEqual(rule, other)));
    return this.list();
  }

  /** The first active rule `matches` accepts. */
  find(matches: (rule: T) => boolean): Active<T> | undefined {
    this.current();
    return this.active.find(({ rule }) => matches(rule));
  }

  /** Drops the rules whose duration has passed; the time now. */
  private current(): number {
    const now = this.now();
    if (this.active.some(({ endsAt }) => endsAt !== undefined && endsAt <= now)) {
      this.active = this.active.filter(({ endsAt }) => endsAt === undefined || endsAt > now);
    }
    return now;
  }

  private activate(given: T): Active<T> {
    const rule = withoutRemaining(given);
    return {
      rule,
      ...(rule.durationMs === undefined ? {} : { endsAt: this.now() + rule.durationMs }),
      draw: rule.seed === undefined ? this.random : mulberry32(rule.seed),
    };
  }
}
