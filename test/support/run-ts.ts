/** Runs a TypeScript command line of ours as a process (tsx), as `npm run` would, and collects what it printed and its exit code. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './processes';

export interface TsRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function runTs(script: string, args: string[], timeoutMs = 30_000): Promise<TsRun> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('npm_')));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, script), ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}
