/**
 * Every npm script that is a command line of ours answers --help quickly with a Usage line, and a
 * misspelled option with exit code 2 and one `Error:` line naming it and the option meant. The
 * scripts run as package.json runs them (its `node --import tsx <file> [args]`, or `--require tsx/cjs`
 * for `start`), each as a child process.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { actionCommand, actions } from '../../shared/terraform/cdktf-command';
import { REPO_ROOT } from '../../shared/paths';
import { type TsRun, runTs } from '../support/run-ts';

/** How package.json's scripts load TypeScript: tsx's ESM hooks, or its CommonJS hook (npm start, for memory). */
const LOADERS = [
  ['--import', 'tsx'],
  ['--require', 'tsx/cjs'],
];
const loaderOf = (line: string) => LOADERS.find((loader) => line.startsWith(`node ${loader.join(' ')} `));
const scripts = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** Runs an npm script's command line with extra arguments, without npm (so no npm_* settings leak in). */
async function runScript(script: string, args: string[], timeoutMs = 20_000): Promise<TsRun> {
  const line = scripts[script] ?? '';
  const loader = loaderOf(line);
  if (!loader) throw new Error(`npm script ${script} is not "node --import tsx <file> ..." nor "node --require tsx/cjs <file> ...": ${line}`);
  const [file = '', ...fixed] = line.slice(`node ${loader.join(' ')} `.length).split(' ');
  return runTs(file, [...fixed, ...args], timeoutMs, loader);
}

// Each script with a misspelling of one of its options, and the option meant.
const cases: Array<{ script: string; typo: string[]; meant: string }> = [
  { script: 'start', typo: ['--prot', '5000'], meant: '--port' },
  { script: 'demo', typo: ['--prodcts', '5'], meant: '--products' },
  { script: 'experiment', typo: ['--endpont', 'http://localhost:4566'], meant: '--endpoint' },
  { script: 'chaos', typo: ['outage', '--servce', 'dynamodb'], meant: '--service' },
  { script: 'soak', typo: ['--writs', '20'], meant: '--writes' },
  { script: 'bench', typo: ['--quik'], meant: '--quick' },
  { script: 'build', typo: ['--out-dri', 'elsewhere'], meant: '--out-dir' },
  { script: 'synth', typo: ['--hlc'], meant: '--hcl' },
  { script: 'plan', typo: ['--refesh-only'], meant: '--refresh-only' },
  { script: 'deploy', typo: ['--auto-aprove'], meant: '--auto-approve' },
  { script: 'destroy', typo: ['--auto-aprove'], meant: '--auto-approve' },
  { script: 'dashboard', typo: ['--endpont', 'http://localhost:4566'], meant: '--endpoint' },
];

it('covers every npm script that runs a command line of ours', () => {
  const ours = Object.entries(scripts)
    .filter(([, line]) => loaderOf(line))
    .map(([name]) => name);
  expect(cases.map((c) => c.script).sort()).toEqual(ours.sort());
});

describe.each(cases)('npm run $script', ({ script, typo, meant }) => {
  it('--help: exit 0 within seconds, with a Usage line naming the script', async () => {
    const run = await runScript(script, ['--help']);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(new RegExp(`^Usage: .*\\b${script}\\b`, 'm'));
    expect(run.ms).toBeLessThan(15_000);
  }, 30_000);

  it(`a misspelled option (${typo.join(' ')}): exit 2, one Error line naming it and ${meant}`, async () => {
    const run = await runScript(script, typo);
    expect(run.code).toBe(2);
    const errors = run.stderr.split('\n').filter((line) => line.startsWith('Error:'));
    expect(errors).toHaveLength(1);
    const misspelled = typo.find((arg) => arg.startsWith('--')) ?? '';
    expect(errors[0]).toContain(`'${misspelled}'`);
    expect(errors[0]).toContain(`Did you mean ${meant}?`);
    // No stack trace, and not Node's parseArgs advice ('-- "--servce"').
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.stderr).not.toContain(`-- "${misspelled}"`);
  }, 30_000);
});

it('soak --writes 10 into a pipe: sends exactly 10 writes, whole progress lines, no SDK notice', async () => {
  const run = await runScript('soak', ['--writes', '10', '--seed', '1'], 90_000);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).not.toContain('\r');
  expect(run.stdout).toMatch(/^ {2}10\/10 writes, \d+ schedules? checked, 0 violations/m);
  expect(run.stdout).toMatch(/^ {2}writes +10$/m);
}, 120_000);

it('experiment against a target that is not there: exit 2 (aborted, as a Chaos Toolkit run), one Error line naming it', async () => {
  // Port 9 (discard) has no listener here: the connection is refused at once.
  const run = await runScript('experiment', ['--endpoint', 'http://127.0.0.1:9', '--report-dir', path.join(os.tmpdir(), 'unreachable-experiment')]);
  expect(run.code).toBe(2);
  expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^Error: the target at http:\/\/127\.0\.0\.1:9 cannot be reached /)]);
});

// The wrapper checks options against its own list of cdktf's; this catches an upgrade of cdktf-cli that changed them.
describe.each(Object.entries(actions))('npm run %s knows the options of its cdktf command', (name, action) => {
  it(`the same long options as \`cdktf ${action.cdktf} --help\``, async () => {
    const child = spawn('npx', ['cdktf', action.cdktf, '--help'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
    let help = '';
    child.stdout.on('data', (chunk: Buffer) => (help += chunk.toString()));
    expect(await new Promise((resolve) => child.once('close', resolve))).toBe(0);
    const theirs = [...help.slice(help.indexOf('Options:')).matchAll(/^\s+(?:-\w, )?(--[\w-]+)/gm)].map((m) => m[1]).filter((flag) => flag !== '--help');
    const ours = actionCommand(name as keyof typeof actions, () => undefined)
      .options.map((option) => option.long)
      .filter((flag) => flag !== '--help');
    expect(theirs.length).toBeGreaterThan(3);
    expect([...ours].sort()).toEqual([...theirs].sort());
  }, 30_000);
});
