import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Testing } from 'cdktf';
import type { ProductStack } from '../../infra/stack';
import { mirrorDir, terraformEnv, terraformVersion } from '../../scripts/terraform-env';

const run = promisify(execFile);

/** Why terraform tests cannot run here, or undefined when they can. */
export function terraformSkipReason(): string | undefined {
  if (!terraformVersion()) return 'terraform is not on PATH';
  if (!existsSync(mirrorDir) && !process.env.TF_CLI_CONFIG_FILE) return `the offline provider mirror ${mirrorDir} is absent and no TF_CLI_CONFIG_FILE is set`;
  return undefined;
}

/** Synthesizes the stack with its assets and returns the folder terraform runs in. */
export function synthToDir(stack: ProductStack): string {
  return path.join(Testing.fullSynth(stack), 'stacks', stack.node.id);
}

export async function terraform(dir: string, args: string[], timeoutMs = 240_000): Promise<string> {
  try {
    const { stdout } = await run('terraform', [...args, '-no-color'], { cwd: dir, env: terraformEnv(), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`terraform ${args.join(' ')} failed:\n${stderr}\n${stdout.slice(-4000)}`);
  }
}
