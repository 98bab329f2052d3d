import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { REPO_ROOT } from '../../shared/paths';

/** Starts a TypeScript program under tsx and resolves with the first JSON object line it prints (earlier lines are its logs). */
export async function startTsChild<T>(script: string, args: string[] = [], env: NodeJS.ProcessEnv = process.env): Promise<{ child: ChildProcess; ready: T }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, script), ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = readline.createInterface({ input: child.stdout! });
  try {
    const ready = await new Promise<T>((resolve, reject) => {
      const onLine = (line: string) => {
        if (!line.startsWith('{')) return;
        lines.off('line', onLine);
        resolve(JSON.parse(line) as T);
      };
      lines.on('line', onLine);
      child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready:\n${stderr}`)));
    });
    lines.close();
    return { child, ready };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
