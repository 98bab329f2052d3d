/**
 * The Chaos API contract LocalStack serves at /_localstack/chaos: fault rules that make matching
 * AWS calls fail, and a latency effect on every AWS call. Rules are checked in order and the
 * first rule whose service, region and operation match decides, failing the call with its
 * probability.
 *
 * Input is checked here, once, for the runtime and for the tools that send rules (the chaos CLI
 * checks before it sends): exactly what LocalStack's published schema (localstack/openapi,
 * FaultRule and NetworkEffectsConfig, OpenAPI 3.1) accepts, validated as LocalStack validates it
 * (Python's jsonschema), and nothing more.
 *
 * The runtime also understands extensions of its own (see "Offline-only extensions" in the
 * README): optional fields LocalStack's schema refuses, so the tools never send them there. They
 * are checked apart from LocalStack's fields, so a body without them is answered byte for byte as
 * LocalStack's schema answers it.
 */
export interface FaultRule {
  service?: string;
  region?: string;
  operation?: string;
  probability?: number;
  error?: { statusCode?: number; code?: string };
  description?: string;
}

/** Offline-only fields of a rule (fault rules and Lambda faults alike). */
export interface RuleExtensions {
  /** The rule removes itself this many milliseconds after it was added. */
  durationMs?: number;
  /** Seeds the rule's own draws (mulberry32), so the same calls get the same decisions. */
  seed?: number;
  /** Answered by GET for a rule with a duration; ignored in a request, so a rule read can be sent back. */
  remainingMs?: number;
}

export type OfflineFaultRule = FaultRule & RuleExtensions;

export interface Fault {
  statusCode: number;
  code: string;
}

export interface Call {
  service: string;
  region: string;
  operation: string;
}

type Schema =
  | { type: 'string'; pattern?: string; maxLength?: number; enum?: readonly string[] }
  | { type: 'number' | 'integer'; minimum: number; maximum?: number; exclusiveMinimum?: boolean }
  | { type: 'boolean' }
  | { type: 'object'; properties: Record<string, Schema>; required?: string[] }
  /** An object whose keys match `keyPattern`, each value checked against `values`. */
  | { type: 'map'; keyPattern: string; values: Schema };

type ObjectSchema = Extract<Schema, { type: 'object' }>;

/** LocalStack's FaultRule schema, field for field. */
export const faultRuleSchema = {
  type: 'object',
  properties: {
    region: { type: 'string', pattern: '^[a-zA-Z0-9-]+$' },
    service: { type: 'string', pattern: '^[a-zA-Z0-9-_]+$' },
    operation: { type: 'string', pattern: '^[a-zA-Z]+$' },
    probability: { type: 'number', minimum: 0, maximum: 1 },
    description: { type: 'string', maxLength: 8192 },
    error: {
      type: 'object',
      properties: {
        statusCode: { type: 'integer', minimum: 400, maximum: 599 },
        code: { type: 'string', pattern: '^[a-zA-Z0-9]+$' },
      },
    },
  },
} satisfies Schema;

/** LocalStack's NetworkEffectsConfig: a latency in milliseconds, no maximum. */
export const effectsSchema = { type: 'object', required: ['latency'], properties: { latency: { type: 'integer', minimum: 0 } } } satisfies Schema;

// setTimeout's longest delay (about 24.8 days); a longer one would fire at once. LocalStack has
// no maximum latency, so a larger one is accepted and reported as given, and waits this long.
const MAX_SLEEP_MS = 2 ** 31 - 1;

/** The offline-only fields of a fault rule (and of a Lambda fault). */
export const ruleExtensionsSchema = {
  type: 'object',
  properties: {
    // Bounded so that 1e400 (Infinity once parsed) is refused: a rule meant to stay has no duration.
    durationMs: { type: 'number', minimum: 0, exclusiveMinimum: true, maximum: MAX_SLEEP_MS },
    seed: { type: 'integer', minimum: 0, maximum: 2 ** 32 - 1 },
    remainingMs: { type: 'number', minimum: 0 },
  },
} satisfies Schema;

const latencySchema = { type: 'integer', minimum: 0 } satisfies Schema;

/** The offline-only fields of the effects: jitter, and latency per service. */
export const effectsExtensionsSchema = {
  type: 'object',
  properties: {
    jitterMs: latencySchema,
    services: {
      type: 'map',
      keyPattern: faultRuleSchema.properties.service.pattern,
      values: { type: 'object', required: ['latency'], properties: { latency: latencySchema, jitterMs: latencySchema } },
    },
  },
} satisfies Schema;

export interface LatencyEffect {
  latency: number;
  jitterMs?: number;
}

export interface OfflineEffects extends LatencyEffect {
  services?: Record<string, LatencyEffect>;
}

