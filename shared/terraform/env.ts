/**
 * The environment for terraform and cdktf. Where the offline provider mirror exists and the user
 * has no Terraform CLI config of their own, use the project's, so init/plan/apply work offline;
 * elsewhere terraform downloads the provider from the registry as usual.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../paths';

export const mirrorDir = '/opt/tf-plugins';
export const mirrorConfig = path.join(REPO_ROOT, 'infra', 'terraform-mirror.tfrc');

export function terraformEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, CHECKPOINT_DISABLE: '1' };
  const own = base.TF_CLI_CONFIG_FILE;
  const hasOwn = own ? existsSync(own) : existsSync(path.join(process.env.HOME ?? '', '.terraformrc'));
  if (!hasOwn && existsSync(mirrorDir)) env.TF_CLI_CONFIG_FILE = mirrorConfig;
  return env;
}

/** The terraform binary's version, or undefined when there is none on PATH. */
export function terraformVersion(): string | undefined {
  try {
    const out = execFileSync('terraform', ['version', '-json'], { env: terraformEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return (JSON.parse(out) as { terraform_version: string }).terraform_version;
  } catch {
    return undefined;
  }
}
