/**
 * Runs one experiment of the library as `npm run experiment` would (a child process of
 * scripts/experiment.ts), keeps its output lines for the snapshot, and finds its report folder
 * in the line the runner prints ("Report: reports/<folder>/report.html").
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { EXPERIMENTS_DIR, REPO_ROOT, REPORTS_ROOT } from '../../shared/paths';
import type { ExperimentEntry, ExperimentState } from '../wire';

export const REPORTS_DIR = path.join(REPO_ROOT, REPORTS_ROOT);
/** Lines kept of a run's output. */
const MAX_LINES = 500;

/** The library's experiments: `experiments/<name>.json` with their titles. */
export function listExperiments(root = REPO_ROOT): ExperimentEntry[] {
  const dir = path.join(root, EXPERIMENTS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const text = readFileSync(path.join(dir, name), 'utf8');
      let title = name;
      try {
        title = String((JSON.parse(text) as { title?: unknown }).title ?? name);
      } catch {
        // An unreadable file is listed by its name; the runner will say what is wrong with it.
      }
      const offlineOnly = text.includes('/_offline/') || /"requires"\s*:\s*\[[^\]]*"offline"/.test(text);
      return { file: `${EXPERIMENTS_DIR}/${name}`, title, offlineOnly };
    });
}

/** The command line a user would type for the same run. */
export function experimentArgs(file: string, endpoint: string, vars: Record<string, string | number>): string[] {
  return [file, '--endpoint', endpoint, ...Object.entries(vars).flatMap(([key, value]) => ['--var', `${key}=${value}`])];
}

export class ExperimentRunner {
  state: ExperimentState | null = null;
  private child: ChildProcess | undefined;

  get running(): boolean {
    return this.child !== undefined;
  }

  start(file: string, args: string[]): void {
    const state: ExperimentState = { file, running: true, lines: [] };
    this.state = state;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts', 'experiment.ts'), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const onLine = (line: string) => {
      state.lines.push(line);
      if (state.lines.length > MAX_LINES) state.lines.splice(0, state.lines.length - MAX_LINES);
      const report = /Report: (.+?)[/\\]report\.html/.exec(line);
      if (report?.[1]) {
        const folder = path.relative(REPORTS_DIR, path.resolve(REPO_ROOT, report[1]));
        if (!folder.startsWith('..') && !path.isAbsolute(folder))
          state.reportUrl = `/dashboard/reports/${folder.split(path.sep).map(encodeURIComponent).join('/')}/report.html`;
      }
    };
    readline.createInterface({ input: child.stdout }).on('line', onLine);
    readline.createInterface({ input: child.stderr }).on('line', onLine);
    child.on('error', (error) => onLine(`Could not start the experiment: ${error.message}`));
    child.on('close', (code, signal) => {
      state.running = false;
      state.exitCode = code ?? (signal ? 130 : 1);
      if (this.child === child) this.child = undefined;
    });
  }

  /** Interrupts a run (as Ctrl-C does: its rollbacks run). */
  stop(): void {
    this.child?.kill('SIGINT');
  }
}