/** The AWS FIS Lambda actions the runtime applies to one named function, as FIS names them. */
export const LAMBDA_ERROR = 'aws:lambda:invocation-error';
export const LAMBDA_DELAY = 'aws:lambda:invocation-add-delay';

/** A Lambda-level fault, shaped like the FIS action of the same name and its parameters. */
export interface LambdaFault extends RuleExtensions {
  functionName: string;
  action: typeof LAMBDA_ERROR | typeof LAMBDA_DELAY;
  /** FIS: 1..100, default 100. */
  invocationPercentage?: number;
  /** invocation-error only. FIS: true fails without running the handler; false runs it and replaces its result. */
  preventExecution?: boolean;
  /** invocation-add-delay only. FIS: 0..900000, default 1000. */
  startupDelayMilliseconds?: number;
  description?: string;
}

export const lambdaFaultSchema = {
  type: 'object',
  required: ['functionName', 'action'],
  properties: {
    // Lambda's function name (an ARN is not taken: one account, one region offline).
    functionName: { type: 'string', pattern: '^[a-zA-Z0-9-_]+$', maxLength: 64 },
    action: { type: 'string', enum: [LAMBDA_ERROR, LAMBDA_DELAY] },
    invocationPercentage: { type: 'number', minimum: 1, maximum: 100 },
    preventExecution: { type: 'boolean' },
    startupDelayMilliseconds: { type: 'integer', minimum: 0, maximum: 900_000 },
    description: faultRuleSchema.properties.description,
    // No LocalStack schema to keep apart from here: a typo is told every field.
    ...ruleExtensionsSchema.properties,
  },
} satisfies Schema;

/** What the function host does to one invocation: wait before the handler, and fail it. */
export interface InvocationFault {
  startupDelayMs: number;
  error?: { preventExecution: boolean };
}

/** One thing wrong with an input: where (`[0].error.code`) and what. */
export interface Problem {
  path: Array<string | number>;
  message: string;
}

export const formatPath = (path: Array<string | number>) =>
  path.length === 0 ? 'body' : path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');

export const formatProblem = (problem: Problem) => `${formatPath(problem.path)}: ${problem.message}`;

// Python's `$` (LocalStack's validator runs re.search) also matches before one final newline,
// so "dynamodb\n" passes there: accept the same.
const matches = (pattern: string, value: string) => new RegExp(pattern.replace(/\$$/, '\\n?$')).test(value);

/** Equality as JSON Schema's uniqueItems (and LocalStack's Python `==`) sees it: -0 equals 0, key order is irrelevant. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (typeOf(a) !== typeOf(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  if (typeOf(a) === 'object') {
    const [x, y] = [a as Record<string, unknown>, b as Record<string, unknown>];
    return Object.keys(x).length === Object.keys(y).length && Object.keys(x).every((key) => Object.hasOwn(y, key) && jsonEqual(x[key], y[key]));
  }
  return a === b;
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function check(schema: Schema, value: unknown, path: Array<string | number>, problems: Problem[]): void {
  const expected = (type: string): void => void problems.push({ path, message: `expected ${type}, received ${typeOf(value)}` });
  switch (schema.type) {
    case 'string': {
      if (typeof value !== 'string') return expected('string');
      if (schema.pattern !== undefined && !matches(schema.pattern, value)) problems.push({ path, message: `must match ${schema.pattern}` });
      // Length in code points, as Python counts it: an emoji is one character, not two.
      if (schema.maxLength !== undefined && [...value].length > schema.maxLength)
        problems.push({ path, message: `must be at most ${schema.maxLength} characters` });
      if (schema.enum !== undefined && !schema.enum.includes(value)) problems.push({ path, message: `must be one of ${schema.enum.join(', ')}` });
      return;
    }
    case 'number':
    case 'integer': {
      // JSON Schema's integer is any whole number (503.0 and 1e300 included), not only a safe one.
      if (typeof value !== 'number' || (schema.type === 'integer' && !Number.isInteger(value))) return expected(schema.type);
      const { minimum, maximum, exclusiveMinimum } = schema;
      if (exclusiveMinimum && (value <= minimum || (maximum !== undefined && value > maximum))) {
        problems.push({ path, message: maximum === undefined ? `must be > ${minimum}` : `must be > ${minimum} and <= ${maximum}` });
      } else if (value < minimum || (maximum !== undefined && value > maximum)) {
        problems.push({ path, message: maximum === undefined ? `must be >= ${minimum}` : `must be from ${minimum} to ${maximum}` });
      }
      return;
    }
    case 'boolean':
      if (typeof value !== 'boolean') expected('boolean');
      return;
    case 'map': {
      if (typeOf(value) !== 'object') return expected('object');
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        if (!matches(schema.keyPattern, key)) problems.push({ path: [...path, key], message: `key must match ${schema.keyPattern}` });
        else check(schema.values, item, [...path, key], problems);
      }
      return;
    }
    case 'object': {
      if (typeOf(value) !== 'object') return expected('object');
      const object = value as Record<string, unknown>;
      const unknown = Object.keys(object).filter((key) => !Object.hasOwn(schema.properties, key));
      if (unknown.length > 0) problems.push({ path, message: `unknown key(s) ${unknown.join(', ')} (allowed: ${Object.keys(schema.properties).join(', ')})` });
      for (const key of schema.required ?? []) if (!Object.hasOwn(object, key)) problems.push({ path: [...path, key], message: 'required' });
      for (const [key, property] of Object.entries(schema.properties)) if (Object.hasOwn(object, key)) check(property, object[key], [...path, key], problems);
    }
  }
}

/**
 * Checks `value` against `schema` with the fields of `extensions` taken out first and checked on
 * their own: what `schema` says of the rest is exactly what it says without extensions.
 */
