/**
 * The synth/plan/deploy/destroy wrapper checks cdktf's options before passing them on unchanged:
 * what cdktf takes goes through, a typo stops with a suggestion (cdktf would ignore it).
 */
import { actionCommand } from '../../shared/terraform/cdktf-command';
import { parse, UsageError } from '../../shared/cli/command';

const check = (name: Parameters<typeof actionCommand>[0], ...args: string[]) =>
  parse(
    actionCommand(name, () => undefined),
    args,
  );

it.each([
  ['deploy', ['--auto-approve']],
  ['deploy', ['--auto-approve', 'product-service', '--parallelism', '-1', '--outputs-file', 'out.json']],
  ['deploy', ['--var', 'a=1', '--var', 'b=2', '--var-file', 'x.tfvars', '--no-color', '--skip-synth']],
  ['destroy', ['--auto-approve', '--terraform-parallelism=4']],
  ['plan', ['product-service', '--refresh-only']],
  ['synth', ['--hcl', '-o', 'elsewhere', '--app', 'npx tsx infra/main.ts']],
  ['synth', ['--log-level', 'debug', '--version']],
] as const)('%s passes %j on', async (name, args) => {
  await expect(check(name, ...args)).resolves.toBeDefined();
});

it.each([
  ['deploy', ['--auto-aprove'], "Unknown option '--auto-aprove' (Did you mean --auto-approve?)"],
  ['destroy', ['--auto-approve', '--skip-snyth'], "Unknown option '--skip-snyth' (Did you mean --skip-synth?)"],
  ['synth', ['--auto-approve'], "Unknown option '--auto-approve'"],
  ['deploy', ['--parallelism', 'many'], "Option '--parallelism <n>' argument 'many' is invalid. Expected a whole number of at least -1."],
  ['plan', ['one', 'two'], 'Too many arguments'],
] as const)('%s rejects %j', async (name, args, message) => {
  const error = await check(name, ...args).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UsageError);
  expect((error as Error).message).toContain(message);
});

it('shows its own help, naming the npm script and the cdktf command it runs', async () => {
  const out: string[] = [];
  await expect(
    parse(
      actionCommand('plan', (text) => out.push(text)),
      ['--help'],
    ),
  ).resolves.toBeUndefined();
  expect(out.join('\n')).toMatch(/^Usage: npm run plan -- \[options\] \[stack\]/);
  expect(out.join('\n')).toContain('npx cdktf diff');
});
