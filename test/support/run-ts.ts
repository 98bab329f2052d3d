/** Runs a TypeScript command line of ours as a process (tsx), as `npm run` would, and collects what it printed and its exit code. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { SDK_NOTICE_OFF } from '../../shared/cli/quiet-sdk';
import { REPO_ROOT } from '../../shared/paths';
import { scaled } from './time-scale';

export interface TsRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From the start to the end of its output. */
  ms: number;
}

/**
 * Runs `script` with `args` under tsx (`loader`: Node's arguments that load it), in a user's environment: without npm's npm_* settings and
 * without the test set-up's silencing of the SDK's Node version notice. In a process group of its
 * own, so a program that ignored its arguments and went on is stopped whole after `timeoutMs`
 * (scaled: time-scale.ts; said at the end of stderr).
 */
export async function runTs(script: string, args: string[], timeoutMs = 30_000, loader = ['--import', 'tsx']): Promise<TsRun> {
  const limitMs = scaled(timeoutMs);
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('npm_') && name !== SDK_NOTICE_OFF));
  const started = Date.now();
  const child = spawn(process.execPath, [...loader, path.join(REPO_ROOT, script), ...args], {
    cwd: REPO_ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => {
    stderr += `\n[killed after ${limitMs} ms]`;
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  }, limitMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr, ms: Date.now() - started };
}
