/**
 * `npm run synth|plan|deploy|destroy`: the cdktf CLI with the Terraform environment from
 * terraform-env.ts (offline provider mirror where there is one, no version check). Extra
 * arguments go to cdktf, e.g. `npm run deploy -- --auto-approve`.
 */
import { spawnSync } from 'node:child_process';
import { mirrorConfig, terraformEnv } from './terraform-env';

const commands: Record<string, string[]> = {
  synth: ['synth'],
  plan: ['diff'],
  deploy: ['deploy'],
  destroy: ['destroy'],
};

function main(): number {
  const [command, ...rest] = process.argv.slice(2);
  const cdktfArgs = command ? commands[command] : undefined;
  if (!cdktfArgs) {
    console.error(`Usage: tsx scripts/cdktf.ts <${Object.keys(commands).join('|')}> [cdktf options]`);
    return 2;
  }
  const env = terraformEnv();
  // cdktf would run `terraform providers lock`, which asks the registry even when a mirror serves the provider.
  const offline = env.TF_CLI_CONFIG_FILE === mirrorConfig && command !== 'synth' ? ['--skip-provider-lock'] : [];
  const result = spawnSync('npx', ['cdktf', ...cdktfArgs, ...offline, ...rest], { stdio: 'inherit', env });
  return result.status ?? 1;
}

process.exit(main());
