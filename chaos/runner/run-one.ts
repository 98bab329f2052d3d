/**
 * One experiment of `npm run experiment`, from the loaded file to its report folder: skipped
 * when the target cannot run it, its waits sized, the target settled before it, the run itself
 * with the sampler and the live progress line, the target settled after it, where its products
 * ended, then the journal, the report and the summary on stdout.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AppClient } from '../../shared/app-client/app-client';
import { LAMBDA_FAULTS_PATH, type TargetKind } from '../../shared/contracts/offline-api';
import { readRecords, type WriteRecord } from '../probes/records';
import { leftoverText, writeRunReport } from '../report/index';
import { summaryLines } from '../report/writes';
import type { Configuration } from './configuration';
import { productsAtEnd } from './end-state';
import { followUps } from './follow-ups';
import { type ChaosCall, exitCode, JOURNAL_EXTRAS, type Journal, type Settling } from './journal';
import type { LibraryEntry } from '../report/junit';
import { outcomeOf } from '../report/model';
import { entryLine, liveText, progressLines } from './lines';
import { EFFECTS_PATH, FAULTS_PATH, prepareRequest, skipReason, type Declared } from './offline-extensions';
import { runExperiment } from './run';
import { type Sampler, startSampler, targetReadings } from './sampler';
import type { Settler } from './settle';
import { type Sizing, sizeRun } from './sizing';
import type { TargetTimings } from './timings';

/** An experiment file read and checked (cli.ts loadExperiment). */
export interface LoadedExperiment {
  file: string;
  json: unknown;
  title: string;
  declared: Declared;
}

export interface RunContext {
  endpoint: string;
  kind: TargetKind;
  /** The target's timings: each run's waits are sized from them (sizing.ts). */
  timings?: TargetTimings;
  /** Waits for the target to settle before each run and after it (settle.ts). */
  settler?: Settler;
  seed: number;
  vars: Configuration;
  print: (line: string) => void;
  tty: boolean;
  signal?: AbortSignal;
  env: NodeJS.ProcessEnv;
  sampleEveryMs?: number;
  /** Extra files for each run's folder (name → content), asked for once the run is over: the demo's runtime.log. */
  attachments?: () => Record<string, string>;
}

/** The probes' writes: none when no probe wrote, or when the file is not theirs. */
function readWrites(file: string): WriteRecord[] {
  if (!existsSync(file)) return [];
  try {
    return readRecords(file);
  } catch {
    return [];
  }
}

/** How a wait for the target ended, in one progress line. */
const settledLine = (settling: Settling) =>
  settling.settled ? `  · settled after ${settling.waited} s` : `  ✘ not settled after ${settling.waited} s: ${settling.remaining.join('; ')}`;

const CHAOS_PATHS = [FAULTS_PATH, EFFECTS_PATH, LAMBDA_FAULTS_PATH];
const isChaosCall = (url: string) => {
  try {
    return CHAOS_PATHS.includes(new URL(url).pathname.replace(/\/$/, ''));
  } catch {
    return false;
  }
};

/** Runs one experiment into `runDir` (or skips it); never throws for what the run did. */
export async function runOne(loaded: LoadedExperiment, runDir: string, context: RunContext): Promise<{ entry: LibraryEntry; code: number }> {
  const { file, json, title, declared } = loaded;
  const { print } = context;
  const expected = declared.expect;
  print(`\n${title}\n  ${file} against ${context.endpoint} (${context.kind}), seed ${context.seed}, expected to ${expected === 'held' ? 'hold' : 'deviate'}`);
  if (declared.why) print(`  why: ${declared.why}`);
  const skipped = (reason: string) => {
    print(entryLine({ outcome: 'skipped', expected, reason: `not run on ${context.endpoint}: ${reason}` }));
    return { entry: { file, title, outcome: 'skipped' as const, expected, asExpected: true, reason }, code: 0 };
  };
  const skip = skipReason(json, context.kind, declared);
  if (skip) return skipped(skip);
  const sizing = context.timings
    ? sizeRun({
        json,
        declared,
        env: context.env,
        vars: context.vars,
        provided: { endpoint: context.endpoint, state_file: '', seed: context.seed },
        timings: context.timings,
        kind: context.kind,
      })
    : { vars: {}, notes: [] };
  if (sizing.skip) return skipped(sizing.skip);
  for (const note of sizing.notes) print(`  · ${note}`);
  const before = await context.settler?.before({
    ...(context.signal ? { signal: context.signal } : {}),
    onWait: (found, bound) => print(`  … waiting up to ${bound} s for the target to settle before the hypothesis: ${found.join('; ')}`),
  });
  if (before?.skip) return skipped(before.skip);
  if (before?.settling) print(settledLine(before.settling));
  mkdirSync(runDir, { recursive: true });
  const stateFile = path.join(runDir, 'writes.jsonl');
  const client = new AppClient(context.endpoint, { maxAttempts: 1 });
  try {
    return await runAndReport(loaded, runDir, context, { stateFile, client, before, sizing });
  } finally {
    client.dynamo.destroy();
    client.sqs.destroy();
  }
}

