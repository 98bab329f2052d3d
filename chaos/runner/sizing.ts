/**
 * Fits an experiment's waits to the target's timings before it runs, without changing the file:
 *
 * - `breaker_cooldown_s`, the library's name for a pause that waits out the product Lambda's
 *   circuit breakers, takes the target's own breaker cooldown unless the user set it;
 * - `settle_seconds`, the library's name for how long the hypothesis probes after the method may
 *   wait for the retry path to drain, is raised to the target's settle bound when the file's
 *   default is shorter (the probes stop waiting as soon as they hold, so a run that settles
 *   sooner takes no longer); a value the user set is kept, with a note;
 * - a value the file declares must outlast a target timing (`outlasts`, e.g. an outage past the
 *   redrive threshold) skips the run, with the reason, when it does not: it would test nothing.
 *
 * Either need beyond MAX_SIZED_SECONDS is not waited for: the run is skipped, naming the faster
 * timings that would run it.
 */
import { type Configuration, resolveConfiguration } from './configuration';
import type { Declared } from './offline-extensions';
import type { TargetKind } from '../../shared/contracts/offline-api';
import { envConfiguration, parseExperiment } from './schema';
import { describeTimings, MAX_SIZED_SECONDS, NAMED_TIMINGS, settleBoundSeconds, type TargetTimings } from './timings';

export const SETTLE_KEY = 'settle_seconds';
export const BREAKER_KEY = 'breaker_cooldown_s';

export interface Sizing {
  /** Values to run with, on top of the user's --var. */
  vars: Configuration;
  /** What was sized and why, for the progress lines and the journal. */
  notes: string[];
  /** Why the experiment cannot run on this target's timings. */
  skip?: string;
}

export interface SizingInput {
  json: unknown;
  declared: Declared;
  env: NodeJS.ProcessEnv;
  /** The user's --var values. */
  vars: Configuration;
  /** The values the runner sets (endpoint, state_file, seed). */
  provided: Configuration;
  timings: TargetTimings;
  kind: TargetKind;
}

/** What the offline runtime's user can do about a timing too long to wait for. */
const fastHint = (kind: TargetKind) => (kind === 'offline' ? 'needs npm start -- --fast-timings: ' : '');

export function sizeRun({ json, declared, env, vars, provided, timings, kind }: SizingInput): Sizing {
  const experiment = parseExperiment(json);
  const configuration = experiment.configuration ?? {};
  const values = resolveConfiguration(experiment, env, { ...provided, ...vars });
  const envKey = (name: string) => {
    const entry = envConfiguration.safeParse(configuration[name]);
    return entry.success ? entry.data.key : undefined;
  };
  const setByUser = (name: string) => {
    const key = envKey(name);
    return name in vars || (key !== undefined && env[key] !== undefined);
  };
  const setting = (name: string) => {
    const key = envKey(name);
    return `${name}${key ? ` (${key})` : ''}`;
  };
  const sizing: Sizing = { vars: {}, notes: [] };

  for (const [name, timing] of Object.entries(declared.outlasts ?? {})) {
    const value = values[name];
    const needed = NAMED_TIMINGS[timing].seconds(timings);
    if (typeof value !== 'number' || value > needed) continue;
    const hint = needed > MAX_SIZED_SECONDS ? fastHint(kind) : '';
    return {
      ...sizing,
      skip: `${hint}its ${name} is ${value} s, and ${NAMED_TIMINGS[timing].describe(timings)}: set ${setting(name)} past ${needed} s to run it here`,
    };
  }

  const cooldown = timings.breakerCooldownMs / 1000;
  if (typeof values[BREAKER_KEY] === 'number' && values[BREAKER_KEY] !== cooldown && !setByUser(BREAKER_KEY)) {
    sizing.vars[BREAKER_KEY] = cooldown;
    sizing.notes.push(`breaker cooldown pause set from ${values[BREAKER_KEY]} s to ${cooldown} s, the target's breaker cooldown`);
  }

  const settle = values[SETTLE_KEY];
  const bound = settleBoundSeconds(timings);
  if (typeof settle === 'number' && settle < bound) {
    const why = `the target may take up to ${bound} s to settle`;
    if (setByUser(SETTLE_KEY)) sizing.notes.push(`${SETTLE_KEY} is ${settle} s as set, though ${why}: a slow drain would read as a deviation`);
    else if (bound > MAX_SIZED_SECONDS)
      return { ...sizing, skip: `${fastHint(kind)}its settle window is ${settle} s, and ${why} (${describeTimings(timings)})` };
    else {
      sizing.vars[SETTLE_KEY] = bound;
      sizing.notes.push(`settle window raised from ${settle} s to ${bound} s, the target's settle bound; the probes stop waiting as soon as they hold`);
    }
  }
  return sizing;
}
