/** @jsxRuntime automatic */
/** @jsxImportSource preact */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { fetchExperiments, type ExperimentFile } from './api';
import { Answer, useControl } from './controls';
import { answerClass, time } from './palette';
import type { LogLine, LogSourceName, Snapshot } from './types';

export function Traffic({ s }: { s: Snapshot | null }) {
  const send = useControl();
  const load = useControl();
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [price, setPrice] = useState('');
  const [ratePerSecond, setRate] = useState('2');
  const running = s?.traffic.running ?? false;
  const answers = s?.traffic.answers ?? {};
  const statuses = [...new Set(['200', '202', ...Object.keys(answers)])].sort();
  const submit = (e: Event) => {
    e.preventDefault();
    const body: { id?: string; name?: string; price?: number } = {};
    if (id.trim()) body.id = id.trim();
    if (name.trim()) body.name = name.trim();
    if (price.trim()) body.price = Number(price);
    void send.run('send', body);
  };
  const a = send.answer;
  return (
    <section aria-labelledby="traffic-h" class="card">
      <h2 id="traffic-h">Traffic</h2>
      <form onSubmit={submit} class="grid-form">
        <label>
          id (optional)
          <input value={id} placeholder="a new one" onInput={(e) => setId(e.currentTarget.value)} />
        </label>
        <label>
          name (optional)
          <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          price (optional)
          <input type="number" min={0} step={0.01} value={price} onInput={(e) => setPrice(e.currentTarget.value)} />
        </label>
        <div class="row">
          <button type="submit" data-testid="control-send" disabled={send.busy}>
            Send one product
          </button>
        </div>
      </form>
      {a && a.status !== undefined && (
        <p data-testid="send-answer" class="send-answer">
          answer: <strong style={{ color: answerClass(String(a.status)).colour }}>{answerClass(String(a.status)).label}</strong>{' '}
          <code>{typeof a.body === 'string' ? a.body : JSON.stringify(a.body)}</code>
        </p>
      )}
      <Answer answer={a} />
      <h3>Steady write load</h3>
      <div class="row">
        <label>
          writes per second
          <input type="number" min={0.1} max={50} step={0.5} value={ratePerSecond} disabled={running} onInput={(e) => setRate(e.currentTarget.value)} />
        </label>
        <button
          type="button"
          data-testid="control-load"
          aria-pressed={running}
          disabled={load.busy}
          onClick={() => load.run('load', running ? { running: false } : { running: true, ratePerSecond: Number(ratePerSecond) || 1 })}
        >
          {running ? `Stop the load (${s?.traffic.ratePerSecond ?? ''}/s)` : 'Start a steady load'}
        </button>
      </div>
      <Answer answer={load.answer} />
      <h3>Answers so far</h3>
      <ul class="answers">
        {statuses.map((st) => (
          <li key={st} style={{ borderColor: answerClass(st).colour }}>
            <span class="swatch" style={{ background: answerClass(st).colour }} aria-hidden="true" />
            {answerClass(st).label}: <strong data-testid={`answers-${st}`}>{answers[st] ?? 0}</strong>
          </li>
        ))}
      </ul>
    </section>
  );
}

const SOURCES: LogSourceName[] = ['aws', 'product', 'retry', 'runtime'];

export function Logs({ lines }: { lines: LogLine[] }) {
  const [text, setText] = useState('');
  const [shown, setShown] = useState<Record<LogSourceName, boolean>>({ aws: true, product: true, retry: true, runtime: true });
  const [follow, setFollow] = useState(true);
  const box = useRef<HTMLDivElement>(null);
  const visible = useMemo(() => {
    const needle = text.trim().toLowerCase();
    return lines.filter((l) => shown[l.source] !== false && (!needle || l.text.toLowerCase().includes(needle))).slice(-500);
  }, [lines, text, shown]);
  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [visible, follow]);
  return (
    <section aria-labelledby="logs-h" class="card wide">
      <h2 id="logs-h">Logs</h2>
      <div class="row">
        <label>
          filter
          <input type="search" data-testid="log-filter" value={text} placeholder="text in the line" onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <fieldset class="inline">
          <legend>sources</legend>
          {SOURCES.map((src) => (
            <label key={src} class="check">
              <input
                type="checkbox"
                data-testid={`log-source-${src}`}
                checked={shown[src]}
                onChange={(e) => setShown({ ...shown, [src]: e.currentTarget.checked })}
              />
              {src}
            </label>
          ))}
        </fieldset>
        <label class="check">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.currentTarget.checked)} />
          follow the newest
        </label>
      </div>
      <div class="log" ref={box} tabIndex={0} role="log" aria-label="log lines" data-testid="log-lines">
        {visible.length === 0 && <p class="muted">no lines{lines.length ? ' match' : ' yet'}</p>}
        {visible.map((l, i) => (
          <div key={`${l.at}-${i}`} class={`log-line src-${l.source}`}>
            <span class="log-time">{time(l.at)}</span> <span class="log-src">{l.source}</span> {l.text}
          </div>
        ))}
      </div>
      <p class="muted">
        {visible.length} of {lines.length} lines shown (the newest 500 that match)
      </p>
    </section>
  );
}

