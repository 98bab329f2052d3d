/**
 * Chaos Toolkit's experiment format (chaostoolkit-documentation, reference/api/experiment.md), as
 * far as this runner runs it: `http` and `process` providers, the documented tolerances, plain
 * and `env` configuration, pauses, background activities and the safeguards control. Objects are
 * open, as in Chaos Toolkit (extra keys such as `version`, `runtime` or `extensions` pass), but
 * every field the runner reads is checked, and a problem is reported with the field's path.
 *
 * Left out: `python` providers, `secrets`, `ref` activities, tolerances of type `probe`, other
 * controls than the safeguards (accepted, not applied). (`env_var_type` casting is in configuration.ts.)
 */
import { z } from 'zod';
import { parseJsonPath } from './jsonpath';

/** Seconds, or `${name}` for a number from the configuration (chaoslib substitutes pauses). */
const SECONDS = 'must be a number of seconds or a ${name} from the configuration';
const seconds = z.union([z.number().nonnegative(), z.string().regex(/^\$\{\w+\}$/, { error: SECONDS })], { error: SECONDS });

const httpProvider = z.looseObject({
  type: z.literal('http'),
  url: z.string().min(1),
  method: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  // The documentation says an object; chaoslib sends any JSON value (the Chaos API takes a list of rules).
  arguments: z.union([z.record(z.string(), z.unknown()), z.array(z.unknown()), z.string()]).optional(),
  timeout: z
    .union([z.number().positive(), z.tuple([z.number().positive(), z.number().positive()])], {
      error: 'must be seconds, or [connect, read] seconds',
    })
    .optional(),
  expected_status: z.int().min(100).max(599).optional(),
});

const processProvider = z.looseObject({
  type: z.literal('process'),
  path: z.string().min(1),
  arguments: z.union([z.string(), z.array(z.union([z.string(), z.number()]))], { error: 'must be a string or a list of strings' }).optional(),
  timeout: z.number().positive().optional(),
});

const provider = z.discriminatedUnion('type', [httpProvider, processProvider], {
  error: 'must be "http" or "process" (this runner runs no python provider)',
});

const scalar = z.union([z.string(), z.number(), z.boolean()]);

const regexTolerance = z.looseObject({
  type: z.literal('regex'),
  pattern: z.string().refine(
    (pattern) => {
      try {
        new RegExp(pattern);
        return true;
      } catch {
        return false;
      }
    },
    { error: 'is not a valid regular expression' },
  ),
  target: z.string().optional(),
});

