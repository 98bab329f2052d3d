/** The Chaos Toolkit experiment format: the library's files validate, malformed ones are refused naming the field, and configuration substitutes as chaoslib does. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { tutorialFault } from '#spec';
import { loadExperiment } from '../../chaos/runner/cli';
import { resolveConfiguration, substitute } from '../../chaos/runner/configuration';
import { type Activity, type Experiment, ExperimentError, parseExperiment, safeguardProbes } from '../../chaos/runner/schema';
import { EXPERIMENTS_DIR, REPO_ROOT } from '../../shared/paths';

const minimal = { title: 't', description: 'd', method: [] };
const probe = (extra: object = {}) => ({ type: 'probe', name: 'p', provider: { type: 'http', url: 'http://x' }, tolerance: 200, ...extra });

const experimentsDir = path.join(REPO_ROOT, EXPERIMENTS_DIR);
const files = readdirSync(experimentsDir)
  .filter((name) => name.endsWith('.json'))
  .sort();
const load = (name: string): unknown => JSON.parse(readFileSync(path.join(experimentsDir, name), 'utf8'));

type Http = Extract<Activity['provider'], { type: 'http' }>;
const http = (activities: Activity[], suffix: string): Http[] =>
  activities.flatMap((a) => (a.provider.type === 'http' && a.provider.url.endsWith(suffix) ? [a.provider] : []));
/** The probe CLI command and its arguments, for each process activity (`node --import tsx scripts/probe.ts <command> ...`). */
const probeCalls = (activities: Activity[]): Array<{ command: string; args: string[] }> =>
  activities.flatMap((a) => {
    if (a.provider.type !== 'process' || !Array.isArray(a.provider.arguments)) return [];
    const [command = '', ...args] = a.provider.arguments.slice(3).map(String);
    return [{ command, args }];
  });
/** What a probe CLI action changes, and the switch that restores it. */
const undoes: Array<[command: string, change: string, restore: string]> = [
  ['fallback', '--off', '--on'],
  ['retry-mapping', '--disable', '--enable'],
];

