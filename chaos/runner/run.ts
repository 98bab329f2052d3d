/**
 * Runs a Chaos Toolkit experiment with chaoslib's run.py semantics, where the project's issue
 * does not ask for stricter ones:
 *
 * - the hypothesis is checked before the method; if it does not hold, the method never runs
 *   (status `failed`: chaoslib ≥ 1.35 says `completed` here and keeps `failed` for a probe that
 *   could not run; the project wants a run that injected nothing to say so);
 * - the method's activities run in order, with their pauses; background ones do not block and
 *   are awaited at the end of the method;
 * - the hypothesis is checked again after the method: a miss sets `deviated`, status `completed`;
 * - a probe or action that cannot run (a timeout, a refused connection, an unexpected status) is
 *   a tool or target error: the run stops, status `aborted` (chaoslib records it and carries on);
 * - the safeguards control's probes gate the method and repeat every `frequency` seconds during
 *   it; the first miss stops the method, status `aborted`, naming the safeguard (chaostoolkit-addons
 *   would say `interrupted`);
 * - the `signal` interrupts the run: the activity under way stops, status `interrupted`;
 * - rollbacks always run, whatever happened (chaoslib's `always` strategy; its default skips them
 *   after a failure or an interruption), each even if the one before failed.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Configuration, resolveConfiguration, substitute } from './configuration';
import { type ActivityRun, JOURNAL_EXTRAS, type Journal, newJournal, type RunStatus, type SteadyState } from './journal';
import { ActivityFailed, type RequestHook, runProvider } from './providers';
import { type Activity, type HypothesisProbe, parseExperiment, type SafeguardProbe, safeguardProbes } from './schema';
import { withinTolerance } from './tolerance';

export interface RunOptions {
  /** Abort it to interrupt the run (Ctrl-C): rollbacks still run. */
  signal?: AbortSignal;
  /** Where `env` configuration is read (process.env by default). */
  env?: NodeJS.ProcessEnv;
  /** Configuration values that override the experiment's, like `chaos run --var`. */
  vars?: Configuration;
  /** Configuration values the runner always provides, declared by the experiment or not (vars still win). */
  provided?: Configuration;
  /** Sees (and may change) each http provider's request body before it is sent. */
  onRequest?: RequestHook;
  /** Called once the journal's start time is set, before anything runs. */
  onStart?: (start: Date) => void;
  /** Told when each activity starts and ends, for progress lines. */
  progress?: (event: RunEvent) => void;
}

/** Where an activity runs: the hypothesis before or after the method, the method, a safeguard check, a rollback. */
export type Phase = 'before' | 'method' | 'after' | 'safeguard' | 'rollback';

export type RunEvent = { kind: 'start'; phase: Phase; name: string; activity: Activity } | { kind: 'end'; phase: Phase; name: string; run: ActivityRun };

/** What every activity of one run shares. */
interface Context {
  configuration: Configuration;
  onRequest?: RequestHook;
  progress?: (event: RunEvent) => void;
}

