/** @jsxRuntime automatic */
/** @jsxImportSource preact */
import { useEffect, useState } from 'preact/hooks';
import { API } from './api';
import { FaultControls, LambdaFaultControls, LatencyControls, QuickControls } from './controls';
import { Diagram } from './diagram';
import { Experiments, Logs, Products, Traffic } from './panels';
import { time } from './palette';
import { Timeline } from './timeline';
import type { LogLine, Snapshot } from './types';

const MAX_LOG_LINES = 2000;

/** The live state: one EventSource, `state` snapshots and `log` lines; the browser reconnects by itself. */
function useLive() {
  const [snapshot, setSnapshot] = useState<Snapshot | null>(null);
  const [logs, setLogs] = useState<LogLine[]>([]);
  const [connected, setConnected] = useState<'connecting' | 'live' | 'reconnecting'>('connecting');
  useEffect(() => {
    const source = new EventSource(`${API}/events`);
    source.onopen = () => setConnected('live');
    source.onerror = () => setConnected('reconnecting');
    source.addEventListener('state', (e) => {
      try {
        setSnapshot(JSON.parse((e as MessageEvent<string>).data) as Snapshot);
        setConnected('live');
      } catch {
        /* a broken frame: the next one replaces it */
      }
    });
    source.addEventListener('log', (e) => {
      try {
        const { lines } = JSON.parse((e as MessageEvent<string>).data) as { lines: LogLine[] };
        if (Array.isArray(lines) && lines.length) setLogs((old) => [...old, ...lines].slice(-MAX_LOG_LINES));
      } catch {
        /* ignored as above */
      }
    });
    return () => source.close();
  }, []);
  return { snapshot, logs, connected };
}

export function App() {
  const { snapshot: s, logs, connected } = useLive();
  return (
    <>
      <header class="top">
        <h1>Chaos dashboard</h1>
        <p class="target">
          target: <code>{s?.target.endpoint ?? '…'}</code> ({s?.target.kind ?? 'unknown'}) ·{' '}
          <span class={`conn conn-${connected}`} data-testid="connection" role="status">
            {connected === 'live' ? '● live' : connected === 'connecting' ? '○ connecting' : '○ reconnecting'}
          </span>
          {s && <> · updated {time(s.at)}</>}
        </p>
      </header>
      <main>
        <section aria-labelledby="arch-h" class="card wide">
          <h2 id="arch-h">The write path, live</h2>
          {s ? <Diagram s={s} /> : <p class="muted">waiting for the first snapshot…</p>}
          <p class="muted small">
            Colours are Okabe–Ito and each is also said in words: ✔ green healthy, ◷ orange latency, ✘ vermillion and hatched faulted. Arrows: calls and errors
            per second over the last 5 s.
          </p>
        </section>
        <div class="columns">
          <QuickControls s={s} />
          <Traffic s={s} />
        </div>
        <section aria-labelledby="tl-h" class="card wide">
          <h2 id="tl-h">Timeline: the last five minutes</h2>
          {s ? <Timeline points={s.timeline ?? []} now={s.at} /> : <p class="muted">waiting…</p>}
        </section>
        <div class="columns three">
          <FaultControls s={s} />
          <LatencyControls s={s} />
          <LambdaFaultControls s={s} />
        </div>
        <Experiments s={s} />
        <Products s={s} />
        <Logs lines={logs} />
      </main>
    </>
  );
}
