/** @jsxRuntime automatic */
/** @jsxImportSource preact */
import type { ComponentChildren } from 'preact';
import { BAD, GREY, OK, WARN, num, rate } from './palette';
import type { ArrowName, FunctionStats, LambdaFault, ServiceName, Snapshot } from './types';

const W = 160;
const H = 86;

interface NodeState {
  state: 'healthy' | 'faulted' | 'slow';
  words: string;
}

function serviceState(s: Snapshot, service: ServiceName): NodeState {
  const svc = s.services[service];
  const latency = svc?.latencyMs ?? 0;
  if (svc?.faulted) {
    const r = svc.rules[0];
    const p = r?.probability === undefined ? '' : ` ${Math.round(r.probability * 100)}%`;
    const code = r?.error?.statusCode ? ` ${r.error.statusCode}` : '';
    return { state: 'faulted', words: `faulted${p}${code}${latency ? `, +${latency} ms` : ''}` };
  }
  if (latency > 0) return { state: 'slow', words: `latency ${latency} ms` };
  return { state: 'healthy', words: 'healthy' };
}

function functionState(s: Snapshot, fn: FunctionStats | undefined): NodeState {
  const base = serviceState(s, 'lambda');
  const faults = ((s.lambdaFaults ?? []) as LambdaFault[]).filter((f) => f && f.functionName === fn?.name);
  if (faults.some((f) => f.action === 'aws:lambda:invocation-error')) return { state: 'faulted', words: 'faulted (Lambda fault)' };
  if (base.state === 'healthy' && faults.length) return { state: 'slow', words: 'startup delay' };
  return base;
}

const COLOUR = { healthy: OK, faulted: BAD, slow: WARN } as const;

function Node(props: { x: number; y: number; title: string; st: NodeState; testid: string; children?: ComponentChildren; h?: number }) {
  const { x, y, title, st, testid } = props;
  const h = props.h ?? H;
  const colour = COLOUR[st.state];
  return (
    <g
      data-testid={testid}
      data-state={st.state === 'faulted' ? 'faulted' : 'healthy'}
      data-latency={st.state === 'slow' ? 'on' : 'off'}
      transform={`translate(${x},${y})`}
    >
      <title>{`${title}: ${st.words}`}</title>
      <rect width={W} height={h} rx={8} fill="#fff" stroke={colour} stroke-width={st.state === 'healthy' ? 2 : 4} />
      {st.state === 'faulted' && <rect width={W} height={h} rx={8} fill="url(#hatch)" />}
      <rect width={W} height={22} rx={8} fill={colour} />
      <rect y={14} width={W} height={8} fill={colour} />
      <text x={W / 2} y={15} class="node-state" text-anchor="middle" fill={st.state === 'slow' ? '#000' : '#fff'}>
        {st.state === 'faulted' ? '✘ ' : st.state === 'slow' ? '◷ ' : '✔ '}
        {st.words}
      </text>
      <text x={W / 2} y={40} class="node-title" text-anchor="middle">
        {title}
      </text>
      {props.children}
    </g>
  );
}

function Arrow(props: {
  d: string;
  label: { x: number; y: number; anchor?: 'start' | 'middle' | 'end' };
  stat?: { calls: number; errors: number };
  note?: string;
  testid: string;
  dashed?: boolean;
}) {
  const { stat } = props;
  const errors = stat && stat.errors > 0;
  const colour = errors ? BAD : GREY;
  return (
    <g data-testid={props.testid}>
      <path
        d={props.d}
        fill="none"
        stroke={colour}
        stroke-width={errors ? 3 : 2}
        stroke-dasharray={props.dashed ? '6 4' : undefined}
        marker-end={errors ? 'url(#head-bad)' : 'url(#head)'}
      />
      {stat && (
        <text x={props.label.x} y={props.label.y} text-anchor={props.label.anchor ?? 'middle'} class="arrow-label">
          <tspan x={props.label.x}>{`${rate(stat.calls)} calls/s`}</tspan>
          <tspan x={props.label.x} dy={14} fill={errors ? BAD : undefined} font-weight={errors ? 700 : undefined}>
            {`${rate(stat.errors)} err/s`}
          </tspan>
        </text>
      )}
      {props.note && (
        <text x={props.label.x} y={props.label.y + (stat ? 28 : 0)} text-anchor={props.label.anchor ?? 'middle'} class="arrow-label">
          {props.note}
        </text>
      )}
    </g>
  );
}

function FnLines({ fn }: { fn: FunctionStats | undefined }) {
  return (
    <>
      <text x={W / 2} y={58} text-anchor="middle" class="node-line">
        {`${num(fn?.invocations)} invocations`}
      </text>
      <text x={W / 2} y={76} text-anchor="middle" class="node-line">
        <tspan fill={fn && fn.errors > 0 ? BAD : undefined}>{`${num(fn?.errors)} errors`}</tspan>
        {` · ${num(fn?.coldStarts)} cold`}
      </text>
    </>
  );
}

