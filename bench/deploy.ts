/**
 * The deploy section of `npm run bench`: start-up of the empty offline runtime, then the
 * synthesized stack applied and destroyed with the real Terraform, into a fresh empty offline
 * runtime and then into a fresh moto_server (one after the other, never side by side), each on a
 * free port with its state in a temporary folder.
 *
 * Where the time goes comes from the provider's own debug log (TF_LOG=DEBUG, written beside the
 * state): each "HTTP Response Received" entry carries the call's `http.duration`, so the same
 * figures hold for both targets: the calls, the sum of their durations as the provider saw them
 * (the server's answer plus the loopback hop), terraform's time before the changes (the provider
 * launched 3 or 4 times, validate, plan, refresh), and the changes themselves split into the time
 * a call was in flight and the rest: the provider waiting on its own timers (the SQS attribute
 * waiters' 6 polls 5 s apart, Lambda's 5 s delay).
 */
import { App } from 'cdktf';
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { localstack, region } from '#spec';
import { ProductStack } from '../infra/stack';
import { startRuntime } from '../offline/runtime/compose';
import { terraformVersion } from '../shared/terraform/env';
import { motoSkipReason, startMoto, terraform, terraformSkipReason } from '../shared/terraform/terraform';
import { startArgs } from './process';
import { REPO_ROOT } from '../shared/paths';

const stackId = 'product-service';

/** Samples of each start-up figure. */
export const startupSamples = { inProcess: 5, process: 3 } as const;
/** The issue's target for the empty runtime's start-up. */
export const startupTargetMs = 1_000;

/** One figure, as bench.ts records it. */
export type Figure = { name: string; unit: string } & ({ n: number; p50: number; p95: number; p99: number } | { value: number; n?: number });

/** One terraform command, read back from its debug log. */
export interface Phase {
  seconds: number;
  /** HTTP calls the provider made (responses it logged). */
  calls: number;
  /** Sum of the calls' durations as the provider measured them (server time plus the loopback hop). */
  answeringSeconds: number;
  /** Wall time during which at least one call was in flight (the union of the calls' intervals). */
  inFlightSeconds: number;
  /**
   * Terraform before the apply (or destroy) proper: its start, the provider's launches (3 or 4,
   * each a few seconds), validate, plan and refresh, up to the first call of the last provider launch.
   */
  beforeSeconds: number;
  /** The apply (or destroy) proper: from the last provider launch's first call to the end. */
  properSeconds: number;
  /** Of which at least one call in flight. */
  properInFlightSeconds: number;
  /** Of which no call in flight: the provider waiting on its own timers (and terraform's bookkeeping). */
  properIdleSeconds: number;
  /** Calls per `Service.Operation`. */
  operations: Record<string, number>;
  /** Calls the provider got a 5xx for, per operation. */
  serverErrors: Record<string, number>;
  /** Calls the server's own log lists (the offline runtime only). */
  serverCalls?: number;
}

export interface TargetRun {
  label: string;
  apply?: Phase;
  destroy?: Phase;
  skipped?: string;
  failed?: string;
}

const stamp = (line: string): number | undefined => {
  const raw = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:?\d\d)?\s/.exec(line);
  if (!raw) return undefined;
  const zone = raw[2] === undefined || raw[2] === 'Z' ? 'Z' : raw[2].replace(/^([+-]\d\d)(\d\d)$/, '$1:$2');
  return Date.parse(`${raw[1]}${zone}`);
};

const attribute = (line: string, key: string): string | undefined => {
  const match = new RegExp(`(?:^|\\s)${key.replace(/\./g, '\\.')}=("[^"]*"|\\S+)`).exec(line);
  return match?.[1]?.replace(/^"|"$/g, '');
};

/**
 * The log's entries: each starts with a timestamp; a multi-line value (a request or response
 * body) continues on the lines after it, and the entry's other attributes follow the value.
 */
export function logEntries(logText: string): string[] {
  const entries: string[] = [];
  for (const line of logText.split('\n')) {
    if (stamp(line) !== undefined || entries.length === 0) entries.push(line);
    // A body's lines (`  | …`) are left out: only the attributes are read.
    else if (!/^\s*\|/.test(line)) entries[entries.length - 1] += `\n${line}`;
  }
  return entries;
}

