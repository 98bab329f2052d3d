/**
 * The Chaos API contract LocalStack serves at /_localstack/chaos: fault rules that make matching
 * AWS calls fail, and a latency effect on every AWS call. Rules are checked in order and the
 * first rule whose service, region and operation match decides, failing the call with its
 * probability.
 */
import { isDeepStrictEqual } from 'node:util';
import * as z from 'zod/mini';
import { en } from 'zod/locales';

// zod/mini ships without messages; the English ones say what was wrong ("Too big: expected number to be <=1").
z.config(en());

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

const name = z.string().check(z.minLength(1));

const ruleSchema = z.strictObject({
  service: z.optional(name),
  region: z.optional(name),
  operation: z.optional(name),
  probability: z.optional(z.number().check(z.gte(0), z.lte(1))),
  error: z.optional(
    z.strictObject({
      statusCode: z.optional(z.int().check(z.gte(400), z.lte(599))),
      code: z.optional(name),
    }),
  ),
  description: z.optional(z.string()),
});

const rulesSchema = z.array(ruleSchema);
const effectsSchema = z.strictObject({ latency: z.int().check(z.gte(0), z.lte(600_000)) });

export class ChaosValidationError extends Error {}

function validate<T>(schema: z.ZodMiniType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const where = issue.path.length > 0 ? `[${issue.path.join('.')}]` : 'body';
    return issue.code === 'unrecognized_keys' ? `${where}: unknown key(s) ${issue.keys.join(', ')}` : `${where}: ${issue.message}`;
  });
  throw new ChaosValidationError(`Error validating JSON schema: ${problems.join('; ')}`);
}

export class Chaos {
  private rules: FaultRule[] = [];
  private latencyMs = 0;

  constructor(private readonly random: () => number = Math.random) {}

  getFaults(): FaultRule[] {
    return this.rules;
  }

  /** POST: replace every rule. */
  setFaults(input: unknown): FaultRule[] {
    this.rules = validate(rulesSchema, input);
    return this.rules;
  }

  /** PATCH: append rules. */
  addFaults(input: unknown): FaultRule[] {
    this.rules = [...this.rules, ...validate(rulesSchema, input)];
    return this.rules;
  }

  /** DELETE: remove the rules equal to the given ones. */
  removeFaults(input: unknown): FaultRule[] {
    const remove = validate(rulesSchema, input);
    this.rules = this.rules.filter((rule) => !remove.some((other) => isDeepStrictEqual(rule, other)));
    return this.rules;
  }

  getEffects(): { latency: number } {
    return { latency: this.latencyMs };
  }

  setEffects(input: unknown): { latency: number } {
    this.latencyMs = validate(effectsSchema, input).latency;
    return this.getEffects();
  }

  get latency(): number {
    return this.latencyMs;
  }

  /** The fault for this call, if the first matching rule fires; undefined lets the call through. */
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
