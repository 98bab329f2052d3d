/** The shared command-line helpers: number parsers, the hint for options npm kept, parse errors, progress lines. */
import { PassThrough } from 'node:stream';
import { command, decimal, int, npmHint, Option, parse, UsageError } from '../../shared/cli/command';
import { progress } from '../../shared/cli/progress';

describe('int', () => {
  it.each([
    ['0', 0],
    ['65535', 65535],
    [' 42 ', 42],
    ['1e3', 1000],
  ])('accepts %j as %d', (raw, value) => {
    expect(int(0, 65535)(raw)).toBe(value);
  });

  it.each(['', ' ', 'abc', '1.5', '-1', '65536', 'NaN', 'Infinity', '2x'])('rejects %j, saying what it expected', (raw) => {
    expect(() => int(0, 65535)(raw)).toThrow('Expected a whole number from 0 to 65535.');
  });

  it('names only the lower bound when there is no upper one', () => {
    expect(int(1)('7')).toBe(7);
    expect(() => int(1)('0')).toThrow('Expected a whole number of at least 1.');
  });

  it('takes negative bounds', () => {
    expect(int(-1)('-1')).toBe(-1);
    expect(() => int(-1)('-2')).toThrow('at least -1');
  });
});

describe('decimal', () => {
  it.each([
    ['0', 0],
    ['0.25', 0.25],
    ['.5', 0.5],
    ['1', 1],
  ])('accepts %j as %d', (raw, value) => {
    expect(decimal(0, 1)(raw)).toBe(value);
  });

  it.each(['', 'often', '1.5', '-0.1', 'NaN', 'Infinity'])('rejects %j, saying what it expected', (raw) => {
    expect(() => decimal(0, 1)(raw)).toThrow('Expected a number from 0 to 1.');
  });
});

/** What npm sets for `npm run <script>` whose line runs `file`. */
const npmRun = (script: string, file: string) => ({ npm_lifecycle_event: script, npm_lifecycle_script: `node --import tsx ${file}` });

describe('npmHint', () => {
  const withPort = () =>
    command('npm start --', 'test', () => undefined)
      .option('--port <n>', 'port', int(0, 65535))
      .option('--no-build', 'skip the build');

  it('explains an option npm kept for itself, for npm start', () => {
    const hint = npmHint(withPort(), { ...npmRun('start', 'scripts/start.ts'), npm_config_port: 'true' }, '/repo/scripts/start.ts');
    expect(hint).toContain('--port');
    expect(hint).toContain('npm start -- --port');
  });

  it('says npm run for other scripts, and finds negated options by their name', () => {
    const hint = npmHint(withPort(), { ...npmRun('demo', 'scripts/demo.ts'), npm_config_build: '' }, '/repo/scripts/demo.ts');
    expect(hint).toContain('npm run demo -- --no-build');
  });

  it("counts a subcommand's options (`npm run chaos outage --service dynamodb`)", () => {
    const chaos = command('npm run chaos --', 'test', () => undefined);
    chaos.command('outage').option('--service <name>', 'service');
    expect(npmHint(chaos, { ...npmRun('chaos', 'scripts/chaos.ts'), npm_config_service: 'dynamodb' }, '/repo/scripts/chaos.ts')).toContain(
      'npm run chaos -- --service',
    );
  });

  it('says nothing outside npm, or when npm kept none of the options', () => {
    expect(npmHint(withPort(), { npm_config_port: 'true' })).toBeUndefined();
    expect(npmHint(withPort(), { ...npmRun('start', 'scripts/start.ts'), npm_config_cache: '/root/.npm' }, '/repo/scripts/start.ts')).toBeUndefined();
  });

  it("says nothing to a program the npm script started, which inherits npm's variables (npm_config_prefix is always set)", () => {
    const probe = command('probe', 'test', () => undefined).option('--prefix <p>', 'product id prefix');
    expect(npmHint(probe, { ...npmRun('experiment', 'scripts/experiment.ts'), npm_config_prefix: '/usr' }, '/repo/scripts/probe.ts')).toBeUndefined();
  });
});

