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
 * The runtime also understands extensions of its own (see "Offline-only extensions" in
 * docs/chaos-api.md): optional fields LocalStack's schema refuses, so the tools never send them there. They
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

/** What a rule matches: one AWS call. */
export interface Call {
  service: string;
  region: string;
  operation: string;
}

/** What a rule that fires answers the call with. */
export interface Fault {
  statusCode: number;
  code: string;
}

export type Schema =
  | { type: 'string'; pattern?: string; maxLength?: number; enum?: readonly string[] }
  | { type: 'number' | 'integer'; minimum: number; maximum?: number; exclusiveMinimum?: boolean }
  | { type: 'boolean' }
  | { type: 'object'; properties: Record<string, Schema>; required?: string[] }
  /** An object whose keys match `keyPattern`, each value checked against `values`. */
  | { type: 'map'; keyPattern: string; values: Schema };

export type ObjectSchema = Extract<Schema, { type: 'object' }>;

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
export const MAX_SLEEP_MS = 2 ** 31 - 1;

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

/** One thing wrong with an input: where (`[0].error.code`) and what. */
export interface Problem {
  path: Array<string | number>;
  message: string;
}

export const formatPath = (path: Array<string | number>) =>
  path.length === 0 ? 'body' : path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');

export const formatProblem = (problem: Problem) => `${formatPath(problem.path)}: ${problem.message}`;

/** One fault rule in words, as the runner's logs and reports name it. */
export function describeRule(rule: FaultRule): string {
  const where = [rule.service ?? 'every service', rule.operation].filter(Boolean).join(' ');
  return `the fault rule on ${where} (${Math.round((rule.probability ?? 1) * 100)}% of calls fail with ${rule.error?.statusCode ?? 503} ${rule.error?.code ?? 'ServiceUnavailable'})`;
}
