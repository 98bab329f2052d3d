/**
 * The deploy section of `npm run bench`: start-up of the empty offline runtime, then the
 * synthesized stack applied and destroyed with the real Terraform, into a fresh empty offline
 * runtime and then into a fresh moto_server (one after the other, never side by side), each
 * cycle (cycles.ts) read back from the provider's debug log (log-phases.ts), and the two targets
 * shown side by side.
 */
import { rmSync } from 'node:fs';
import { startRuntime } from '../../offline/runtime/compose';
import { terraformVersion } from '../../shared/terraform/env';
import { motoSkipReason, terraformSkipReason } from '../../shared/terraform/terraform';
import type { Result } from '../figures';
import { motoCycle, offlineCycle, processStartup, synthesize } from './cycles';
import type { DeployPhase } from './log-phases';

/** Samples of each start-up figure. */
export const startupSamples = { inProcess: 5, process: 3 } as const;
/** The issue's target for the empty runtime's start-up. */
export const startupTargetMs = 1_000;

export interface TargetRun {
  label: string;
  apply?: DeployPhase;
  destroy?: DeployPhase;
  skipped?: string;
  failed?: string;
}

export interface DeploySection {
  figures: Result[];
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
  record: (figure: Result, print?: boolean) => void,
  distribution: (name: string, samples: number[], unit?: string) => Result,
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

  const figures: Result[] = [];
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
  const rows: Array<[string, (p: DeployPhase) => string]> = [
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
