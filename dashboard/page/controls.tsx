/** @jsxRuntime automatic */
/** @jsxImportSource preact */
import { useState } from 'preact/hooks';
import { control } from './api';
import type { ReceivedAnswer, OfflineFaultRule, LambdaFault, Snapshot } from './types';

const SERVICES = ['dynamodb', 'sqs', 'sns', 'lambda', 'apigateway', 'logs', 'sts'];

/** The answer of the last control of a section, and the command that does the same by hand. */
export function Answer({ answer, testid }: { answer: ReceivedAnswer | null; testid?: string }) {
  return (
    <div class="answer" aria-live="polite" data-testid={testid}>
      {answer && (
        <>
          <p class={answer.ok ? 'ok' : 'bad'}>
            {answer.ok ? '✔ ' : '✘ '}
            {answer.message}
          </p>
          {answer.command && (
            <p class="command">
              <span class="command-label">same by hand:</span>
              <code>{answer.command}</code>
            </p>
          )}
        </>
      )}
    </div>
  );
}

/** A control's state: its last answer and whether a request is under way. */
function useControl() {
  const [answer, setAnswer] = useState<ReceivedAnswer | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (action: string, body: unknown) => {
    setBusy(true);
    try {
      const a = await control(action, body);
      setAnswer(a);
      return a;
    } finally {
      setBusy(false);
    }
  };
  return { answer, busy, run };
}

export function latencyWords(s: Snapshot): string {
  const eff = s.effects;
  if (!eff) return 'unknown';
  const parts = eff.latency ? [`every call ${eff.latency} ms${eff.jitterMs ? ` ± ${eff.jitterMs}` : ''}`] : [];
  for (const [k, v] of Object.entries(eff.services ?? {})) parts.push(`${k} ${v.latency} ms${v.jitterMs ? ` ± ${v.jitterMs}` : ''}`);
  return parts.length ? parts.join('; ') : 'none';
}

export function ruleWords(r: OfflineFaultRule): string {
  const parts = [r.service ?? 'every service'];
  if (r.operation) parts.push(r.operation);
  if (r.region) parts.push(r.region);
  if (r.probability !== undefined) parts.push(`${Math.round(r.probability * 100)}%`);
  if (r.error) parts.push(`${r.error.statusCode ?? ''} ${r.error.code ?? ''}`.trim());
  if (r.remainingMs !== undefined) parts.push(`${Math.ceil(r.remainingMs / 1000)} s left`);
  else if (r.durationMs !== undefined) parts.push(`for ${r.durationMs / 1000} s`);
  return parts.join(' · ');
}

/** The tutorial's outage, clear all, and the fallback and mapping switches. */
export function QuickControls({ s }: { s: Snapshot | null }) {
  const c = useControl();
  const fallback = s?.functions?.product?.fallback;
  const mappingOn = s?.mapping ? /enabl/i.test(s.mapping.state) : undefined;
  return (
    <section aria-labelledby="quick-h" class="card">
      <h2 id="quick-h">Break things</h2>
      <div class="row">
        <button
          type="button"
          class="danger"
          data-testid="control-outage"
          disabled={c.busy}
          onClick={() =>
            c.run('faults', { op: 'add', rule: { service: 'dynamodb', probability: 0.8, error: { statusCode: 500, code: 'SomethingWentWrong' } } })
          }
        >
          DynamoDB outage (tutorial fault)
        </button>
        <button type="button" data-testid="control-clear-all" disabled={c.busy} onClick={() => c.run('clear-all', {})}>
          Clear all
        </button>
      </div>
      <div class="row">
        <button
          type="button"
          role="switch"
          aria-checked={fallback !== 'off'}
          data-testid="control-fallback"
          disabled={c.busy || !fallback}
          onClick={() => c.run('fallback', { on: fallback === 'off' })}
        >
          Fallback to the queue: <strong>{fallback ?? 'unknown'}</strong>
        </button>
        <button
          type="button"
          role="switch"
          aria-checked={mappingOn !== false}
          data-testid="control-mapping"
          disabled={c.busy || mappingOn === undefined}
          onClick={() => c.run('mapping', { enabled: mappingOn === false })}
        >
          Queue → retry mapping: <strong>{s?.mapping ? s.mapping.state : 'unknown'}</strong>
        </button>
      </div>
      <Answer answer={c.answer} testid="quick-answer" />
      <h3>On now</h3>
      <ul class="now" data-testid="active-now">
        <li>fault rules: {s ? (s.faults.length ? s.faults.map(ruleWords).join('; ') : 'none') : 'unknown'}</li>
        <li>latency: {s ? latencyWords(s) : 'unknown'}</li>
        {s && s.lambdaFaults !== null && <li>Lambda faults: {s.lambdaFaults.length || 'none'}</li>}
        <li>
          fallback to the queue: {fallback ?? 'unknown'}; queue → retry mapping: {s?.mapping?.state ?? 'unknown'}
        </li>
      </ul>
    </section>
  );
}

