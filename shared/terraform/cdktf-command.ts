/**
 * `npm run synth|plan|deploy|destroy`: the cdktf CLI with the Terraform environment from
 * shared/terraform/env.ts (offline provider mirror where there is one, no version check). Extra
 * arguments go to cdktf unchanged, e.g. `npm run deploy -- --auto-approve`, once they are checked
 * against the options cdktf-cli 0.21.0 takes: cdktf itself ignores an option it does not know,
 * so a typo such as `--auto-aprove` would otherwise go unnoticed.
 */
import { spawnSync } from 'node:child_process';
import { command, type Command, int, Option, parse, UsageError } from '../cli/command';
import { mirrorConfig, terraformEnv } from './env';

interface PassThrough {
  flags: string;
  description: string;
  /** A whole-number option and its smallest value. */
  min?: number;
  /** Accepted and passed on, but left out of the help (named in its closing text instead). */
  hidden?: boolean;
}

// cdktf's own options (cdktf-cli 0.21.0, `npx cdktf <command> --help`), in its words, shortened.
const appAndOutput: PassThrough[] = [
  { flags: '-a, --app <command>', description: 'command that runs the cdktf app (default: from cdktf.json)' },
  { flags: '-o, --output <dir>', description: 'directory for the synthesized Terraform config (default: cdktf.out)' },
];
const globals: PassThrough[] = [
  { flags: '--experimental-provider-schema-cache-path <dir>', description: 'an experimental provider schema cache', hidden: true },
  { flags: '--disable-plugin-cache-env', description: 'do not set TF_PLUGIN_CACHE_DIR', hidden: true },
  { flags: '--log-level <level>', description: 'log level (cdktf reads it only from CDKTF_LOG_LEVEL)', hidden: true },
  { flags: '--log-file-directory <dir>', description: 'where to write cdktf.log (read only from CDKTF_LOG_FILE_DIRECTORY)', hidden: true },
  { flags: '--version', description: "print cdktf's version" },
];
const option = {
  autoApprove: { flags: '--auto-approve', description: 'do not ask for approval' },
  outputsFile: { flags: '--outputs-file <file>', description: 'write the stack outputs to this JSON file' },
  sensitiveOutputs: { flags: '--outputs-file-include-sensitive-outputs', description: 'include sensitive outputs in the outputs file' },
  ignoreMissing: { flags: '--ignore-missing-stack-dependencies', description: "do not check that the stacks' dependencies are included" },
  parallelism: { flags: '--parallelism <n>', description: 'concurrent stacks (-1: no limit)', min: -1 },
  refreshOnly: { flags: '--refresh-only', description: 'plan in "refresh only" mode' },
  terraformParallelism: { flags: '--terraform-parallelism <n>', description: "Terraform's -parallelism (-1: not passed)", min: -1 },
  noColor: { flags: '--no-color', description: 'no terminal formatting in the output' },
  migrateState: { flags: '--migrate-state', description: 'approve a state migration after switching backends' },
  variable: { flags: '--var <name=value...>', description: 'set an input variable (repeatable)' },
  varFile: { flags: '--var-file <file...>', description: 'load variable values from a file (repeatable)' },
  skipSynth: { flags: '--skip-synth', description: 'use the Terraform config already in the output directory' },
  skipProviderLock: { flags: '--skip-provider-lock', description: 'do not run `terraform providers lock`' },
  checkCodeMakerOutput: { flags: '--check-code-maker-output', description: 'check that the generated bindings exist' },
  hcl: { flags: '--hcl', description: 'synthesize HCL instead of JSON' },
} satisfies Record<string, PassThrough>;

interface Action {
  /** The cdktf command run. */
  cdktf: string;
  description: string;
  /** cdktf's positional argument, if any. */
  argument?: { name: string; description: string };
  options: PassThrough[];
}

// What plan and destroy take after their own options: how Terraform runs, and what it is given.
const terraformRun = [
  option.terraformParallelism,
  option.variable,
  option.varFile,
  option.noColor,
  option.migrateState,
  option.skipSynth,
  option.skipProviderLock,
];