describe('the experiment library', () => {
  it('holds the numbered experiments of the issue', () => {
    expect(files).toEqual([
      '01-tutorial.json',
      '02-before-the-fix.json',
      '03-throttling.json',
      '04-total-outage.json',
      '05-queue-delivery-failing.json',
      '06-retry-path-broken.json',
      '07-outage-past-redrive.json',
      '08-latency.json',
      '09-region-outage.json',
      '10-latency-jitter-dynamodb.json',
    ]);
  });

  describe.each(files)('%s', (name) => {
    const json = load(name);
    const experiment = parseExperiment(json);
    const method = experiment.method;
    const rollbacks = experiment.rollbacks ?? [];
    const everything = [...(experiment['steady-state-hypothesis']?.probes ?? []), ...method, ...rollbacks];

    it("validates against Chaos Toolkit's experiment schema, and loads as the runner loads it (configuration and extension block)", () => {
      expect(() => parseExperiment(json, name)).not.toThrow();
      expect(loadExperiment(path.join(experimentsDir, name), {}).declared).toMatchObject({ expect: expect.stringMatching(/^(held|deviated)$/) });
      expect(experiment['steady-state-hypothesis']?.probes.length).toBeGreaterThan(0);
    });

    it('reads its target and state file from the configuration, with env defaults, as the runner and `chaos run` set them', () => {
      expect(experiment.configuration?.endpoint).toEqual({ type: 'env', key: 'CHAOS_ENDPOINT', default: 'http://localhost:4566' });
      expect(experiment.configuration?.state_file).toEqual({ type: 'env', key: 'CHAOS_STATE_FILE', default: 'reports/ctk-writes.jsonl' });
      // Every other setting (a wait, an outage, a count) too: overridable, never a bare constant.
      for (const [key, value] of Object.entries(experiment.configuration ?? {})) {
        expect([key, value]).toEqual([
          key,
          expect.objectContaining({ type: 'env', key: expect.stringMatching(/^CHAOS_[A-Z_]+$/), default: expect.anything() }),
        ]);
      }
    });

    it('talks to the target only through its endpoint: the Chaos API, and the probe CLI', () => {
      for (const activity of everything) {
        const provider = activity.provider;
        if (provider.type === 'http') expect(provider.url).toMatch(/^\$\{endpoint\}\/_localstack\/chaos\/(faults|effects)$/);
        else {
          expect(provider.path).toBe('node');
          expect(provider.arguments).toEqual([
            '--import',
            'tsx',
            'scripts/probe.ts',
            expect.any(String),
            '--endpoint',
            '${endpoint}',
            ...(provider.arguments as string[]).slice(6),
          ]);
        }
      }
    });

    it("judges each hypothesis probe by the probe CLI's exit code", () => {
      for (const probe of experiment['steady-state-hypothesis']?.probes ?? []) expect([probe.name, probe.tolerance]).toEqual([probe.name, 0]);
    });

    it('undoes in its rollbacks everything its method did', () => {
      const added = http(method, '/chaos/faults').flatMap((p) => (p.method === 'PATCH' || p.method === 'POST' ? (p.arguments as unknown[]) : []));
      const removed = http(rollbacks, '/chaos/faults').flatMap((p) => (p.method === 'DELETE' ? (p.arguments as unknown[]) : []));
      expect(removed).toEqual(expect.arrayContaining(added));
      if (http(method, '/chaos/effects').length > 0) expect(http(rollbacks, '/chaos/effects').map((p) => p.arguments)).toEqual([{ latency: 0 }]);
      const calls = (activities: Activity[], command: string, flag: string) =>
        probeCalls(activities).some((c) => c.command === command && c.args.includes(flag));
      for (const [command, change, restore] of undoes) {
        if (calls(method, command, change)) expect([command, calls(rollbacks, command, restore)]).toEqual([command, true]);
      }
    });
  });

  it('expects every experiment to hold on the offline runtime but 02, which deviates by design and says why', () => {
    const declared = files.map((name) => {
      const entry = ((load(name) as { extensions?: Array<Record<string, unknown>> }).extensions ?? []).find((e) => e.name === 'serverless-chaos');
      return [name, entry?.expect ?? 'held', entry?.requires ?? [], typeof entry?.why];
    });
    expect(declared).toEqual([
      ['01-tutorial.json', 'held', [], 'undefined'],
      ['02-before-the-fix.json', 'deviated', [], 'string'],
      ['03-throttling.json', 'held', [], 'undefined'],
      ['04-total-outage.json', 'held', [], 'undefined'],
      ['05-queue-delivery-failing.json', 'held', [], 'undefined'],
      ['06-retry-path-broken.json', 'held', [], 'undefined'],
      ['07-outage-past-redrive.json', 'held', [], 'undefined'],
      ['08-latency.json', 'held', [], 'undefined'],
      ['09-region-outage.json', 'held', [], 'undefined'],
      ['10-latency-jitter-dynamodb.json', 'held', ['offline'], 'string'],
    ]);
  });

  it("injects the tutorial's fault for a configured time, ends it as the tutorial does, and removes the same rule in the rollbacks", () => {
    const experiment = parseExperiment(load('01-tutorial.json'));
    const rule = { ...tutorialFault, durationMs: '${outage_ms}' };
    expect(http(experiment.method, '/chaos/faults').map((p) => [p.method, p.arguments])).toEqual([
      ['PATCH', [rule]],
      ['DELETE', [rule]],
    ]);
    expect(http(experiment.rollbacks ?? [], '/chaos/faults').map((p) => [p.method, p.arguments])).toEqual([['DELETE', [rule]]]);
  });
});