/** The application's architecture, with each service's state, each arrow's calls/errors per second and the depths. */
export function Diagram({ s }: { s: Snapshot }) {
  const a = (name: ArrowName) => s.arrows?.[name] ?? { calls: 0, errors: 0 };
  const mappingOn = !s.mapping || /enabl/i.test(s.mapping.state);
  const fallback = s.functions?.product?.fallback;
  const healthy: NodeState = { state: 'healthy', words: 'healthy' };
  const dlqState: NodeState = s.dlq && s.dlq > 0 ? { state: 'slow', words: 'holds messages' } : healthy;
  return (
    <svg viewBox="0 0 980 440" class="diagram" role="img" aria-labelledby="diagram-title" data-testid="diagram">
      <title id="diagram-title">
        The write path: API Gateway, product Lambda, DynamoDB; on a DynamoDB failure the product Lambda publishes to SNS, SQS queues it, the retry Lambda writes
        it; messages that keep failing go to the DLQ.
      </title>
      <defs>
        <marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" fill={GREY} />
        </marker>
        <marker id="head-bad" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" fill={BAD} />
        </marker>
        <pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <rect width="8" height="8" fill="none" />
          <line x1="0" y1="0" x2="0" y2="8" stroke={BAD} stroke-width="2" stroke-opacity="0.25" />
        </pattern>
      </defs>

      <Arrow testid="arrow-api-product" d="M180,73 L290,73" label={{ x: 235, y: 50 }} stat={a('api-product')} />
      <Arrow testid="arrow-product-dynamodb" d="M450,73 L800,73" label={{ x: 625, y: 50 }} stat={a('product-dynamodb')} />
      <Arrow
        testid="arrow-product-sns"
        d="M370,116 L370,218"
        label={{ x: 378, y: 160, anchor: 'start' }}
        stat={a('product-sns')}
        note={fallback === 'off' ? ' (fallback off)' : ''}
      />
      <Arrow testid="arrow-sns-sqs" d="M450,261 L545,261" label={{ x: 497, y: 238 }} stat={a('sns-sqs')} />
      <Arrow testid="arrow-sqs-retry" d="M705,261 L800,261" label={{ x: 752, y: 238 }} stat={a('sqs-retry')} dashed={!mappingOn} />
      {!mappingOn && (
        <text x={752} y={290} text-anchor="middle" class="arrow-label" fill={BAD} font-weight={700}>
          mapping off
        </text>
      )}
      <Arrow testid="arrow-retry-dynamodb" d="M880,218 L880,116" label={{ x: 888, y: 160, anchor: 'start' }} stat={a('retry-dynamodb')} />
      <Arrow testid="arrow-sqs-dlq" d="M625,304 L625,350" label={{ x: 633, y: 331, anchor: 'start' }} note="after repeated failed receives" />

      <Node testid="node-apigateway" x={20} y={30} title="API Gateway" st={serviceState(s, 'apigateway')}>
        <text x={W / 2} y={58} text-anchor="middle" class="node-line">
          POST, GET /productApi
        </text>
      </Node>
      <Node testid="node-product" x={290} y={30} title="product Lambda" st={functionState(s, s.functions?.product)}>
        <FnLines fn={s.functions?.product} />
      </Node>
      <Node testid="node-dynamodb" x={800} y={30} title="DynamoDB table" st={serviceState(s, 'dynamodb')}>
        <text x={W / 2} y={64} text-anchor="middle" class="node-big">
          <tspan data-testid="items">{num(s.items)}</tspan> items
        </text>
      </Node>
      <Node testid="node-sns" x={290} y={218} title="SNS topic" st={serviceState(s, 'sns')}>
        <text x={W / 2} y={58} text-anchor="middle" class="node-line">
          ProductEventsTopic
        </text>
        <text x={W / 2} y={76} text-anchor="middle" class="node-line">
          {fallback ? `fallback ${fallback}` : ''}
        </text>
      </Node>
      <Node testid="node-sqs" x={545} y={218} title="SQS queue" st={serviceState(s, 'sqs')}>
        <text x={W / 2} y={64} text-anchor="middle" class="node-big">
          <tspan data-testid="queue-depth">{num(s.queue)}</tspan> waiting
        </text>
      </Node>
      <Node testid="node-retry" x={800} y={218} title="retry Lambda" st={functionState(s, s.functions?.retry)}>
        <FnLines fn={s.functions?.retry} />
      </Node>
      <Node testid="node-dlq" x={545} y={350} h={70} title="DLQ" st={dlqState}>
        <text x={W / 2} y={62} text-anchor="middle" class="node-big">
          <tspan data-testid="dlq-depth">{num(s.dlq)}</tspan> dead letters
        </text>
      </Node>
    </svg>
  );
}
