/**
 * The Chaos API's input checks (shared/contracts/chaos-api.ts): LocalStack's schemas as its Python
 * jsonschema applies them, and the runtime's own extensions checked apart from them.
 */
import {
  effectsExtensionsSchema,
  effectsSchema,
  faultRuleSchema,
  formatProblem,
  LAMBDA_DELAY,
  LAMBDA_ERROR,
  type LambdaFault,
  lambdaFaultSchema,
  type ObjectSchema,
  type Problem,
  ruleExtensionsSchema,
  type Schema,
} from './chaos-api';

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

export function validated<T>(problems: Problem[], input: unknown): T {
  if (problems.length > 0) throw new ChaosValidationError(`Error validating JSON schema: ${problems.map(formatProblem).join('; ')}`);
  return input as T;
}