/** What runOne made ready before the run. */
interface Prepared {
  stateFile: string;
  client: AppClient;
  /** How the wait for the target to settle went, and the state it started from. */
  before: Awaited<ReturnType<Settler['before']>> | undefined;
  sizing: Pick<Sizing, 'vars' | 'notes'>;
}

/** runOne once the target is settled: the run, what it left, where its products ended, the journal and the report. */
async function runAndReport(
  { file, json, title, declared }: LoadedExperiment,
  runDir: string,
  context: RunContext,
  { stateFile, client, before, sizing }: Prepared,
): Promise<{ entry: LibraryEntry; code: number }> {
  const { print } = context;
  const expected = declared.expect;
  const later = followUps();
  const chaosCalls: ChaosCall[] = [];
  const readings = targetReadings(client, stateFile);
  let sampler: Sampler | undefined;
  let journal: Journal;
  try {
    journal = await runExperiment(json, {
      onStart: () => (sampler = startSampler(readings, context.sampleEveryMs)),
      ...(context.signal ? { signal: context.signal } : {}),
      env: context.env,
      vars: { ...context.vars, ...sizing.vars },
      provided: { endpoint: context.endpoint, state_file: stateFile, seed: context.seed },
      onRequest: (request) => {
        const prepared = prepareRequest(context.kind, context.seed, request);
        const answered = (status: number) => {
          // Epoch ms until the journal's start is known; the windows of the report are read from these.
          if (isChaosCall(request.url))
            chaosCalls.push({ activity: request.activity, method: request.method, url: request.url, body: prepared.body, t: Date.now(), status });
          // The duration counts from when the target took the rule.
          if (status >= 200 && status < 300) prepared.followUps.forEach((followUp) => later.schedule(followUp));
        };
        return { body: prepared.body, answered };
      },
      progress: progressLines(print, context.tty, undefined, { live: () => liveText(sampler?.latest()) }),
    });
  } catch (error) {
    await sampler?.stop(0);
    throw error;
  } finally {
    await later.flush();
  }
  const origin = Date.parse(journal.start);
  for (const record of [...later.done, ...chaosCalls]) record.t -= origin;
  const extras = journal[JOURNAL_EXTRAS];
  extras.series = (await sampler?.stop(origin)) ?? [];
  // Not after Ctrl-C: the user wants the run to stop, not to wait.
  const leftover =
    before && !context.signal?.aborted
      ? await context.settler?.after(file, before.baseline, {
          ...(context.signal ? { signal: context.signal } : {}),
          onWait: (found, bound) => print(`  … the run left ${found.join('; ')}: waiting up to ${bound} s for it to settle`),
        })
      : undefined;
  if (leftover) print(settledLine(leftover));
  extras.writes = readWrites(stateFile);
  if (extras.writes.length > 0) extras.products = await productsAtEnd(readings, extras.writes, origin);
  if (context.timings) extras.timings = context.timings;
  if (sizing.notes.length > 0) extras.sized = sizing.notes;
  if (before?.settling) extras.unsettledBefore = before.settling;
  if (leftover) extras.leftover = leftover;
  extras.file = file;
  extras.target = { endpoint: context.endpoint, kind: context.kind };
  extras.seed = context.seed;
  extras.expected = { outcome: expected, ...(declared.why ? { why: declared.why } : {}) };
  if (chaosCalls.length > 0) extras.chaosCalls = chaosCalls;
  if (later.done.length > 0) extras.followUps = later.done;
  writeFileSync(path.join(runDir, 'journal.json'), `${JSON.stringify(journal, null, 2)}\n`);
  const attachments = context.attachments?.() ?? {};
  for (const [name, content] of Object.entries(attachments)) writeFileSync(path.join(runDir, name), content);
  try {
    await writeRunReport(runDir, journal, { attachments: Object.keys(attachments) });
  } catch (error) {
    print(`  (the report could not be written: ${(error as Error).message}; journal.json is there)`);
  }
  const outcome = outcomeOf(journal);
  const entry: LibraryEntry = {
    file,
    title,
    outcome,
    expected,
    // A leftover that did not settle is the run's finding too: the system did not come back by itself.
    asExpected: outcome === expected && (leftover?.settled ?? true),
    ...(extras.reason && outcome !== 'held' ? { reason: extras.reason } : {}),
    ...(leftover ? { leftover: leftoverText(leftover) } : {}),
    reportDir: runDir,
  };
  print(entryLine(entry));
  if (leftover) print(`  ${leftover.settled ? '·' : '✘'} ${leftoverText(leftover)}`);
  const summary = summaryLines(journal);
  if (summary.length > 0) print(['', ...summary, ''].join('\n'));
  print(
    `  Report: ${path.join(runDir, 'report.html')} (report.md, junit.xml, journal.json${Object.keys(attachments)
      .map((name) => `, ${name}`)
      .join('')} beside it)`,
  );
  // A held run that left the target unsettled did not end as expected either (see asExpected).
  return { entry, code: leftover && !leftover.settled && exitCode(journal) === 0 ? 1 : exitCode(journal) };
}