/** The figures of one terraform command from its TF_LOG=DEBUG file; `started`/`ended` are Date.now() around it. */
export function readPhase(logText: string, started: number, ended: number): Phase {
  const intervals: Array<[number, number]> = [];
  const operations: Record<string, number> = {};
  const serverErrors: Record<string, number> = {};
  // The first call of the last provider launch: where the apply (or destroy) proper begins.
  let lastLaunch: number | undefined;
  let properFrom: number | undefined;
  let answeringMs = 0;
  for (const line of logEntries(logText)) {
    if (/plugin started/.test(line) && line.includes('terraform-provider-aws')) {
      lastLaunch = stamp(line);
      properFrom = undefined;
      continue;
    }
    if (line.includes('HTTP Request Sent')) {
      properFrom ??= stamp(line) ?? lastLaunch;
      continue;
    }
    if (!line.includes('HTTP Response Received')) continue;
    const at = stamp(line);
    const duration = Number(attribute(line, 'http.duration') ?? NaN);
    if (at === undefined || !Number.isFinite(duration)) continue;
    answeringMs += duration;
    intervals.push([at - duration, at]);
    const name = `${attribute(line, 'rpc.service') ?? '?'}.${attribute(line, 'rpc.method') ?? '?'}`;
    operations[name] = (operations[name] ?? 0) + 1;
    if (Number(attribute(line, 'http.status_code')) >= 500) serverErrors[name] = (serverErrors[name] ?? 0) + 1;
  }
  intervals.sort((a, b) => a[0] - b[0]);
  /** The time at least one call was in flight from `since` on. */
  const inFlight = (since: number) => {
    let ms = 0;
    let reach = since;
    for (const [from, to] of intervals) {
      if (to <= reach) continue;
      ms += to - Math.max(from, reach);
      reach = to;
    }
    return ms;
  };
  const proper = Math.min(Math.max(properFrom ?? started, started), ended);
  const properInFlight = inFlight(proper);
  const s = (ms: number) => Math.round(ms / 10) / 100;
  return {
    seconds: s(ended - started),
    calls: intervals.length,
    answeringSeconds: s(answeringMs),
    inFlightSeconds: s(inFlight(-Infinity)),
    beforeSeconds: s(proper - started),
    properSeconds: s(ended - proper),
    properInFlightSeconds: s(properInFlight),
    properIdleSeconds: s(Math.max(0, ended - proper - properInFlight)),
    operations,
    serverErrors,
  };
}

/** The stack as `npm run deploy` synthesizes it (infra/main.ts), with its state kept in the stack folder. */
function synthesize(): { outdir: string; stackDir: string } {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'bench-deploy-synth-'));
  const app = new App({ outdir });
  new ProductStack(app, stackId, { kind: 'localstack', region, endpoint: localstack.endpoint }, { statePath: 'terraform.tfstate' });
  app.synth();
  return { outdir, stackDir: path.join(outdir, 'stacks', stackId) };
}

const applyTimeoutMs = 600_000;

/**
 * Applies then destroys the stack in a copy of `stackDir` against `endpoint`, each command timed
 * and read back from its debug log. `marks` lets the caller split its own log by command.
 */
async function deployCycle(
  stackDir: string,
  endpoint: string,
  keep: { dir: string; prefix: string } | undefined,
  marks: { begin(phase: 'apply' | 'destroy'): void; end(phase: 'apply' | 'destroy'): number | undefined } = { begin: () => undefined, end: () => undefined },
): Promise<{ apply: Phase; destroy: Phase }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-deploy-'));
  try {
    cpSync(stackDir, dir, { recursive: true });
    await terraform(dir, ['init', '-input=false']);
    const phase = async (name: 'apply' | 'destroy'): Promise<Phase> => {
      const logPath = path.join(dir, `${name}.log`);
      marks.begin(name);
      const started = Date.now();
      try {
        await terraform(dir, [name, '-input=false', '-auto-approve', '-var', `endpoint=${endpoint}`], applyTimeoutMs, {
          TF_LOG: 'DEBUG',
          TF_LOG_PATH: logPath,
        });
      } finally {
        // Kept also when the command failed: that is when the log is read.
        if (keep && existsSync(logPath)) {
          mkdirSync(keep.dir, { recursive: true });
          copyFileSync(logPath, path.join(keep.dir, `${keep.prefix}-${name}.log`));
        }
      }
      const ended = Date.now();
      const serverCalls = marks.end(name);
      return { ...readPhase(readFileSync(logPath, 'utf8'), started, ended), ...(serverCalls === undefined ? {} : { serverCalls }) };
    };
    const apply = await phase('apply');
    const destroy = await phase('destroy');
    return { apply, destroy };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function offlineCycle(stackDir: string, keepLogs: string | undefined): Promise<{ apply: Phase; destroy: Phase }> {
  let awsLines = 0;
  let from = 0;
  const runtime = await startRuntime({
    port: 0,
    empty: true,
    build: false,
    log: (line) => {
      // The calls the runtime answered, less its own event source's polls of the deployed queue.
      if (/^AWS \S+ => /.test(line) && !line.includes('(event source')) awsLines += 1;
    },
  });
  try {
    return await deployCycle(stackDir, runtime.url, keepLogs ? { dir: keepLogs, prefix: 'offline' } : undefined, {
      begin: () => {
        from = awsLines;
      },
      end: () => awsLines - from,
    });
  } finally {
    await runtime.stop();
  }
}

async function motoCycle(stackDir: string, keepLogs: string | undefined): Promise<{ apply: Phase; destroy: Phase }> {
  const moto = await startMoto();
  try {
    return await deployCycle(stackDir, moto.endpoint, keepLogs ? { dir: keepLogs, prefix: 'moto' } : undefined);
  } finally {
    await moto.stop();
  }
}

/** Start-up of `npm start -- --empty` as a process: until its ready line, and the figure it prints itself. */
async function processStartup(): Promise<{ wallMs: number; readyMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [...startArgs(), '--empty', '--port', '0', '--quiet'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    return await new Promise((resolve, reject) => {
      const lines = readline.createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        const ready = /Offline runtime ready in (\d+) ms/.exec(line);
        if (ready) resolve({ wallMs: performance.now() - started, readyMs: Number(ready[1]) });
      });
      child.once('exit', (code) => reject(new Error(`npm start -- --empty exited (${code}) before it was ready: ${stderr.trim().slice(-800)}`)));
      setTimeout(() => reject(new Error('npm start -- --empty was not ready within 60 s')), 60_000).unref();
    });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  }
}