export function FaultControls({ s }: { s: Snapshot | null }) {
  const c = useControl();
  const [service, setService] = useState('dynamodb');
  const [operation, setOperation] = useState('');
  const [probability, setProbability] = useState('1');
  const [status, setStatus] = useState('500');
  const [code, setCode] = useState('SomethingWentWrong');
  const [duration, setDuration] = useState('');
  const offline = s?.target.kind !== 'localstack';
  const add = (e: Event) => {
    e.preventDefault();
    const rule: OfflineFaultRule = { service };
    if (operation.trim()) rule.operation = operation.trim();
    if (probability.trim() !== '') rule.probability = Number(probability);
    if (status.trim() || code.trim()) {
      rule.error = {};
      if (status.trim()) rule.error.statusCode = Number(status);
      if (code.trim()) rule.error.code = code.trim();
    }
    if (offline && duration.trim()) rule.durationMs = Math.round(Number(duration) * 1000);
    void c.run('faults', { op: 'add', rule });
  };
  const strip = (r: OfflineFaultRule): OfflineFaultRule => {
    const copy = { ...r };
    delete copy.remainingMs;
    return copy;
  };
  return (
    <section aria-labelledby="faults-h" class="card">
      <h2 id="faults-h">Fault rules</h2>
      <form onSubmit={add} class="grid-form">
        <label>
          service
          <select value={service} onChange={(e) => setService(e.currentTarget.value)} data-testid="fault-service">
            {SERVICES.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        </label>
        <label>
          operation (optional)
          <input value={operation} placeholder="PutItem" pattern="[a-zA-Z]*" onInput={(e) => setOperation(e.currentTarget.value)} />
        </label>
        <label>
          probability (0–1)
          <input type="number" min={0} max={1} step={0.05} value={probability} onInput={(e) => setProbability(e.currentTarget.value)} />
        </label>
        <label>
          error status
          <input type="number" min={400} max={599} value={status} onInput={(e) => setStatus(e.currentTarget.value)} />
        </label>
        <label>
          error code
          <input value={code} pattern="[a-zA-Z0-9]*" onInput={(e) => setCode(e.currentTarget.value)} />
        </label>
        <label>
          duration, s {offline ? '(optional)' : '(offline only)'}
          <input type="number" min={1} step={1} value={duration} disabled={!offline} onInput={(e) => setDuration(e.currentTarget.value)} />
        </label>
        <div class="row">
          <button type="submit" disabled={c.busy}>
            Add rule
          </button>
          <button type="button" disabled={c.busy || !s?.faults.length} onClick={() => c.run('faults', { op: 'clear' })}>
            Remove every rule
          </button>
        </div>
      </form>
      <h3>Active rules</h3>
      {s?.faults.length ? (
        <ul class="rules" data-testid="fault-list">
          {s.faults.map((r, i) => (
            <li key={`${i}-${JSON.stringify(r)}`}>
              <span>{ruleWords(r)}</span>
              <button type="button" class="small" aria-label={`Remove rule ${ruleWords(r)}`} onClick={() => c.run('faults', { op: 'remove', rule: strip(r) })}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted" data-testid="fault-list">
          none: every call goes through
        </p>
      )}
      <Answer answer={c.answer} />
    </section>
  );
}

export function LatencyControls({ s }: { s: Snapshot | null }) {
  const c = useControl();
  const [latency, setLatency] = useState('1000');
  const [jitter, setJitter] = useState('');
  const [service, setService] = useState('');
  const offline = s?.target.kind !== 'localstack';
  const apply = (e: Event) => {
    e.preventDefault();
    const body: { latency: number; jitterMs?: number; service?: string } = { latency: Number(latency) || 0 };
    if (offline && jitter.trim()) body.jitterMs = Number(jitter);
    if (offline && service) body.service = service;
    void c.run('latency', body);
  };
  const now = s ? latencyWords(s) : 'unknown';
  return (
    <section aria-labelledby="latency-h" class="card">
      <h2 id="latency-h">Latency</h2>
      <form onSubmit={apply} class="grid-form">
        <label>
          latency, ms
          <input type="number" min={0} step={100} value={latency} onInput={(e) => setLatency(e.currentTarget.value)} />
        </label>
        <label>
          jitter, ms {offline ? '(optional)' : '(offline only)'}
          <input type="number" min={0} step={50} value={jitter} disabled={!offline} onInput={(e) => setJitter(e.currentTarget.value)} />
        </label>
        <label>
          service {offline ? '' : '(offline only)'}
          <select value={service} disabled={!offline} onChange={(e) => setService(e.currentTarget.value)}>
            <option value="">every service</option>
            {SERVICES.map((x) => (
              <option key={x} value={x}>
                {x}
              </option>
            ))}
          </select>
        </label>
        <div class="row">
          <button type="submit" disabled={c.busy}>
            Set latency
          </button>
          <button type="button" disabled={c.busy} onClick={() => c.run('latency', { latency: 0 })}>
            No latency
          </button>
        </div>
      </form>
      <p class="muted">now: {now}</p>
      <Answer answer={c.answer} />
    </section>
  );
}

export function LambdaFaultControls({ s }: { s: Snapshot | null }) {
  const c = useControl();
  const names = [s?.functions?.product?.name || 'ProductFunction', s?.functions?.retry?.name || 'ProductRetryFunction'];
  const [fn, setFn] = useState('');
  const [action, setAction] = useState<LambdaFault['action']>('aws:lambda:invocation-error');
  const [pct, setPct] = useState('100');
  const [prevent, setPrevent] = useState(true);
  const [delay, setDelay] = useState('3000');
  const [duration, setDuration] = useState('');
  const supported = s ? s.lambdaFaults !== null : false;
  const add = (e: Event) => {
    e.preventDefault();
    const fault: LambdaFault = { functionName: fn || names[0] || 'ProductFunction', action, invocationPercentage: Number(pct) || 100 };
    if (action === 'aws:lambda:invocation-error') fault.preventExecution = prevent;
    else fault.startupDelayMilliseconds = Number(delay) || 0;
    if (duration.trim()) fault.durationMs = Math.round(Number(duration) * 1000);
    void c.run('lambda-faults', { op: 'add', fault });
  };
  const list = (s?.lambdaFaults ?? []) as LambdaFault[];
  return (
    <section aria-labelledby="lf-h" class="card">
      <h2 id="lf-h">Lambda faults {supported ? '' : '(offline runtime only)'}</h2>
      <form onSubmit={add} class="grid-form">
        <fieldset disabled={!supported} class="contents">
          <label>
            function
            <select value={fn || names[0]} onChange={(e) => setFn(e.currentTarget.value)}>
              {names.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
          <label>
            action
            <select value={action} onChange={(e) => setAction(e.currentTarget.value as LambdaFault['action'])}>
              <option value="aws:lambda:invocation-error">invocation error</option>
              <option value="aws:lambda:invocation-add-delay">startup delay</option>
            </select>
          </label>
          <label>
            invocations, %
            <input type="number" min={1} max={100} value={pct} onInput={(e) => setPct(e.currentTarget.value)} />
          </label>
          {action === 'aws:lambda:invocation-error' ? (
            <label class="check">
              <input type="checkbox" checked={prevent} onChange={(e) => setPrevent(e.currentTarget.checked)} />
              prevent execution (the handler does not run)
            </label>
          ) : (
            <label>
              startup delay, ms
              <input type="number" min={0} max={900000} step={100} value={delay} onInput={(e) => setDelay(e.currentTarget.value)} />
            </label>
          )}
          <label>
            duration, s (optional)
            <input type="number" min={1} value={duration} onInput={(e) => setDuration(e.currentTarget.value)} />
          </label>
          <div class="row">
            <button type="submit" disabled={c.busy}>
              Add Lambda fault
            </button>
            <button type="button" disabled={c.busy || !list.length} onClick={() => c.run('lambda-faults', { op: 'clear' })}>
              Remove every Lambda fault
            </button>
          </div>
        </fieldset>
      </form>
      {supported && (
        <>
          <h3>Active Lambda faults</h3>
          {list.length ? (
            <ul class="rules">
              {list.map((f, i) => (
                <li key={i}>
                  {f.functionName} · {f.action === 'aws:lambda:invocation-error' ? 'error' : `delay ${f.startupDelayMilliseconds ?? 1000} ms`} ·{' '}
                  {f.invocationPercentage ?? 100}%{f.remainingMs !== undefined ? ` · ${Math.ceil(f.remainingMs / 1000)} s left` : ''}
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">none</p>
          )}
        </>
      )}
      <Answer answer={c.answer} />
    </section>
  );
}

export { useControl };
