/**
 * `npm run experiment -- <files...> | --all`: runs Chaos Toolkit experiment files against a
 * running target, with the runner's offline extensions, a sampler for the chart, progress lines,
 * and a report folder per run (journal.json, writes.jsonl, report.md, report.html, junit.xml).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, UsageError } from '../../shared/cli/command';
import { linkLatest } from '../report/latest';
import { type Configuration, resolveConfiguration } from './configuration';
import type { LibraryEntry } from '../report/junit';
import { declaredExtension } from './offline-extensions';
import { type TargetKind } from '../../shared/contracts/offline-api';
import { writeIndex, writeLibrarySummary } from '../report/index';
import { type LoadedExperiment, type RunContext, runOne } from './run-one';
import { ExperimentError, parseExperiment } from './schema';
import { Settler, stateReader } from './settle';
import { targetKind } from '../../shared/app-client/target-kind';
import { deployedTimings, describeTimings, readTimings, settleBoundSeconds, type TargetTimings } from './timings';
import { EXPERIMENTS_DIR, REPORTS_ROOT } from '../../shared/paths';

// Where reports go unless --report-dir says otherwise (`latest` inside points at the newest), and the library --all runs.
export { EXPERIMENTS_DIR, REPORTS_ROOT };
/** Configuration values the runner sets itself: --var cannot. */
export const RUNNER_VALUES = { endpoint: '--endpoint', state_file: '--report-dir', seed: '--seed' } as const;

/** `--var key=value`: a value that parses as a JSON number or boolean becomes one. Collects into `previous`. */
export function parseVar(raw: string, previous: Configuration = {}): Configuration {
  const match = /^([_a-z][_a-z0-9]*)=(.*)$/is.exec(raw);
  if (!match) throw new InvalidArgumentError('Expected key=value, the key a configuration name.');
  const [, key = '', text = ''] = match;
  if (key in RUNNER_VALUES) throw new InvalidArgumentError(`${key} is set by the runner: use ${RUNNER_VALUES[key as keyof typeof RUNNER_VALUES]}.`);
  let value: unknown = text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'number' || typeof parsed === 'boolean') value = parsed;
  } catch {
    // A string.
  }
  return { ...previous, [key]: value };
}

/** Every experiments/*.json, in name order. */
export function libraryFiles(dir = EXPERIMENTS_DIR): string[] {
  if (!existsSync(dir)) throw new UsageError(`--all runs every ${dir}/*.json, and there is no ${dir} folder here (run it from the project's root)`);
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => path.join(dir, name));
  if (files.length === 0) throw new UsageError(`--all found no experiment in ${dir}/`);
  return files;
}

/** Reads and checks an experiment file; a UsageError (exit 2) says what is wrong with it. */
export function loadExperiment(file: string, env: NodeJS.ProcessEnv = process.env): LoadedExperiment {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the experiment ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file} is not JSON: ${(error as Error).message}`);
  }
  try {
    const experiment = parseExperiment(json, file);
    // Checked now, so a library stops before its first run, not in the middle; the runner's values count as set.
    resolveConfiguration(experiment, env, { endpoint: '', state_file: '', seed: 0 });
    return { file, json, title: experiment.title, declared: declaredExtension(json) };
  } catch (error) {
    throw new UsageError(error instanceof ExperimentError ? error.message : `${file}: ${(error as Error).message}`);
  }
}

export interface CtkSettings {
  endpoint: string;
  /** The run's seed; a random one when not given. */
  seed?: number;
  /** User --var values. */
  vars?: Configuration;
  /** A single run's folder, or the library's with several files or --all. */
  reportDir?: string;
  /** Where the sampler's readings are taken; tests shorten it. */
  sampleEveryMs?: number;
}

export interface CtkIo {
  print?: (line: string) => void;
  signal?: AbortSignal;
  /** Whether stdout is a terminal (an activity's line is then drawn when it starts and completed in place). */
  tty?: boolean;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
  /** Extra files for each run's folder (name → content), asked for once the run is over: the demo's runtime.log. */
  attachments?: () => Record<string, string>;
}

const stamp = (date: Date) => date.toISOString().replace(/[:.]/g, '-');
const stem = (file: string) => path.basename(file, path.extname(file));

/** Points reports/latest at `dir` and rewrites the index, when the reports go to the default root. */
async function publish(dir: string, print: (line: string) => void, announce: boolean): Promise<void> {
  const root = path.resolve(path.dirname(dir)) === path.resolve(REPORTS_ROOT) ? REPORTS_ROOT : undefined;
  if (root) {
    const how = linkLatest(root, dir);
    if (announce) print(how === 'symlink' ? `${path.join(root, 'latest')} now points at it.` : `${path.join(root, 'latest')} is now a copy of it.`);
  }
  try {
    await writeIndex(root ?? path.dirname(dir));
  } catch (error) {
    print(`  (the index could not be written: ${(error as Error).message})`);
  }
}

/**
 * Runs the files (one: a run folder; several or --all: a library folder with a summary). The
 * exit code: see the help. Throws UsageError (exit 2) for an invalid file before anything runs.
 */
export async function runFiles(files: string[], library: boolean, settings: CtkSettings, io: CtkIo = {}): Promise<number> {
  const print = io.print ?? console.log;
  const env = io.env ?? process.env;
  const now = io.now ?? (() => new Date());
  const loaded = files.map((file) => loadExperiment(file, env));
  let kind: TargetKind;
  try {
    kind = await targetKind(settings.endpoint);
  } catch (error) {
    console.error(`Error: ${(error as Error).message}`);
    return 2;
  }
  const seed = settings.seed ?? Math.floor(Math.random() * 2 ** 32);
  print(`Chaos Toolkit experiments against ${settings.endpoint} (${kind}), seed ${seed} (replay with --seed ${seed})`);
  let timings: TargetTimings;
  try {
    timings = await readTimings(settings.endpoint);
  } catch (error) {
    timings = deployedTimings();
    print(`  (the target's timings could not be read: ${(error as Error).message}; the waits are sized from the deployed ones)`);
  }
  const state = stateReader(settings.endpoint, kind);
  const bound = settleBoundSeconds(timings);
  print(`Target timings: ${describeTimings(timings)}: before and after each experiment the runner waits up to ${bound} s for the target to settle`);
  const context: RunContext = {
    endpoint: settings.endpoint,
    kind,
    timings,
    settler: new Settler(state.read, bound),
    seed,
    vars: settings.vars ?? {},
    print,
    tty: io.tty ?? process.stdout.isTTY === true,
    env,
    ...(io.signal ? { signal: io.signal } : {}),
    ...(settings.sampleEveryMs ? { sampleEveryMs: settings.sampleEveryMs } : {}),
    ...(io.attachments ? { attachments: io.attachments } : {}),
  };
  try {
    return await runAll(loaded, library, settings, context, now);
  } finally {
    state.close();
  }
}