/** Waits, but no longer than until `signal` aborts. */
async function pause(seconds: unknown, signal?: AbortSignal): Promise<void> {
  if (typeof seconds !== 'number' || seconds <= 0 || signal?.aborted) return;
  await sleep(seconds * 1000, undefined, signal ? { signal } : {}).catch(() => undefined);
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** An activity's failure in the journal: why it could not run, or that the run stopped it. */
function describe(error: unknown, signal?: AbortSignal): string {
  if (error instanceof ActivityFailed) return error.message;
  return signal?.aborted ? `interrupted: ${message(signal.reason)}` : `error: ${message(error)}`;
}

/** Runs one activity with its pauses; never throws: a failure is in the result. */
async function execute(activity: Activity, context: Context, phase: Phase, signal?: AbortSignal, judge?: (run: ActivityRun) => void): Promise<ActivityRun> {
  const { configuration } = context;
  const pauses = substitute(activity.pauses ?? {}, configuration);
  await pause(pauses.before, signal);
  context.progress?.({ kind: 'start', phase, name: activity.name, activity });
  const start = new Date();
  let output: unknown = null;
  let exception: string | undefined;
  if (signal?.aborted) exception = describe(signal.reason, signal);
  else {
    try {
      output = await runProvider(activity.provider, configuration, {
        ...(signal ? { signal } : {}),
        ...(context.onRequest ? { onRequest: context.onRequest } : {}),
        activity: `${phase}:${activity.name}`,
      });
    } catch (error) {
      exception = describe(error, signal);
      if (error instanceof ActivityFailed) output = error.output;
    }
  }
  const end = new Date();
  const run: ActivityRun = {
    activity,
    status: exception === undefined ? 'succeeded' : 'failed',
    start: start.toISOString(),
    end: end.toISOString(),
    duration: (end.getTime() - start.getTime()) / 1000,
    output,
    ...(exception === undefined ? {} : { exception }),
  };
  judge?.(run);
  context.progress?.({ kind: 'end', phase, name: activity.name, run });
  await pause(pauses.after, signal);
  return run;
}

/** Runs a probe and judges its output against its tolerance. */
async function check(probe: HypothesisProbe, context: Context, phase: Phase, signal?: AbortSignal): Promise<ActivityRun> {
  return execute(probe, context, phase, signal, (run) => {
    run.tolerance_met = run.status === 'succeeded' && withinTolerance(probe.tolerance, run.output, context.configuration);
  });
}

/** The probes in order, stopping at the first that misses (chaoslib's run_steady_state_hypothesis). */
async function hypothesis(probes: HypothesisProbe[], context: Context, phase: Phase, signal?: AbortSignal): Promise<SteadyState> {
  const state: SteadyState = { steady_state_met: true, probes: [] };
  for (const probe of probes) {
    const run = await check(probe, context, phase, signal);
    state.probes.push(run);
    if (!run.tolerance_met) {
      state.steady_state_met = false;
      break;
    }
  }
  return state;
}

const nameOf = (run: ActivityRun) => (run.activity as { name: string }).name;

/** Why a probe missed: it could not run, or its output was outside its tolerance. */
const miss = (run: ActivityRun, kind = 'probe') =>
  `the ${kind} "${nameOf(run)}" ${run.status === 'failed' ? `could not run: ${run.exception}` : 'was outside its tolerance'}`;

/**
 * Checks every safeguard probe once (`first`: the method waits for it), then each with a
 * `frequency` again every `frequency` seconds until `stop`. Calls `trip` on a miss.
 */
function watch(
  probes: SafeguardProbe[],
  context: Context,
  signal: AbortSignal | undefined,
  record: (run: ActivityRun) => void,
  trip: (run: ActivityRun) => void,
): { first: Promise<void>; stop: () => Promise<void> } {
  const done = new AbortController();
  const during = signal ? AbortSignal.any([signal, done.signal]) : done.signal;
  const once = async (probe: SafeguardProbe) => {
    const run = await check(probe, context, 'safeguard', during);
    // A check cut short by the end of the method or an interruption says nothing.
    if (during.aborted) return;
    record(run);
    if (!run.tolerance_met) trip(run);
  };
  const first = Promise.all(probes.map(once)).then(() => undefined);
  const repeats = first.then(() =>
    Promise.all(
      probes
        .filter((probe) => probe.frequency !== undefined)
        .map(async (probe) => {
          for (;;) {
            await pause(probe.frequency, during);
            if (during.aborted) return;
            await once(probe);
          }
        }),
    ),
  );
  return {
    first,
    stop: async () => {
      done.abort();
      await repeats;
    },
  };
}

/**
 * Runs the experiment (the parsed JSON of a file) and returns its journal, whatever happened.
 * Throws ExperimentError, before anything runs, when the experiment or its configuration is invalid.
 */
export async function runExperiment(json: unknown, options: RunOptions = {}): Promise<Journal> {
  const experiment = parseExperiment(json);
  const configuration = { ...options.provided, ...resolveConfiguration(experiment, options.env, { ...options.provided, ...options.vars }) };
  const context: Context = {
    configuration,
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    ...(options.progress ? { progress: options.progress } : {}),
  };
  const started = new Date();
  const journal = newJournal(json, started);
  options.onStart?.(started);
  const extras = journal[JOURNAL_EXTRAS];
  const { signal } = options;
  let ended: RunStatus | undefined;
  const end = (status: RunStatus, reason: string) => {
    ended ??= status;
    extras.reason ??= reason;
  };
  const interrupted = () => signal?.aborted === true && end('interrupted', 'interrupted (Ctrl-C or a stop signal)');
  // When the stop came, for the chart's mark: the run itself ends later, once the rollbacks ran.
  const noteStop = () => (extras.interruptedAt ??= new Date().toISOString());
  if (signal?.aborted) noteStop();
  else signal?.addEventListener('abort', noteStop, { once: true });
  const probes = experiment['steady-state-hypothesis']?.probes ?? [];

  if (probes.length > 0 && !interrupted()) {
    const before = await hypothesis(probes, context, 'before', signal);
    journal.steady_states.before = before;
    const last = before.probes.at(-1);
    if (!interrupted() && !before.steady_state_met && last) {
      end(last.status === 'failed' ? 'aborted' : 'failed', `before the method, ${miss(last)}: nothing was injected`);
    }
  }

  if (ended === undefined) {
    const stopMethod = new AbortController();
    const methodSignal = signal ? AbortSignal.any([signal, stopMethod.signal]) : stopMethod.signal;
    const trip = (run: ActivityRun) => {
      if (stopMethod.signal.aborted) return;
      extras.safeguard = nameOf(run);
      end('aborted', `${miss(run, 'safeguard')}, so the method was stopped`);
      stopMethod.abort(new Error(`the safeguard "${nameOf(run)}" stopped the method`));
    };
    const safeguards = safeguardProbes(experiment);
    const guard = safeguards.length > 0 ? watch(safeguards, context, signal, (run) => extras.safeguards.push(run), trip) : undefined;
    await guard?.first;
    const background: Array<Promise<void>> = [];
    const record = (activity: Activity, run: ActivityRun) => {
      journal.run.push(run);
      if (run.status === 'failed' && !methodSignal.aborted) {
        end('aborted', `the ${activity.type} "${activity.name}" failed: ${run.exception}`);
        // Background activities still under way stop too: the run says nothing more about the system.
        stopMethod.abort(new Error(`the ${activity.type} "${activity.name}" failed`));
      }
    };
    for (const activity of experiment.method) {
      if (methodSignal.aborted) break;
      const running = execute(activity, context, 'method', methodSignal).then((run) => record(activity, run));
      if (activity.background) background.push(running);
      else await running;
    }
    await Promise.all(background);
    await guard?.stop();
    interrupted();
  }

  if (ended === undefined && probes.length > 0) {
    const after = await hypothesis(probes, context, 'after', signal);
    journal.steady_states.after = after;
    const last = after.probes.at(-1);
    if (!interrupted() && !after.steady_state_met && last) {
      if (last.status === 'failed') end('aborted', `after the method, ${miss(last)}`);
      else {
        journal.deviated = true;
        extras.reason = `after the method, ${miss(last)}: the system deviated from its steady state`;
      }
    }
  }

  signal?.removeEventListener('abort', noteStop);
  // Not under `signal`: an interrupted run must still undo what it did.
  for (const rollback of experiment.rollbacks ?? []) journal.rollbacks.push(await execute(rollback, context, 'rollback'));

  const finished = new Date();
  journal.status = ended ?? 'completed';
  journal.end = finished.toISOString();
  journal.duration = (finished.getTime() - started.getTime()) / 1000;
  return journal;
}
