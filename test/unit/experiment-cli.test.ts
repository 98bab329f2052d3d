/** The command lines of `npm run experiment` and `npm run demo`: help that fits each, and wrong arguments named. */
import { localstack } from '#spec';
import { demoCommand, demoVars, nextSteps } from '../../chaos/cli/demo-command';
import { experimentCommand } from '../../chaos/cli/experiment-command';
import { parse, UsageError } from '../../shared/cli/command';

function help(build: (print: (text: string) => void) => ReturnType<typeof experimentCommand>): string {
  let text = '';
  build((t) => (text += t)).outputHelp();
  return text;
}

async function usageError(build: () => ReturnType<typeof experimentCommand>, argv: string[]): Promise<string> {
  const error = await parse(build(), argv).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UsageError);
  return (error as Error).message;
}

describe('npm run demo', () => {
  it('--help describes the demo and the tutorial it runs, and offers no --endpoint (the demo starts its own target)', () => {
    const text = help(demoCommand);
    expect(text).toMatch(/^Usage: npm run demo -- \[options\]/);
    expect(text).toContain('Starts the offline runtime in this process');
    expect(text).toContain('experiments/01-tutorial.json');
    expect(text).not.toContain('--endpoint');
    for (const option of ['--products <n>', '--versions <n>', '--latency-ms <ms>', '--recovery-timeout <s>', '--seed <n>', '--report-dir <dir>', 'Exit codes:'])
      expect(text).toContain(option);
  });

  it('refuses --endpoint, naming it', async () => {
    expect(await usageError(() => demoCommand(() => undefined), ['--endpoint', localstack.endpoint])).toBe("Unknown option '--endpoint' (see --help)");
  });

  it('parses its options as numbers and gives them to the tutorial as its configuration values, leaving the rest to the file', async () => {
    const cmd = await parse(demoCommand(), ['--products', '4', '--latency-ms', '0', '--recovery-timeout', '30']);
    expect(cmd?.opts()).toEqual({ products: 4, latencyMs: 0, recoveryTimeout: 30, build: true });
    expect(demoVars(cmd!.opts())).toEqual({ products: 4, latency_ms: 0, settle_seconds: 30 });
  });

  it('ends with next steps: the report, npm start with the chaos CLI, and the experiment against LocalStack', () => {
    expect(nextSteps()).toEqual([
      'Next:',
      '  read reports/latest/report.html (or report.md) and its chart, reports/latest/chart.svg',
      `  npm start (the runtime on :${localstack.port}), then npm run chaos -- --help to cause outages and latency by hand while you curl the API`,
      `  npm run experiment -- --endpoint ${localstack.endpoint} runs this experiment against npm start or LocalStack (its Chaos API needs an Enterprise licence)`,
    ]);
    expect(nextSteps('/tmp/elsewhere')[1]).toBe('  read /tmp/elsewhere/report.html (or report.md) and its chart, /tmp/elsewhere/chart.svg');
  });
});

describe('npm run experiment', () => {
  it('--help describes the experiment files, the tutorial run without one, its target and exit codes', () => {
    const text = help(experimentCommand);
    expect(text).toMatch(/^Usage: npm run experiment -- \[options\] \[files\.\.\.\]/);
    for (const part of ['--endpoint <url>', 'experiments/01-tutorial.json', 'outage', 'latency', 'not yet applied', '130 interrupted', '[files...]', '--all'])
      expect(text).toContain(part);
  });

  it.each([
    [['--seed', 'x'], "Option '--seed <n>' argument 'x' is invalid. Expected a whole number from 0 to 4294967295. (see --help)"],
    [['a.json', '--var', 'oops'], "Option '--var <key=value>' argument 'oops' is invalid. Expected key=value, the key a configuration name. (see --help)"],
    [['--products', '3'], "Unknown option '--products' (see --help)"],
  ])('%j is a usage error that says what was wrong', async (argv, message) => {
    expect(await usageError(() => experimentCommand(() => undefined), argv)).toBe(message);
  });

  it.each([
    [['--products', '0'], "Option '--products <n>' argument '0' is invalid. Expected a whole number from 1 to 100. (see --help)"],
    [['--versions', 'three'], "Option '--versions <n>' argument 'three' is invalid. Expected a whole number from 1 to 100. (see --help)"],
    [['--latency-ms', '-5'], "Option '--latency-ms <ms>' argument '-5' is invalid. Expected a whole number from 0 to 600000. (see --help)"],
    [['--recovery-timeout'], "Option '--recovery-timeout <s>' argument missing (see --help)"],
  ])('the demo: %j is a usage error that says what was wrong', async (argv, message) => {
    expect(await usageError(() => demoCommand(() => undefined), argv)).toBe(message);
  });
});