/** runFiles, once the target is known. */
async function runAll(loaded: LoadedExperiment[], library: boolean, settings: CtkSettings, context: RunContext, now: () => Date): Promise<number> {
  const { print, signal } = context;
  if (!library && loaded.length === 1) {
    const [one] = loaded as [LoadedExperiment];
    const runDir = settings.reportDir ?? path.join(REPORTS_ROOT, `${stamp(now())}-${stem(one.file)}`);
    const { entry, code } = await runOne(one, runDir, context);
    if (entry.outcome !== 'skipped') await publish(runDir, print, true);
    return code;
  }

  const libraryDir = settings.reportDir ?? path.join(REPORTS_ROOT, `${stamp(now())}-library`);
  mkdirSync(libraryDir, { recursive: true });
  const entries: LibraryEntry[] = [];
  let interrupted = false;
  for (const [i, one] of loaded.entries()) {
    if (signal?.aborted) {
      interrupted = true;
      break;
    }
    // A folder per run, named after its file (numbered when two files share a name).
    const unique = loaded.filter((other) => stem(other.file) === stem(one.file)).length === 1;
    const runDir = path.join(libraryDir, unique ? stem(one.file) : `${String(i + 1).padStart(2, '0')}-${stem(one.file)}`);
    const { entry } = await runOne(one, runDir, context);
    entries.push(entry);
    if (entry.outcome === 'interrupted') interrupted = true;
    if (entry.outcome !== 'skipped') await publish(libraryDir, print, false);
  }
  const notRun = loaded.slice(entries.length);
  try {
    // Absolute report folders: the summary links them relative to the library folder.
    await writeLibrarySummary(
      libraryDir,
      entries.map((entry) => (entry.reportDir ? { ...entry, reportDir: path.resolve(entry.reportDir) } : entry)),
    );
  } catch (error) {
    print(`(the library summary could not be written: ${(error as Error).message})`);
  }
  await publish(libraryDir, print, false);
  print(
    `\nLibrary: ${entries.length} of ${loaded.length} run${notRun.length > 0 ? ` (interrupted: ${notRun.map((one) => one.file).join(', ')} not started)` : ''}`,
  );
  for (const entry of entries)
    print(
      `  ${entry.asExpected ? '✔' : '✘'} ${entry.file}: ${entry.outcome}${entry.outcome === 'skipped' ? ` (${entry.reason})` : entry.outcome !== entry.expected ? ` (expected ${entry.expected})` : entry.outcome === 'deviated' ? ', as expected' : ''}${entry.leftover ? `; ${entry.leftover}` : ''}`,
    );
  print(`Summary: ${path.join(libraryDir, 'summary.md')} (junit.xml beside it)`);
  if (interrupted) return 130;
  if (entries.some((entry) => entry.outcome === 'aborted')) return 2;
  return entries.every((entry) => entry.asExpected) ? 0 : 1;
}