export interface DeploySection {
  figures: Figure[];
  /** A target that failed: the bench then exits 1. */
  failed: boolean;
}

/** The figures' names: one place, so help, table and JSON agree. */
export const deployNames = {
  startupFirst: 'empty runtime start-up, first in a process (startRuntime)',
  startupInProcess: 'empty runtime start-up, later ones (startRuntime)',
  startupReported: 'npm start -- --empty: "ready in" it prints',
  startupProcess: 'npm start -- --empty: process start to ready line',
  figure: (label: string, phase: 'apply' | 'destroy', what: string) => `${label} ${phase}${what ? `: ${what}` : ''}`,
};

const targets = { offline: 'offline runtime', moto: 'moto_server' } as const;

/** The deploy section: measures, prints a side-by-side table, and returns the figures for the JSON file. */
export async function deploySection(
  record: (figure: Figure, print?: boolean) => void,
  distribution: (name: string, samples: number[], unit?: string) => Figure,
  /** Where to keep terraform's debug logs (offline-apply.log, …, moto-destroy.log); none kept by default. */
  keepLogs?: string,
): Promise<DeploySection> {
  const inProcess: number[] = [];
  for (let i = 0; i < startupSamples.inProcess; i += 1) {
    const started = performance.now();
    const runtime = await startRuntime({ port: 0, empty: true, build: false, log: () => undefined });
    inProcess.push(performance.now() - started);
    await runtime.stop();
  }
  const processes: Array<{ wallMs: number; readyMs: number }> = [];
  for (let i = 0; i < startupSamples.process; i += 1) processes.push(await processStartup());
  const round = (ms: number) => Math.round(ms * 10) / 10;
  for (const figure of [
    { name: deployNames.startupFirst, unit: 'ms', value: round(inProcess[0] ?? NaN) },
    distribution(deployNames.startupInProcess, inProcess.slice(1)),
    distribution(
      deployNames.startupReported,
      processes.map((p) => p.readyMs),
    ),
    distribution(
      deployNames.startupProcess,
      processes.map((p) => p.wallMs),
    ),
  ])
    record(figure);
  console.log(
    `  (target ≤ ${startupTargetMs} ms. The first start in a process loads the emulators' modules (fauxqs), unless section app ran first; ` +
      'the process figure adds starting Node and tsx compiling the TypeScript)',
  );

  const runs: TargetRun[] = [];
  const terraformMissing = terraformSkipReason();
  if (terraformMissing) {
    console.log(`  deploy (terraform apply/destroy): skipped, ${terraformMissing}`);
    return { figures: [], failed: false };
  }
  const { outdir, stackDir } = synthesize();
  try {
    console.log(`  (terraform ${terraformVersion() ?? '?'}: apply and destroy into ${targets.offline}, then into ${targets.moto}, one after the other...)`);
    const offlineRun: TargetRun = { label: targets.offline };
    try {
      Object.assign(offlineRun, await offlineCycle(stackDir, keepLogs));
    } catch (error) {
      offlineRun.failed = error instanceof Error ? error.message : String(error);
    }
    runs.push(offlineRun);
    const motoRun: TargetRun = { label: targets.moto };
    const motoMissing = motoSkipReason();
    if (motoMissing) motoRun.skipped = motoMissing;
    else {
      try {
        Object.assign(motoRun, await motoCycle(stackDir, keepLogs));
      } catch (error) {
        motoRun.failed = error instanceof Error ? error.message : String(error);
      }
    }
    runs.push(motoRun);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }

  const figures: Figure[] = [];
  for (const run of runs) {
    for (const phase of ['apply', 'destroy'] as const) {
      const figure = run[phase];
      if (!figure) continue;
      const name = (what: string) => deployNames.figure(run.label, phase, what);
      figures.push(
        { name: name(''), unit: 's', value: figure.seconds },
        { name: name('AWS calls'), unit: 'calls', value: figure.calls },
        { name: name('sum of call durations'), unit: 's', value: figure.answeringSeconds },
        { name: name('a call in flight'), unit: 's', value: figure.inFlightSeconds },
        { name: name('terraform before the apply or destroy proper'), unit: 's', value: figure.beforeSeconds },
        { name: name('the apply or destroy proper'), unit: 's', value: figure.properSeconds },
        { name: name('the apply or destroy proper, a call in flight'), unit: 's', value: figure.properInFlightSeconds },
        { name: name('the apply or destroy proper, no call in flight'), unit: 's', value: figure.properIdleSeconds },
      );
      if (figure.serverCalls !== undefined) figures.push({ name: name("AWS calls in the runtime's log"), unit: 'calls', value: figure.serverCalls });
    }
  }
  // The table shows them; the JSON file gets each as a figure.
  console.log(sideBySide(runs));
  for (const figure of figures) record(figure, false);
  return { figures, failed: runs.some((run) => run.failed !== undefined) };
}

