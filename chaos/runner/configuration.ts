/**
 * The experiment's configuration, and its `${name}` substitution into activities, as chaoslib
 * (configuration.py, substitute) does them.
 */
import { envConfiguration, type Experiment, ExperimentError } from './schema';

export type Configuration = Record<string, unknown>;

/**
 * The configuration's values: plain ones as they are, `env` ones from the environment or their
 * default (converted by `env_var_type`); `vars` override both (chaos run's `--var`; as there, only declared names). As in
 * chaoslib, an `env` key that is unset and has no default is an error, and values are not
 * substituted into each other.
 */
export function resolveConfiguration(experiment: Experiment, env: NodeJS.ProcessEnv = process.env, vars: Configuration = {}): Configuration {
  const resolved: Configuration = {};
  for (const [name, value] of Object.entries(experiment.configuration ?? {})) {
    if (name in vars) {
      resolved[name] = vars[name];
      continue;
    }
    const fromEnv = envConfiguration.safeParse(value);
    if (!fromEnv.success) {
      resolved[name] = value;
      continue;
    }
    const { key } = fromEnv.data;
    let found: unknown;
    if (env[key] !== undefined) found = env[key];
    else if ('default' in fromEnv.data) found = fromEnv.data.default;
    else throw new ExperimentError(`configuration.${name}: the environment variable ${key} is not set and has no default`);
    resolved[name] = converted(name, key, found, (value as { env_var_type?: unknown }).env_var_type);
  }
  return resolved;
}

/**
 * chaoslib's `env_var_type`: a value read from the environment is text, so "int", "float",
 * "bool" or "json" converts it ("str", or none, keeps it). A value that is not text (a default
 * written as a number) is kept as it is.
 */
function converted(name: string, key: string, value: unknown, type: unknown): unknown {
  if (type === undefined || type === 'str' || typeof value !== 'string') return value;
  const wrong = (what: string) => new ExperimentError(`configuration.${name}: ${key}=${JSON.stringify(value)} is not ${what}`);
  switch (type) {
    case 'int': {
      if (!/^\s*[+-]?\d+\s*$/.test(value)) throw wrong('an integer');
      return Number(value);
    }
    case 'float': {
      const number = Number(value);
      if (value.trim() === '' || !Number.isFinite(number)) throw wrong('a number');
      return number;
    }
    case 'bool': {
      const text = value.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(text)) return true;
      if (['false', '0', 'no', 'off', ''].includes(text)) return false;
      throw wrong('a boolean');
    }
    case 'json':
      try {
        return JSON.parse(value) as unknown;
      } catch {
        throw wrong('JSON');
      }
    default:
      throw new ExperimentError(`configuration.${name}: env_var_type must be "str", "int", "float", "bool" or "json"`);
  }
}

// Python's string.Template, as chaoslib uses it: `$$` is a `$`, `${name}` and `$name` are looked up.
const PLACEHOLDER = /\$(?:(\$)|\{([_a-z][_a-z0-9]*)\}|([_a-z][_a-z0-9]*))/gi;

/**
 * Replaces `${name}` with the configuration's value, recursively in strings, lists and objects,
 * as chaoslib does: a string that is one placeholder takes the value with its type; an unknown
 * name is left as it is (it may be meant for the activity itself).
 */
export function substitute<T>(data: T, configuration: Configuration): T {
  if (typeof data === 'string') {
    const whole = /^\$\{([_a-z][_a-z0-9]*)\}$/i.exec(data)?.[1];
    if (whole !== undefined && whole in configuration) return configuration[whole] as T;
    return data.replace(PLACEHOLDER, (match, dollar: string | undefined, braced: string | undefined, bare: string | undefined) => {
      if (dollar) return '$';
      const name = braced ?? bare ?? '';
      return name in configuration ? String(configuration[name]) : match;
    }) as T;
  }
  if (Array.isArray(data)) return data.map((item: unknown) => substitute(item, configuration)) as T;
  if (typeof data === 'object' && data !== null) {
    return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, substitute(value, configuration)])) as T;
  }
  return data;
}