const isVerdict = (line: string) => /^\s*[✔✘■!⚠]/.test(line) || /\b(HELD|DEVIATED|FAILED|aborted)\b/.test(line);

export function Experiments({ s }: { s: Snapshot | null }) {
  const c = useControl();
  const [files, setFiles] = useState<ExperimentFile[]>([]);
  const [error, setError] = useState('');
  const [file, setFile] = useState('');
  const [vars, setVars] = useState('outage_ms=10000 settle_seconds=30');
  useEffect(() => {
    fetchExperiments()
      .then((list) => {
        setFiles(list);
        setFile((f) => f || list[0]?.file || '');
      })
      .catch((err: unknown) => setError(`Could not list the experiments: ${String(err)}`));
  }, []);
  const exp = s?.experiment ?? null;
  const running = exp?.running ?? false;
  const out = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (out.current) out.current.scrollTop = out.current.scrollHeight;
  }, [exp?.lines.length]);
  const run = (e: Event) => {
    e.preventDefault();
    const v: Record<string, string | number> = {};
    for (const pair of vars.split(/[\s,]+/).filter(Boolean)) {
      const at = pair.indexOf('=');
      if (at > 0) v[pair.slice(0, at)] = pair.slice(at + 1);
    }
    void c.run('experiment', { file, vars: v });
  };
  const verdicts = (exp?.lines ?? []).filter(isVerdict);
  return (
    <section aria-labelledby="exp-h" class="card wide">
      <h2 id="exp-h">Experiments</h2>
      <form onSubmit={run} class="grid-form exp">
        <label>
          experiment
          <select data-testid="experiment-select" value={file} onChange={(e) => setFile(e.currentTarget.value)}>
            {files.map((f) => (
              <option key={f.file} value={f.file}>
                {f.file.replace(/^experiments\//, '')}: {f.title}
              </option>
            ))}
          </select>
        </label>
        <label>
          settings (name=value, optional)
          <input data-testid="experiment-vars" value={vars} onInput={(e) => setVars(e.currentTarget.value)} />
        </label>
        <div class="row">
          <button type="submit" data-testid="experiment-run" disabled={c.busy || running || !file}>
            {running ? 'Running…' : 'Run the experiment'}
          </button>
        </div>
      </form>
      {error && <p class="bad">{error}</p>}
      <Answer answer={c.answer} />
      {exp && (
        <>
          <p>
            <strong>{exp.file}</strong>:{' '}
            {exp.running
              ? 'running'
              : exp.exitCode === undefined
                ? 'ended'
                : `ended, exit code ${exp.exitCode} (${exp.exitCode === 0 ? 'held' : exp.exitCode === 1 ? 'deviated' : 'aborted or refused'})`}
            {exp.reportUrl && (
              <>
                {' · '}
                <a href={exp.reportUrl} target="_blank" rel="noopener" data-testid="experiment-report">
                  open its report
                </a>
              </>
            )}
          </p>
          <h3>Hypotheses and verdict</h3>
          <ul class="verdicts" data-testid="experiment-verdicts">
            {verdicts.map((l, i) => (
              <li key={i} class={/✘|DEVIATED|FAILED|aborted/.test(l) && !/as expected/.test(l) ? 'bad' : /✔/.test(l) ? 'ok' : ''}>
                {l.trim()}
              </li>
            ))}
          </ul>
        </>
      )}
      <pre class="output" ref={out} tabIndex={0} data-testid="experiment-output" aria-label="the experiment's output">
        {exp?.lines.length ? exp.lines.join('\n') : null}
      </pre>
    </section>
  );
}

export function Products({ s }: { s: Snapshot | null }) {
  const rows = s?.products ?? [];
  return (
    <section aria-labelledby="products-h" class="card wide">
      <h2 id="products-h">The table: newest {rows.length} products</h2>
      <div class="table-wrap">
        <table data-testid="products-table">
          <thead>
            <tr>
              <th scope="col">id</th>
              <th scope="col">name</th>
              <th scope="col">updatedAt</th>
              <th scope="col">came</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr key={p.id} data-via={p.via}>
                <td>{p.id}</td>
                <td>{p.name}</td>
                <td>{new Date(p.updatedAt).toISOString().replace('T', ' ').replace('Z', ' UTC')}</td>
                <td class={`via-${p.via}`}>{p.via === 'direct' ? 'directly (200)' : p.via === 'queue' ? 'through the queue (202)' : 'unknown'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
