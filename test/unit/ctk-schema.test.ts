/** The Chaos Toolkit experiment format: the library's files validate, malformed ones are refused naming the field, and configuration substitutes as chaoslib does. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tutorialFault } from '#spec';
import { resolveConfiguration, substitute } from '../../scripts/lib/ctk/configuration';
import { type Experiment, ExperimentError, parseExperiment, safeguardProbes } from '../../scripts/lib/ctk/schema';

const minimal = { title: 't', description: 'd', method: [] };
const probe = (extra: object = {}) => ({ type: 'probe', name: 'p', provider: { type: 'http', url: 'http://x' }, tolerance: 200, ...extra });

describe('the experiment library', () => {
  const file = path.join(__dirname, '../../experiments/tutorial-outage.json');
  const json: unknown = JSON.parse(readFileSync(file, 'utf8'));

  it('validates tutorial-outage.json against the schema', () => {
    expect(() => parseExperiment(json, file)).not.toThrow();
  });

  it("injects the tutorial's fault, and removes the same rule in the method and in the rollbacks", () => {
    const experiment = parseExperiment(json);
    const bodies = [...experiment.method, ...(experiment.rollbacks ?? [])]
      .filter((a) => a.provider.type === 'http' && a.provider.url.endsWith('/_localstack/chaos/faults'))
      .map((a) => (a.provider.type === 'http' ? [a.provider.method, a.provider.arguments] : []));
    expect(bodies).toEqual([
      ['PATCH', [tutorialFault]],
      ['DELETE', [tutorialFault]],
      ['DELETE', [tutorialFault]],
    ]);
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