describe('parseExperiment', () => {
  const problem = (json: unknown): string => {
    try {
      parseExperiment(json, 'bad.json');
    } catch (error) {
      expect(error).toBeInstanceOf(ExperimentError);
      return (error as Error).message;
    }
    throw new Error('accepted');
  };

  it('accepts a minimal experiment and keeps keys it does not read', () => {
    expect(parseExperiment({ ...minimal, version: '1.0.0', extensions: [{ name: 'x' }] })).toMatchObject({ version: '1.0.0' });
  });

  it.each<[string, object, string]>([
    ['a missing title', { description: 'd', method: [] }, 'title: Invalid input: expected string, received undefined'],
    ['a missing method', { title: 't', description: 'd' }, 'method: Invalid input: expected array, received undefined'],
    ['a url missing', { ...minimal, method: [{ type: 'action', name: 'a', provider: { type: 'http' } }] }, 'method[0].provider.url: Invalid input'],
    [
      'a python provider',
      { ...minimal, method: [{ type: 'action', name: 'a', provider: { type: 'python', module: 'm', func: 'f' } }] },
      'method[0].provider.type: must be "http" or "process"',
    ],
    [
      'an unknown activity type',
      { ...minimal, method: [{ type: 'step', name: 'a', provider: { type: 'http', url: 'u' } }] },
      'method[0].type: type must be "action" or "probe"',
    ],
    [
      'a hypothesis probe without tolerance',
      { ...minimal, 'steady-state-hypothesis': { title: 'h', probes: [probe({ tolerance: undefined })] } },
      'steady-state-hypothesis.probes[0].tolerance:',
    ],
    [
      'a float tolerance',
      { ...minimal, 'steady-state-hypothesis': { title: 'h', probes: [probe({ tolerance: 1.5 })] } },
      'steady-state-hypothesis.probes[0].tolerance: must be a boolean, an integer',
    ],
    [
      'a probe tolerance',
      { ...minimal, 'steady-state-hypothesis': { title: 'h', probes: [probe({ tolerance: { type: 'probe' } })] } },
      'tolerance.type: type must be "regex", "jsonpath" or "range"',
    ],
    [
      'a bad regex',
      { ...minimal, 'steady-state-hypothesis': { title: 'h', probes: [probe({ tolerance: { type: 'regex', pattern: '(' } })] } },
      'tolerance.pattern: is not a valid regular expression',
    ],
    [
      'an unsupported JSONPath',
      { ...minimal, 'steady-state-hypothesis': { title: 'h', probes: [probe({ tolerance: { type: 'jsonpath', path: '$..name' } })] } },
      'tolerance.path: JSONPath "$..name": "..name" is not supported',
    ],
    [
      'a range of three',
      { ...minimal, 'steady-state-hypothesis': { title: 'h', probes: [probe({ tolerance: { type: 'range', range: [1, 2, 3] } })] } },
      'tolerance.range: must be [lower, upper]',
    ],
    [
      'a process timeout as text',
      { ...minimal, method: [{ type: 'probe', name: 'p', provider: { type: 'process', path: 'node', timeout: '5' } }] },
      'method[0].provider.timeout: Invalid input: expected number',
    ],
    [
      'a pause as text',
      { ...minimal, method: [{ ...probe(), pauses: { after: 'soon' } }] },
      'method[0].pauses.after: must be a number of seconds or a ${name}',
    ],
    [
      'an env configuration without key',
      { ...minimal, configuration: { endpoint: { type: 'env' } } },
      'configuration.endpoint: must be a string, a number, or {"type": "env"',
    ],
    ['a rollback probe', { ...minimal, rollbacks: [probe()] }, 'rollbacks[0].type: Invalid input: expected "action"'],
    [
      'a safeguard without tolerance',
      {
        ...minimal,
        controls: [
          {
            name: 'safeguard',
            provider: { type: 'python', module: 'chaosaddons.controls.safeguards', arguments: { probes: [probe({ tolerance: undefined })] } },
          },
        ],
      },
      'controls[0].provider.arguments.probes[0].tolerance:',
    ],
  ])('refuses %s, naming the field', (_, json, message) => {
    const text = problem(json);
    expect(text).toMatch(/^bad\.json is not a valid Chaos Toolkit experiment: /);
    expect(text).toContain(message);
  });

  it('reads the safeguard probes of the safeguards control, and only those', () => {
    const experiment = parseExperiment({
      ...minimal,
      controls: [
        { name: 'tracing', provider: { type: 'python', module: 'chaostracing.control' } },
        {
          name: 'safeguard',
          provider: { type: 'python', module: 'chaosaddons.controls.safeguards', arguments: { probes: [probe({ name: 'dlq-empty', frequency: 1 })] } },
        },
      ],
    });
    expect(safeguardProbes(experiment).map((p) => [p.name, p.frequency])).toEqual([['dlq-empty', 1]]);
  });
});