export const actions: Record<'synth' | 'plan' | 'deploy' | 'destroy', Action> = {
  synth: {
    cdktf: 'synth',
    description: 'Synthesizes the stack (infra/main.ts) into Terraform config under cdktf.out/: `cdktf synth`. Needs no Terraform and no endpoint.',
    options: [...appAndOutput, option.checkCodeMakerOutput, option.hcl],
  },
  plan: {
    cdktf: 'diff',
    description: 'Shows what a deploy would change: `cdktf diff`.',
    argument: { name: '[stack]', description: 'the stack to plan (the app has one)' },
    options: [...appAndOutput, option.refreshOnly, ...terraformRun],
  },
  deploy: {
    cdktf: 'deploy',
    description: 'Deploys the stack: `cdktf deploy`. Asks for approval unless --auto-approve.',
    argument: { name: '[stacks...]', description: 'the stacks to deploy (the app has one)' },
    options: [
      ...appAndOutput,
      option.autoApprove,
      option.outputsFile,
      option.sensitiveOutputs,
      option.ignoreMissing,
      option.parallelism,
      option.refreshOnly,
      option.terraformParallelism,
      option.noColor,
      option.migrateState,
      option.variable,
      option.varFile,
      option.skipSynth,
      option.skipProviderLock,
    ],
  },
  destroy: {
    cdktf: 'destroy',
    description: 'Destroys what deploy created: `cdktf destroy`. Asks for approval unless --auto-approve.',
    argument: { name: '[stacks...]', description: 'the stacks to destroy (the app has one)' },
    options: [...appAndOutput, option.autoApprove, option.ignoreMissing, option.parallelism, ...terraformRun],
  },
};

type Name = keyof typeof actions;
const hiddenGlobals = globals.filter((g) => g.hidden).map((g) => g.flags.split(' ')[0]);
const isAction = (name: string | undefined): name is Name => name !== undefined && Object.hasOwn(actions, name);

/** The command line of `npm run <name>`: cdktf's options, checked, for passing on. */
export function actionCommand(name: Name, print?: (text: string) => void): Command {
  const action = actions[name];
  const cmd = command(`npm run ${name} --`, action.description, print);
  if (action.argument) cmd.argument(action.argument.name, action.argument.description);
  for (const passed of [...action.options, ...globals]) {
    const added = new Option(passed.flags, passed.description);
    if (passed.min !== undefined) added.argParser(int(passed.min));
    if (passed.hidden) added.hideHelp();
    cmd.addOption(added);
  }
  return cmd.addHelpText(
    'after',
    `
Runs \`npx cdktf ${action.cdktf}\` with the project's Terraform environment: the offline
provider mirror (infra/terraform-mirror.tfrc, for /opt/tf-plugins) when it exists
and you have no Terraform CLI config of your own, and no version check. With the
mirror, plan, deploy and destroy add --skip-provider-lock (terraform would ask the
registry for the lock file).

The options are cdktf-cli 0.21.0's own, passed on unchanged once checked (cdktf
itself ignores options it does not know). Also passed on, cdktf's global options:
  ${hiddenGlobals.slice(0, 2).join(', ')},
  ${hiddenGlobals.slice(2).join(', ')}.
cdktf's own help: npx cdktf ${action.cdktf} --help.
Exit code: cdktf's, or 2 for a wrong command line.

Example: npm run ${name}${name === 'deploy' || name === 'destroy' ? ' -- --auto-approve' : ''}`,
  );
}

/** The command line of the script itself, `tsx scripts/cdktf.ts <action>`: for help and a wrong action. */
function scriptCommand(print?: (text: string) => void): Command {
  const cmd = command(
    'tsx scripts/cdktf.ts',
    'The cdktf CLI with the Terraform environment of this project; run it as npm run synth, plan, deploy or destroy.',
    print,
  );
  for (const [name, action] of Object.entries(actions)) cmd.command(name).description(action.description);
  return cmd.helpCommand(false);
}

export async function runCdktf(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!isAction(name)) {
    if (name === undefined) throw new UsageError(`Missing command: one of ${Object.keys(actions).join(', ')} (see --help)`);
    await parse(scriptCommand(), argv);
    return 0;
  }
  if (!(await parse(actionCommand(name), rest))) return 0;
  const env = terraformEnv();
  // cdktf would run `terraform providers lock`, which asks the registry even when a mirror serves the provider.
  const offline = env.TF_CLI_CONFIG_FILE === mirrorConfig && name !== 'synth' ? ['--skip-provider-lock'] : [];
  const result = spawnSync('npx', ['cdktf', actions[name].cdktf, ...offline, ...rest], { stdio: 'inherit', env });
  if (result.error) throw result.error;
  return result.status ?? 1;
}
