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
 */
export interface FaultRule {
  service?: string;
  region?: string;
  operation?: string;
  probability?: number;
  error?: { statusCode?: number; code?: string };
  description?: string;
}

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
  | { type: 'string'; pattern?: string; maxLength?: number }
  | { type: 'number' | 'integer'; minimum: number; maximum?: number }
  | { type: 'object'; properties: Record<string, Schema>; required?: string[] };

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
      return;
    }
    case 'number':
    case 'integer': {
      // JSON Schema's integer is any whole number (503.0 and 1e300 included), not only a safe one.
      if (typeof value !== 'number' || (schema.type === 'integer' && !Number.isInteger(value))) return expected(schema.type);
      const { minimum, maximum } = schema;
      if (value < minimum || (maximum !== undefined && value > maximum)) {
        problems.push({ path, message: maximum === undefined ? `must be >= ${minimum}` : `must be from ${minimum} to ${maximum}` });
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
 * What is wrong with a list of fault rules as the body of a POST, PATCH or DELETE: each rule
 * against the schema, and `uniqueItems` (no two rules deep-equal). Empty when it is valid.
 */
export function checkRules(input: unknown): Problem[] {
  if (!Array.isArray(input)) return [{ path: [], message: `expected array, received ${typeOf(input)}` }];
  const problems: Problem[] = [];
  input.forEach((rule, i) => {
    check(faultRuleSchema, rule, [i], problems);
    const first = input.findIndex((other) => jsonEqual(other, rule));
    if (first < i) problems.push({ path: [i], message: `duplicate of [${first}]: the list must have unique items (uniqueItems)` });
  });
  return problems;
}

/** What is wrong with the body of a POST to /effects. */
export function checkEffects(input: unknown): Problem[] {
  const problems: Problem[] = [];
  check(effectsSchema, input, [], problems);
  return problems;
}

/** The rules without repeats (the first of equal rules kept): what may be sent where uniqueItems holds. */
export const uniqueRules = <T>(rules: T[]): T[] => rules.filter((rule, i) => rules.findIndex((other) => jsonEqual(other, rule)) === i);

export class ChaosValidationError extends Error {}

function validated<T>(problems: Problem[], input: unknown): T {
  if (problems.length > 0) throw new ChaosValidationError(`Error validating JSON schema: ${problems.map(formatProblem).join('; ')}`);
  return input as T;
}

// setTimeout's longest delay (about 24.8 days); a longer one would fire at once. LocalStack has
// no maximum, so a larger latency is accepted and reported as given, and waits this long.
const MAX_SLEEP_MS = 2 ** 31 - 1;

export class Chaos {
  private rules: FaultRule[] = [];
  private latencyMs = 0;

  constructor(private readonly random: () => number = Math.random) {}

  getFaults(): FaultRule[] {
    return this.rules;
  }

  /** POST: replace every rule. */
  setFaults(input: unknown): FaultRule[] {
    this.rules = validated<FaultRule[]>(checkRules(input), input);
    return this.rules;
  }

  /** PATCH: append rules (a rule equal to an active one is appended again, as LocalStack does). */
  addFaults(input: unknown): FaultRule[] {
    this.rules = [...this.rules, ...validated<FaultRule[]>(checkRules(input), input)];
    return this.rules;
  }

  /** DELETE: remove every active rule equal to one given; `[]` removes nothing. */
  removeFaults(input: unknown): FaultRule[] {
    const remove = validated<FaultRule[]>(checkRules(input), input);
    this.rules = this.rules.filter((rule) => !remove.some((other) => jsonEqual(rule, other)));
    return this.rules;
  }

  getEffects(): { latency: number } {
    return { latency: this.latencyMs };
  }

  setEffects(input: unknown): { latency: number } {
    this.latencyMs = validated<{ latency: number }>(checkEffects(input), input).latency;
    return this.getEffects();
  }

  /** The delay to add to each AWS call, in milliseconds. */
  get latency(): number {
    return Math.min(this.latencyMs, MAX_SLEEP_MS);
  }

  /**
   * The fault for this call, if the first matching rule fires; undefined lets the call through.
   * An empty rule `{}` matches every call; probability 0 never fires.
   */
  faultFor(call: Call): Fault | undefined {
    const rule = this.rules.find(
      (r) =>
        (r.service === undefined || r.service === call.service) &&
        (r.region === undefined || r.region === call.region) &&
        (r.operation === undefined || r.operation === call.operation),
    );
    if (!rule || this.random() >= (rule.probability ?? 1)) return undefined;
    return { statusCode: rule.error?.statusCode ?? 503, code: rule.error?.code ?? 'ServiceUnavailable' };
  }
}