/** The two targets in columns, and the calls whose counts differ between them. */
export function sideBySide(runs: TargetRun[]): string {
  const rows: Array<[string, (p: Phase) => string]> = [
    ['wall time', (p) => `${p.seconds.toFixed(1)} s`],
    ['  terraform first: provider launches, plan, refresh', (p) => `${p.beforeSeconds.toFixed(1)} s`],
    ["  then the changes (from the last launch's first call)", (p) => `${p.properSeconds.toFixed(1)} s`],
    ['    a call in flight (the server, and the hop)', (p) => `${p.properInFlightSeconds.toFixed(2)} s`],
    ["    no call in flight (the provider's own waits)", (p) => `${p.properIdleSeconds.toFixed(1)} s`],
    ['AWS calls', (p) => String(p.calls)],
    ['sum of call durations (calls overlap)', (p) => `${p.answeringSeconds.toFixed(2)} s`],
    ['a call in flight, the whole run', (p) => `${p.inFlightSeconds.toFixed(2)} s`],
    ['5xx answers', (p) => String(Object.values(p.serverErrors).reduce((a, b) => a + b, 0))],
    ["AWS calls in the server's own log", (p) => (p.serverCalls === undefined ? '–' : String(p.serverCalls))],
  ];
  const width = 56;
  const column = 22;
  const lines = [`\n  ${'deploy, side by side'.padEnd(width)}${runs.map((run) => run.label.padStart(column)).join('')}`];
  for (const phase of ['apply', 'destroy'] as const) {
    lines.push(`  terraform ${phase}`);
    for (const [label, cell] of rows) {
      lines.push(
        `    ${label.padEnd(width - 2)}${runs
          .map((run) => {
            const figure = run[phase];
            return (figure ? cell(figure) : run.skipped ? 'skipped' : 'failed').padStart(column);
          })
          .join('')}`,
      );
    }
  }
  const [a, b] = runs;
  for (const phase of ['apply', 'destroy'] as const) {
    const left = a?.[phase]?.operations;
    const right = b?.[phase]?.operations;
    if (!left || !right) continue;
    const differ = [...new Set([...Object.keys(left), ...Object.keys(right)])]
      .sort()
      .filter((op) => (left[op] ?? 0) !== (right[op] ?? 0))
      .map((op) => `${op} ${left[op] ?? 0} vs ${right[op] ?? 0}`);
    lines.push(`  ${phase}: calls whose count differs (${a.label} vs ${b.label}): ${differ.length > 0 ? differ.join(', ') : 'none'}`);
  }
  for (const run of runs) {
    if (run.skipped) lines.push(`  ${run.label}: skipped, ${run.skipped}`);
    if (run.failed) lines.push(`  ${run.label}: failed: ${run.failed.slice(0, 2000)}`);
  }
  return lines.join('\n');
}
