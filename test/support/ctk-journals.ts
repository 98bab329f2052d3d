/**
 * CTK journals for the report tests, built as the runner builds them (run.ts), with the extras
 * the runner CLI adds (file, target, seed, expected, series, writes); and a small XML checker.
 */
import { type ActivityRun, JOURNAL_EXTRAS, type Journal } from '../../chaos/runner/journal';
import type { ReportExtras, SeriesSample, WriteRecord } from '../../chaos/report';

export const START = Date.parse('2026-03-01T10:00:00.000Z');
export const FAULTS_URL = 'http://127.0.0.1:4566/_localstack/chaos/faults';
export const OUTAGE_RULE = { service: 'dynamodb', probability: 0.8, error: { statusCode: 500, code: 'SomethingWentWrong' } };
const iso = (s: number) => new Date(START + Math.round(s * 1000)).toISOString();

const probeCli = (command: string) => ({ type: 'process', path: 'node', arguments: ['--import', 'tsx', 'scripts/probe.ts', command], timeout: 120 });
const http = (url: string) => ({ type: 'http', url: `\${endpoint}${url}`, method: 'POST', timeout: 10 });

export const hypothesisProbes = [
  { type: 'probe', name: 'writes-are-accepted', provider: probeCli('write'), tolerance: 0 },
  { type: 'probe', name: 'accepted-writes-hold', provider: probeCli('writes-hold'), tolerance: 0 },
];
export const method = [
  { type: 'action', name: 'start-the-dynamodb-outage', provider: http('/_localstack/chaos/faults') },
  { type: 'action', name: 'write-during-the-outage', provider: probeCli('write') },
  { type: 'probe', name: 'queue-drains', provider: probeCli('queues'), background: true },
  { type: 'action', name: 'end-the-dynamodb-outage', provider: http('/_localstack/chaos/faults') },
];
export const rollbacks = [{ type: 'action', name: 'remove-the-dynamodb-fault', provider: http('/_localstack/chaos/faults') }];
export const safeguard = { type: 'probe', name: 'dlq-stays-empty', provider: probeCli('queues'), tolerance: 0, frequency: 2 };

export function experiment(title = 'DynamoDB outage: writes are queued and applied later') {
  return {
    title,
    description: 'test experiment',
    'steady-state-hypothesis': { title: 'Writes are accepted and held', probes: hypothesisProbes },
    method,
    rollbacks,
    controls: [{ name: 'safeguards', provider: { type: 'python', module: 'chaosaddons.controls.safeguards', arguments: { probes: [safeguard] } } }],
  };
}

/** An activity's run from `at` to `at + duration` seconds after START. */
export function activityRun(
  activity: unknown,
  at: number,
  duration: number,
  options: { failed?: string; toleranceMet?: boolean; output?: unknown } = {},
): ActivityRun {
  return {
    activity,
    status: options.failed === undefined ? 'succeeded' : 'failed',
    start: iso(at),
    end: iso(at + duration),
    duration,
    output: options.output ?? { status: 0, stdout: '{"sent":5,"statuses":{"200":5},"unexpected":0}\n', stderr: '' },
    ...(options.failed === undefined ? {} : { exception: options.failed }),
    ...(options.toleranceMet === undefined ? {} : { tolerance_met: options.toleranceMet }),
  };
}

/** Writes by `activity`: `n` products, the middle third queued (202), one refused (503) when `refused`. */
export function writes(n: number, sentFrom: number, refused = false, activity?: string): WriteRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const status = refused && i === n - 1 ? 503 : i % 3 === 1 ? 202 : 200;
    const sentAt = START + Math.round((sentFrom + i * 0.05) * 1000);
    return {
      id: `ctk-${i + 1}`,
      name: `ctk-${i + 1} v1`,
      version: 1,
      status,
      sentAt,
      answeredAt: sentAt + (status === 202 ? 900 : 120),
      retryAfter: status === 503 ? '1' : null,
      ...(activity ? { activity } : {}),
    };
  });
}

/** Readings every 500 ms; the table unreadable (null) between `gapFrom` and `gapTo` seconds. */
export function series(until: number, gapFrom = 3, gapTo = 4.5): SeriesSample[] {
  const samples: SeriesSample[] = [];
  for (let t = 0; t <= until * 1000; t += 500) {
    const s = t / 1000;
    const queue = s < 2.5 ? 0 : s < 6 ? Math.round((s - 2) * 2) : Math.max(0, 14 - Math.round(s * 1.5));
    const accepted = s < 0.5 ? 0 : s < 1.5 ? 5 : 19;
    samples.push({ t, queue, dlq: 0, accepted, holding: s >= gapFrom && s < gapTo ? null : Math.min(accepted, Math.round(s * 2)) });
  }
  return samples;
}

type Scenario = 'held' | 'expected-deviation' | 'unexpected-deviation' | 'aborted' | 'safeguard' | 'interrupted' | 'failed';