describe('parse', () => {
  const cmd = (print: (text: string) => void = () => undefined) =>
    command('npm run soak --', 'a test command', print).option('--writes <n>', 'writes', int(1), 5000).option('--seed <n>', 'seed', int(0));

  it('returns the command with typed options', async () => {
    const parsed = await parse(cmd(), ['--writes', '20']);
    expect(parsed?.opts()).toEqual({ writes: 20 });
  });

  it('shows the help through print and returns undefined', async () => {
    const out: string[] = [];
    expect(
      await parse(
        cmd((text) => out.push(text)),
        ['--help'],
      ),
    ).toBeUndefined();
    expect(out.join('\n')).toMatch(/^Usage: npm run soak -- \[options\]/);
    expect(out.join('\n')).toContain('--writes <n>');
  });

  it('reports a misspelled option as one sentence with a suggestion', async () => {
    const error = await parse(cmd(), ['--writs', '20']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe("Unknown option '--writs' (Did you mean --writes?) (see --help)");
  });

  it('refuses a command line that parsed only because npm kept an option (`npm run soak --writes=20`)', async () => {
    // As npm runs the program that calls parse (this test's own process).
    const npm = { npm_lifecycle_event: 'soak', npm_lifecycle_script: `node ${process.argv[1] ?? ''}`, npm_config_writes: '20' };
    const saved = Object.keys(npm).map((name) => [name, process.env[name]] as const);
    Object.assign(process.env, npm);
    try {
      await expect(parse(cmd(), [])).rejects.toThrow(/^npm kept --writes for itself: .*`npm run soak -- --writes …` \(see --help\)$/);
    } finally {
      for (const [name, value] of saved) {
        if (value === undefined) Reflect.deleteProperty(process.env, name);
        else process.env[name] = value;
      }
    }
  });

  it('names the environment variable a bad value came from, not the option', async () => {
    const withEnv = command('npm start --', 'test', () => undefined).addOption(new Option('--port <n>', 'port').env('TEST_PORT').argParser(int(0, 65535)));
    process.env.TEST_PORT = 'abc';
    try {
      await expect(parse(withEnv, [])).rejects.toThrow("TEST_PORT='abc' is invalid. Expected a whole number from 0 to 65535. (see --help)");
    } finally {
      delete process.env.TEST_PORT;
    }
  });

  it('reports a bad number with the option and what was expected', async () => {
    const error = await parse(cmd(), ['--writes', 'lots']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/--writes <n>.*'lots' is invalid\. Expected a whole number of at least 1\./);
  });

  it('rejects stray arguments', async () => {
    await expect(parse(cmd(), ['20'])).rejects.toThrow(/Too many arguments/);
  });
});

describe('progress', () => {
  const capture = () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
    return { stream, text: () => text };
  };

  it('redraws one line in place on a terminal and ends it when done', () => {
    const { stream, text } = capture();
    let n = 0;
    const bar = progress(() => `${n} writes`, { stream, tty: true, everyMs: 60_000 });
    for (n = 1; n <= 12; n += 1) bar.show();
    n = 5;
    bar.done();
    bar.done();
    expect(text()).not.toMatch(/\n.*\n/);
    expect(text().endsWith('\r5 writes \n')).toBe(true); // padded over the longer "12 writes"
  });

  it('writes whole lines, only when the state changed, into a pipe', () => {
    const { stream, text } = capture();
    let n = 0;
    const bar = progress(() => `${n} writes`, { stream, tty: false, everyMs: 60_000 });
    bar.show();
    bar.show();
    n = 7;
    bar.show();
    bar.done();
    expect(text()).toBe('0 writes\n7 writes\n');
  });

  it('shows the state on a timer', () => {
    jest.useFakeTimers();
    try {
      const { stream, text } = capture();
      let n = 0;
      const bar = progress(() => `${n} writes`, { stream, tty: false, everyMs: 20 });
      n = 1;
      jest.advanceTimersByTime(19);
      expect(text()).toBe('');
      jest.advanceTimersByTime(1);
      n = 2;
      jest.advanceTimersByTime(20);
      bar.done();
      expect(text()).toBe('1 writes\n2 writes\n');
    } finally {
      jest.useRealTimers();
    }
  });
});