describe('configuration', () => {
  const experiment = (configuration: Record<string, unknown>) => parseExperiment({ ...minimal, configuration }) as Experiment;

  it('takes plain values, env values, their defaults, and vars over all', () => {
    const config = experiment({
      plain: 'a',
      number: 3,
      fromEnv: { type: 'env', key: 'CTK_TEST_SET' },
      withDefault: { type: 'env', key: 'CTK_TEST_UNSET', default: 'fallback' },
      overridden: { type: 'env', key: 'CTK_TEST_SET' },
    });
    expect(resolveConfiguration(config, { CTK_TEST_SET: 'from env' }, { overridden: 7 })).toEqual({
      plain: 'a',
      number: 3,
      fromEnv: 'from env',
      withDefault: 'fallback',
      overridden: 7,
    });
  });

  it('refuses an env value that is unset and has no default, naming it', () => {
    expect(() => resolveConfiguration(experiment({ endpoint: { type: 'env', key: 'CTK_TEST_UNSET' } }), {})).toThrow(
      'configuration.endpoint: the environment variable CTK_TEST_UNSET is not set and has no default',
    );
  });

  it('substitutes ${name} and $name in strings, lists and objects, keeping a lone placeholder typed', () => {
    const config = { endpoint: 'http://h:1', seconds: 5, rule: { p: 0.8 } };
    expect(
      substitute(
        { url: '${endpoint}/x', pause: '${seconds}', args: ['$seconds s', '${rule}', 1, { deep: '${endpoint}' }], cost: '$$5', other: '${unknown}' },
        config,
      ),
    ).toEqual({ url: 'http://h:1/x', pause: 5, args: ['5 s', { p: 0.8 }, 1, { deep: 'http://h:1' }], cost: '$5', other: '${unknown}' });
  });
});

describe('env_var_type', () => {
  const experiment = (type: string, extra: object = {}) =>
    parseExperiment({ ...minimal, configuration: { v: { type: 'env', key: 'CTK_V', env_var_type: type, ...extra } } });

  it.each([
    ['int', '42', 42],
    ['float', '2.5', 2.5],
    ['bool', 'true', true],
    ['bool', '0', false],
    ['json', '{"a":[1]}', { a: [1] }],
    ['str', '7', '7'],
  ])('%s converts %j from the environment', (type, text, value) => {
    expect(resolveConfiguration(experiment(type), { CTK_V: text })).toEqual({ v: value });
  });

  it('keeps a default that is not text, converts one that is', () => {
    expect(resolveConfiguration(experiment('int', { default: 5 }), {})).toEqual({ v: 5 });
    expect(resolveConfiguration(experiment('int', { default: '6' }), {})).toEqual({ v: 6 });
  });

  it('refuses a value that does not convert, and an unknown type', () => {
    expect(() => resolveConfiguration(experiment('int'), { CTK_V: '4.5' })).toThrow('configuration.v: CTK_V="4.5" is not an integer');
    expect(() => resolveConfiguration(experiment('json'), { CTK_V: '{' })).toThrow('is not JSON');
    expect(() => resolveConfiguration(experiment('list'), { CTK_V: 'x' })).toThrow('env_var_type must be');
  });
});
