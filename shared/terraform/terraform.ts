/**
 * Running the real Terraform against an emulator, shared by the deploy tests and `npm run bench`:
 * whether terraform (and moto_server) can run here, one terraform command in a synthesized stack
 * folder, and a moto_server of our own on a free port.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { promisify } from 'node:util';
import { mirrorDir, terraformEnv, terraformVersion } from './env';

const run = promisify(execFile);

/** Why terraform cannot run here, or undefined when it can. */
export function terraformSkipReason(): string | undefined {
  if (!terraformVersion()) return 'terraform is not on PATH';
  if (!existsSync(mirrorDir) && !process.env.TF_CLI_CONFIG_FILE) return `the offline provider mirror ${mirrorDir} is absent and no TF_CLI_CONFIG_FILE is set`;
  return undefined;
}

/**
 * One terraform command in `dir` (a synthesized stack folder), with the project's Terraform
 * environment plus `env`; resolves with its stdout, or fails with its stderr and the end of its stdout.
 */
export async function terraform(dir: string, args: string[], timeoutMs = 240_000, env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await run('terraform', [...args, '-no-color'], {
      cwd: dir,
      env: { ...terraformEnv(), ...env },
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`terraform ${args.join(' ')} failed:\n${stderr}\n${stdout.slice(-4000)}`);
  }
}

/** Why moto_server cannot run here, or undefined when it can. */
export function motoSkipReason(): string | undefined {
  try {
    execFileSync('moto_server', ['--help'], { stdio: 'ignore' });
  } catch {
    return 'moto_server is not installed';
  }
  return undefined;
}

/** A port nothing listens on right now, on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once something accepts connections on 127.0.0.1:`port`; fails after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number, what = 'moto_server'): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(socket.destroy() === socket));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > until) throw new Error(`${what} did not listen on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export interface Moto {
  endpoint: string;
  process: ChildProcess;
  /** Ends this moto_server (only the process started here). */
  stop(): Promise<void>;
}

/** A fresh moto_server of our own on a free port, once it listens. */
export async function startMoto(timeoutMs = 30_000): Promise<Moto> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
    await exited;
  };
  try {
    await waitForPort(port, timeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint: `http://127.0.0.1:${port}`, process: child, stop };
}