/** A whole journal for a scenario, with every extra the runner CLI adds; `extras` overrides them. */
export function journal(scenario: Scenario = 'held', extras: Partial<ReportExtras> = {}): Journal {
  const deviation = scenario === 'expected-deviation' || scenario === 'unexpected-deviation';
  const probeOk = (i: number, at: number) => activityRun(hypothesisProbes[i], at, 0.4, { toleranceMet: true });
  const before = {
    steady_state_met: scenario !== 'failed',
    probes:
      scenario === 'failed'
        ? [
            activityRun(hypothesisProbes[0], 0.1, 0.4, {
              toleranceMet: false,
              output: { status: 1, stdout: '{"sent":5,"statuses":{"502":5},"unexpected":5}', stderr: '' },
            }),
          ]
        : [probeOk(0, 0.1), probeOk(1, 0.6)],
  };
  let run: ActivityRun[] = [];
  let after: Journal['steady_states']['after'] = null;
  let status: Journal['status'] = 'completed';
  let reason: string | undefined;
  let tripped: string | undefined;
  const guards: ActivityRun[] = [activityRun(safeguard, 1.1, 0.2, { toleranceMet: true, output: { status: 0, stdout: '{"queue":0,"dlq":0}', stderr: '' } })];
  if (scenario !== 'failed') {
    run = [
      activityRun(method[0], 1.2, 0.05, { output: { status: 200, headers: {}, body: [{ service: 'dynamodb', probability: 0.8 }] } }),
      activityRun(method[1], 1.3, 2.2),
      activityRun(method[3], 5.6, 0.05, { output: { status: 200, headers: {}, body: [] } }),
      activityRun(method[2], 3.6, 4.1, { output: { status: 0, stdout: '{"queue":0,"dlq":0}', stderr: '' } }),
    ];
    guards.push(activityRun(safeguard, 3.3, 0.2, { toleranceMet: true }));
  }
  if (scenario === 'aborted') {
    run = [run[0]!, activityRun(method[1], 1.3, 1.0, { failed: 'the process "node" timed out after 120 s' })];
    status = 'aborted';
    reason = 'the action "write-during-the-outage" failed: the process "node" timed out after 120 s';
  } else if (scenario === 'safeguard') {
    run = [run[0]!, activityRun(method[1], 1.3, 2.0, { failed: 'interrupted: the safeguard "dlq-stays-empty" stopped the method' })];
    guards.push(activityRun(safeguard, 3.1, 0.2, { toleranceMet: false, output: { status: 1, stdout: '{"queue":3,"dlq":2}', stderr: '' } }));
    status = 'aborted';
    tripped = 'dlq-stays-empty';
    reason = 'the safeguard "dlq-stays-empty" was outside its tolerance, so the method was stopped';
  } else if (scenario === 'interrupted') {
    run = [run[0]!, activityRun(method[1], 1.3, 0.8, { failed: 'interrupted: Ctrl-C' })];
    status = 'interrupted';
    reason = 'interrupted (Ctrl-C or a stop signal)';
  } else if (scenario === 'failed') {
    status = 'failed';
    reason = 'before the method, the probe "writes-are-accepted" was outside its tolerance: nothing was injected';
  } else {
    after = deviation
      ? {
          steady_state_met: false,
          probes: [
            activityRun(hypothesisProbes[0], 8.0, 0.5, {
              toleranceMet: false,
              output: { status: 1, stdout: '{"sent":5,"statuses":{"200":3,"502":2},"unexpected":2}', stderr: '' },
            }),
          ],
        }
      : { steady_state_met: true, probes: [probeOk(0, 8.0), probeOk(1, 8.5)] };
    if (deviation) reason = 'after the method, the probe "writes-are-accepted" was outside its tolerance: the system deviated from its steady state';
  }
  const last = scenario === 'failed' ? 0.6 : 9.2;
  const rollbackRuns = [activityRun(rollbacks[0], last, 0.05, { output: { status: 200, headers: {}, body: [] } })];
  const end = last + 0.1;
  return {
    platform: 'Linux test x64',
    node: 'test-host',
    experiment: experiment(),
    start: iso(0),
    end: iso(end),
    duration: end,
    status,
    deviated: deviation,
    steady_states: { before, after, during: [] },
    run,
    rollbacks: rollbackRuns,
    [JOURNAL_EXTRAS]: {
      runner: 'serverless-chaos-sample ctk runner',
      ...(reason ? { reason } : {}),
      ...(tripped ? { safeguard: tripped } : {}),
      safeguards: guards,
      file: 'experiments/02-dynamodb-outage.json',
      target: { endpoint: 'http://127.0.0.1:4566', kind: 'offline' },
      seed: 42,
      expected:
        scenario === 'expected-deviation' ? { outcome: 'deviated', why: 'with the fallback off, a DynamoDB failure loses the write' } : { outcome: 'held' },
      series: series(Math.floor(end)),
      writes: [
        ...writes(5, 0.15, false, 'before:writes-are-accepted'),
        ...writes(20, 1.35, true, 'method:write-during-the-outage'),
        ...writes(5, 8.05, false, 'after:writes-are-accepted'),
      ],
      // The outage rule, added by the method's first action and removed by its last.
      chaosCalls: [
        { activity: 'method:start-the-dynamodb-outage', method: 'PATCH', url: FAULTS_URL, body: [OUTAGE_RULE], t: 1250, status: 200 },
        { activity: 'method:end-the-dynamodb-outage', method: 'DELETE', url: FAULTS_URL, body: [OUTAGE_RULE], t: 5650, status: 200 },
      ],
      products: { at: 9300, accepted: 19, holding: 19, pending: 0, deadLettered: 0, lost: 0, queue: 0, dlq: 0, behind: [] },
      ...extras,
    } as Journal[typeof JOURNAL_EXTRAS],
  };
}

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(text: string, where: number): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '<') throw new Error(`a bare < near ${where + i}`);
    if (c !== '&') {
      out += c;
      continue;
    }
    const end = text.indexOf(';', i);
    if (end === -1) throw new Error(`an unterminated entity near ${where + i}`);
    const name = text.slice(i + 1, end);
    if (name in ENTITIES) out += ENTITIES[name];
    else if (name.startsWith('#x') && /^#x[0-9a-fA-F]+$/.test(name)) out += String.fromCodePoint(parseInt(name.slice(2), 16));
    else if (name.startsWith('#') && /^#[0-9]+$/.test(name)) out += String.fromCodePoint(parseInt(name.slice(1), 10));
    else throw new Error(`an unknown entity &${name}; near ${where + i}`);
    i = end;
  }
  return out;
}

