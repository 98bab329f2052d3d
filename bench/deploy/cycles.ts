/**
 * One deploy cycle of the bench's deploy section: the synthesized stack applied and destroyed with
 * the real Terraform into a fresh empty offline runtime or a fresh moto_server, each on a free port
 * with its state in a temporary folder; and the start-up of `npm start -- --empty` as a process.
 */
import { App } from 'cdktf';
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { localstack, region } from '#spec';
import { ProductStack } from '../../infra/stack';
import { startRuntime } from '../../offline/runtime/compose';
import { REPO_ROOT } from '../../shared/paths';
import { startMoto, terraform } from '../../shared/terraform/terraform';
import { startArgs } from '../process';
import { type DeployPhase, readPhase } from './log-phases';

const stackId = 'product-service';

/** The stack as `npm run deploy` synthesizes it (infra/main.ts), with its state kept in the stack folder. */
export function synthesize(): { outdir: string; stackDir: string } {
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
): Promise<{ apply: DeployPhase; destroy: DeployPhase }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-deploy-'));
  try {
    cpSync(stackDir, dir, { recursive: true });
    await terraform(dir, ['init', '-input=false']);
    const phase = async (name: 'apply' | 'destroy'): Promise<DeployPhase> => {
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

export async function offlineCycle(stackDir: string, keepLogs: string | undefined): Promise<{ apply: DeployPhase; destroy: DeployPhase }> {
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

export async function motoCycle(stackDir: string, keepLogs: string | undefined): Promise<{ apply: DeployPhase; destroy: DeployPhase }> {
  const moto = await startMoto();
  try {
    return await deployCycle(stackDir, moto.endpoint, keepLogs ? { dir: keepLogs, prefix: 'moto' } : undefined);
  } finally {
    await moto.stop();
  }
}

/** Start-up of `npm start -- --empty` as a process: until its ready line, and the figure it prints itself. */
export async function processStartup(): Promise<{ wallMs: number; readyMs: number }> {
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