const jsonPathTolerance = z.looseObject({
  type: z.literal('jsonpath'),
  path: z.string().superRefine((path, ctx) => {
    try {
      parseJsonPath(path);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  }),
  expect: z.union([scalar, z.array(scalar)]).optional(),
  count: z.int().nonnegative().optional(),
  target: z.string().optional(),
});

const rangeTolerance = z.looseObject({
  type: z.literal('range'),
  range: z.tuple([z.number(), z.number()], { error: 'must be [lower, upper], two numbers' }),
  target: z.string().optional(),
});

const objectTolerance = z.discriminatedUnion('type', [regexTolerance, jsonPathTolerance, rangeTolerance], {
  error: 'type must be "regex", "jsonpath" or "range" (this runner runs no tolerance probe)',
});

// Floats are refused as chaoslib refuses them: a scalar number tolerance is an integer (a status).
export const tolerance = z.union([z.boolean(), z.int(), z.string(), z.array(scalar), objectTolerance], {
  error: 'must be a boolean, an integer, a string, a list of values, or a regex, jsonpath or range object',
});

const control = z.looseObject({
  name: z.string().min(1),
  provider: z.looseObject({ type: z.string(), module: z.string().optional(), arguments: z.unknown().optional() }),
});

const activityFields = {
  name: z.string().min(1),
  provider,
  pauses: z.looseObject({ before: seconds.optional(), after: seconds.optional() }).optional(),
  background: z.boolean().optional(),
  controls: z.array(control).optional(),
};

const action = z.looseObject({ type: z.literal('action'), ...activityFields });
const probe = z.looseObject({ type: z.literal('probe'), ...activityFields, tolerance: tolerance.optional() });
const activity = z.discriminatedUnion('type', [action, probe], { error: 'type must be "action" or "probe"' });

/** A probe of the hypothesis (or a safeguard): it must say what it tolerates. */
const hypothesisProbe = probe.extend({ tolerance });

/** Safeguard probes may repeat every `frequency` seconds during the method. */
const safeguardProbe = hypothesisProbe.extend({ frequency: z.number().positive().optional() });

/**
 * chaostoolkit-addons' safeguards control: the same declaration runs under `chaos run` where
 * that package is installed.
 */
/** `{"type": "env", "key": NAME, "default"?: VALUE}`: a value read from the environment. */
export const envConfiguration = z.looseObject({ type: z.literal('env'), key: z.string().min(1), default: z.unknown().optional() });

const SAFEGUARDS_MODULE = 'chaosaddons.controls.safeguards';
const safeguardsArguments = z.looseObject({ probes: z.array(safeguardProbe).min(1) });

const CONFIGURATION = 'must be a string, a number, or {"type": "env", "key": NAME, "default"?: VALUE}';

const experimentSchema = z
  .looseObject({
    title: z.string().min(1),
    description: z.string().min(1),
    tags: z.array(z.string()).optional(),
    contributions: z.record(z.string(), z.enum(['high', 'medium', 'low', 'none'])).optional(),
    configuration: z
      .record(
        z.string(),
        z.union(
          [
            z.string(),
            z.number(),
            z.boolean(),
            z.looseObject({}).refine((value) => value.type !== 'env' || envConfiguration.safeParse(value).success, { error: CONFIGURATION }),
          ],
          {
            error: CONFIGURATION,
          },
        ),
      )
      .optional(),
    'steady-state-hypothesis': z.looseObject({ title: z.string().min(1), probes: z.array(hypothesisProbe), controls: z.array(control).optional() }).optional(),
    method: z.array(activity),
    rollbacks: z.array(action).optional(),
    controls: z.array(control).optional(),
  })
  .superRefine((experiment, ctx) => {
    experiment.controls?.forEach((item, i) => {
      if (item.provider.module !== SAFEGUARDS_MODULE) return;
      const parsed = safeguardsArguments.safeParse(item.provider.arguments);
      for (const issue of parsed.error?.issues ?? []) {
        ctx.addIssue({ code: 'custom', message: issue.message, path: ['controls', i, 'provider', 'arguments', ...issue.path] });
      }
    });
  });

export type Experiment = z.infer<typeof experimentSchema>;
export type Activity = z.infer<typeof activity>;
export type HypothesisProbe = z.infer<typeof hypothesisProbe>;
export type SafeguardProbe = z.infer<typeof safeguardProbe>;
export type Provider = z.infer<typeof provider>;
export type HttpProvider = z.infer<typeof httpProvider>;
export type ProcessProvider = z.infer<typeof processProvider>;
export type Tolerance = z.infer<typeof tolerance>;

export class ExperimentError extends Error {}

/** `method[1].provider.url` */
function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('') || '(the experiment)';
}

/**
 * What is wrong, field by field. When no branch of a union fits, the branch that got furthest
 * into the value (an object tolerance with a bad `range`, say) says more than the union does.
 */
function problems(issues: readonly z.core.$ZodIssue[], at: readonly PropertyKey[] = []): string[] {
  return issues.flatMap((issue) => {
    const path = [...at, ...issue.path];
    if (issue.code === 'invalid_union') {
      const deepest = issue.errors.reduce<z.core.$ZodIssue[]>(
        (best, branch) => (Math.max(0, ...branch.map((i) => i.path.length)) > Math.max(0, ...best.map((i) => i.path.length)) ? branch : best),
        [],
      );
      if (deepest.length > 0) return problems(deepest, path);
    }
    return [`${fieldPath(path)}: ${issue.message}`];
  });
}

/** The experiment, checked; throws ExperimentError naming every field that is wrong. */
export function parseExperiment(json: unknown, source = 'the experiment'): Experiment {
  const parsed = experimentSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  throw new ExperimentError(`${source} is not a valid Chaos Toolkit experiment: ${problems(parsed.error.issues).join('; ')}`);
}

/** The safeguard probes the experiment declares through the safeguards control (already checked by the schema). */
export function safeguardProbes(experiment: Experiment): SafeguardProbe[] {
  return (experiment.controls ?? [])
    .filter((item) => item.provider.module === SAFEGUARDS_MODULE)
    .flatMap((item) => safeguardsArguments.parse(item.provider.arguments).probes);
}