function checkExtended(schema: Schema, extensions: ObjectSchema | undefined, value: unknown, path: Array<string | number>, problems: Problem[]): void {
  if (!extensions || typeOf(value) !== 'object') return check(schema, value, path, problems);
  const object = value as Record<string, unknown>;
  const own = (key: string) => Object.hasOwn(extensions.properties, key);
  check(schema, Object.fromEntries(Object.entries(object).filter(([key]) => !own(key))), path, problems);
  for (const [key, property] of Object.entries(extensions.properties)) if (Object.hasOwn(object, key)) check(property, object[key], [...path, key], problems);
}

function checkList(input: unknown, schema: Schema, extensions?: ObjectSchema): Problem[] {
  if (!Array.isArray(input)) return [{ path: [], message: `expected array, received ${typeOf(input)}` }];
  const problems: Problem[] = [];
  input.forEach((rule, i) => {
    checkExtended(schema, extensions, rule, [i], problems);
    const first = input.findIndex((other) => jsonEqual(other, rule));
    if (first < i) problems.push({ path: [i], message: `duplicate of [${first}]: the list must have unique items (uniqueItems)` });
  });
  return problems;
}

/**
 * What is wrong with a list of fault rules as the body of a POST, PATCH or DELETE: each rule
 * against the schema, and `uniqueItems` (no two rules deep-equal). Empty when it is valid. This is
 * LocalStack's check: what the tools send.
 */
export const checkRules = (input: unknown): Problem[] => checkList(input, faultRuleSchema);

/** The runtime's check of fault rules: LocalStack's, and the offline-only fields. */
export const checkOfflineRules = (input: unknown): Problem[] => checkList(input, faultRuleSchema, ruleExtensionsSchema);

/** What is wrong with a list of Lambda faults; a parameter of the other FIS action is refused. */
export function checkLambdaFaults(input: unknown): Problem[] {
  const problems = checkList(input, lambdaFaultSchema);
  if (!Array.isArray(input)) return problems;
  input.forEach((fault: Partial<LambdaFault>, i) => {
    if (fault.action === LAMBDA_DELAY && fault.preventExecution !== undefined) {
      problems.push({ path: [i, 'preventExecution'], message: `only for ${LAMBDA_ERROR}` });
    }
    if (fault.action === LAMBDA_ERROR && fault.startupDelayMilliseconds !== undefined) {
      problems.push({ path: [i, 'startupDelayMilliseconds'], message: `only for ${LAMBDA_DELAY}` });
    }
  });
  return problems;
}

/** What is wrong with the body of a POST to /effects: LocalStack's check. */
export function checkEffects(input: unknown): Problem[] {
  const problems: Problem[] = [];
  check(effectsSchema, input, [], problems);
  return problems;
}

/** The runtime's check of the effects: LocalStack's, and jitter and latency per service. */
export function checkOfflineEffects(input: unknown): Problem[] {
  const problems: Problem[] = [];
  checkExtended(effectsSchema, effectsExtensionsSchema, input, [], problems);
  return problems;
}

/** The rules without repeats (the first of equal rules kept): what may be sent where uniqueItems holds. */
export const uniqueRules = <T>(rules: T[]): T[] => rules.filter((rule, i) => rules.findIndex((other) => jsonEqual(other, rule)) === i);

export class ChaosValidationError extends Error {}

function validated<T>(problems: Problem[], input: unknown): T {
  if (problems.length > 0) throw new ChaosValidationError(`Error validating JSON schema: ${problems.map(formatProblem).join('; ')}`);
  return input as T;
}

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
class RuleList<T extends RuleExtensions> {
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
