/**
 * The offline runtime as `npm start` runs it, in a process of its own, for the bench sections that
 * read it from the outside (/proc): its CPU time (section dashboard) and its memory (section memory).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { REPO_ROOT } from '../shared/paths';

/**
 * Node's arguments for the runtime, read from `npm start` in package.json (`node <args>`), so the
 * bench measures the runtime exactly as users start it.
 */
export function startArgs(): string[] {
  const { scripts } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [command, ...args] = scripts.start.split(/\s+/);
  if (command !== 'node') throw new Error(`package.json's start script should run node, got: ${scripts.start}`);
  return args;
}

export interface RuntimeProcess {
  child: ChildProcess;
  pid: number;
  url: string;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts the runtime as `npm start` does (scripts/start.ts) on a free port with `args`; resolves once it says it is ready (the app deployed, unless --empty). */
export async function startRuntimeProcess(args: string[]): Promise<RuntimeProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...startArgs(), '--port', String(port), ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let exited: (code: number | null) => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`the runtime did not say it was ready within 60 s:\n${stderr}`)), 60_000);
      exited = (code) => reject(new Error(`the runtime exited with ${code} before it was ready:\n${stderr}`));
      child.once('exit', exited);
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('Offline runtime ready')) resolve();
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
    child.off('exit', exited);
    // From now on its log (a line per AWS call) is read and dropped, so a full pipe never holds it up.
    child.stdout?.removeAllListeners('data').resume();
  }
  return { child, pid: child.pid ?? 0, url: `http://127.0.0.1:${port}` };
}

/** Stops the runtime (SIGTERM, as Ctrl-C does) and waits for its exit. */
export async function stopRuntimeProcess({ child }: RuntimeProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** The process's resident memory (VmRSS) in KiB; 0 once it has gone. */
function rssKiB(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Every process below `pid` (children, their children...), from each process's parent in /proc/<pid>/stat. */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // it ended meanwhile
    }
    // The fields after the command name (which may hold spaces): state, then the parent's pid.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  for (let queue = [pid]; queue.length > 0;) {
    const below = queue.flatMap((each) => children.get(each) ?? []);
    found.push(...below);
    queue = below;
  }
  return found;
}

/**
 * Resident memory of the process and of its child processes, in MiB. The runtime's worker threads
 * (the Lambda environments) are in the process's own figure; a child process (esbuild's service,
 * for one) is a figure of its own.
 */
export function processTreeRss(pid: number): { processMiB: number; childrenMiB: number } {
  const toMiB = (kib: number) => Math.round((kib / 1024) * 10) / 10;
  return { processMiB: toMiB(rssKiB(pid)), childrenMiB: toMiB(descendants(pid).reduce((sum, each) => sum + rssKiB(each), 0)) };
}