const NAME = /^[A-Za-z_:][\w.:-]*$/;

/** Parses well-formed XML (elements, attributes, text, comments, the prolog); throws on anything malformed. */
export function parseXml(xml: string): XmlElement {
  let i = 0;
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  let seenRoot = false;
  const skipSpace = () => {
    while (i < xml.length && /\s/.test(xml[i]!)) i++;
  };
  while (i < xml.length) {
    const open = xml.indexOf('<', i);
    const text = xml.slice(i, open === -1 ? xml.length : open);
    if (stack.length === 1 && text.trim() !== '') throw new Error(`text outside the root element near ${i}`);
    stack.at(-1)!.text += decode(text, i);
    if (open === -1) break;
    i = open;
    if (xml.startsWith('<?', i)) {
      const end = xml.indexOf('?>', i);
      if (end === -1 || i !== 0) throw new Error(`a misplaced or unterminated declaration near ${i}`);
      i = end + 2;
    } else if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i);
      if (end === -1) throw new Error(`an unterminated comment near ${i}`);
      i = end + 3;
    } else if (xml.startsWith('</', i)) {
      const end = xml.indexOf('>', i);
      const name = xml.slice(i + 2, end).trim();
      const top = stack.pop();
      if (!top || top.name !== name || stack.length === 0) throw new Error(`</${name}> closes <${top?.name}> near ${i}`);
      i = end + 1;
    } else {
      i++;
      const nameStart = i;
      while (i < xml.length && !/[\s/>]/.test(xml[i]!)) i++;
      const element: XmlElement = { name: xml.slice(nameStart, i), attributes: {}, children: [], text: '' };
      if (!NAME.test(element.name)) throw new Error(`a bad element name "${element.name}" near ${nameStart}`);
      for (;;) {
        skipSpace();
        if (xml.startsWith('/>', i) || xml[i] === '>') break;
        const attrStart = i;
        while (i < xml.length && !/[\s=]/.test(xml[i]!)) i++;
        const name = xml.slice(attrStart, i);
        if (!NAME.test(name)) throw new Error(`a bad attribute name "${name}" near ${attrStart}`);
        skipSpace();
        if (xml[i] !== '=') throw new Error(`an attribute without a value near ${i}`);
        i++;
        skipSpace();
        const quote = xml[i];
        if (quote !== '"' && quote !== "'") throw new Error(`an unquoted attribute near ${i}`);
        const end = xml.indexOf(quote, i + 1);
        if (end === -1) throw new Error(`an unterminated attribute near ${i}`);
        if (name in element.attributes) throw new Error(`a repeated attribute ${name} near ${attrStart}`);
        element.attributes[name] = decode(xml.slice(i + 1, end), i + 1);
        i = end + 1;
      }
      if (stack.length === 1) {
        if (seenRoot) throw new Error(`a second root element near ${nameStart}`);
        seenRoot = true;
      }
      stack.at(-1)!.children.push(element);
      if (xml.startsWith('/>', i)) i += 2;
      else {
        i += 1;
        stack.push(element);
      }
    }
  }
  if (stack.length !== 1) throw new Error(`<${stack.at(-1)!.name}> is never closed`);
  const [top] = root.children;
  if (!top) throw new Error('no root element');
  return top;
}

/** Every element named `name` under `element`, depth first. */
export const elements = (element: XmlElement, name: string): XmlElement[] =>
  element.children.flatMap((child) => [...(child.name === name ? [child] : []), ...elements(child, name)]);
