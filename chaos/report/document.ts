/**
 * The run report's content, once: the Markdown and the HTML report render these blocks, so the
 * two always say the same thing.
 */
import type { Journal } from '../runner/journal';
import {
  asExpected,
  expectedOf,
  extrasOf,
  hypothesisTitle,
  leftoverText,
  methodLines,
  type Outcome,
  outcomeLine,
  outcomeOf,
  probeLines,
  rollbackLines,
  safeguardLines,
  seconds,
  titleOf,
} from './model';
import { MAX_GAP_MS } from './series';
import { faultWindows } from './windows';
import { endStateRows, writeTable } from './writes';

export type Block =
  | { kind: 'title'; text: string }
  | { kind: 'verdict'; outcome: Outcome; asExpected: boolean; text: string }
  | { kind: 'heading'; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'facts'; rows: Array<[string, string]> }
  | { kind: 'table'; head: string[]; rows: string[][] }
  | { kind: 'chart' }
  | { kind: 'list'; items: string[] };

/** Status words as the reports print them: the word says it, the colour only repeats it. */
const mark: Record<string, string> = {
  'within tolerance': '✔ within tolerance',
  'outside tolerance': '✘ outside tolerance',
  'could not run': '⚠ could not run',
  'not run': '– not run',
  succeeded: '✔ succeeded',
  failed: '✘ failed',
};

export function chartLegend(journal: Journal): string[] {
  const extras = extrasOf(journal);
  const items = [
    'Top, the timeline: first when the faults (vermillion) and the latency (yellow) were on, each labelled with what it did; these windows are bands across every panel. Then one row per check or activity, a bar from its start to its end, coloured and labelled by its result (green ✔ succeeded or within tolerance, orange ✘ outside tolerance, vermillion ⚠ failed or could not run); safeguard checks are dots. Dashed rules, in the panels below, mark the moments named in the timeline: when the products recovered after the faults, Ctrl-C.',
  ];
  if ((extras.writes ?? []).length > 0)
    items.push(
      'Middle: every write the probes sent, one row each in the order sent, a line from sent to answered and a square at its answer, coloured by the answer (green 200 stored, orange 202 queued, vermillion any other status or no answer: refused or failed). A write slowed by latency is a long line inside the yellow band. Above 300 writes: answers per second, counted in the second each arrived.',
    );
  if ((extras.series ?? []).length > 0)
    items.push(
      `Bottom: this run's products accepted so far (grey, dashed: what the table must catch up to, counted from the writes, no gaps), those the table holds at their newest accepted value (blue), and the messages in ProductEventsQueue (orange) and in the DLQs (purple, dashed, drawn on top), read every 500 ms through the endpoint the faults act on. A gap is a reading that failed or that latency slowed (lines join readings less than ${MAX_GAP_MS / 1000} s apart); a dot is the last reading before a gap.`,
    );
  return items;
}

/** The writes of each activity, and where the accepted products ended; nothing when no probe wrote. */
function writeBlocks(journal: Journal): Block[] {
  const { head, rows } = writeTable(journal);
  if (rows.length === 0) return [];
  return [
    { kind: 'heading', text: 'Writes' },
    { kind: 'table', head, rows },
    { kind: 'paragraph', text: 'A row per activity that wrote, each counting its own writes; the times are from sent to answered.' },
    { kind: 'facts', rows: endStateRows(journal) },
    {
      kind: 'paragraph',
      text: 'A product holds its newest value when the table holds the newest value the API accepted for it (or a newer one). One that does not is not yet applied while the queue still holds at least as many messages (they are counted, not read), dead-lettered for those the DLQ can account for, and lost beyond both.',
    },
  ];
}

/** When each fault and latency was on, in words. */
function windowItems(journal: Journal): string[] {
  return faultWindows(journal).map((w) => `${w.label}: from +${seconds(w.start / 1000)} to +${seconds(w.end / 1000)}`);
}

export function reportBlocks(journal: Journal, attachments: string[] = []): Block[] {
  const extras = extrasOf(journal);
  const outcome = outcomeOf(journal);
  const expected = expectedOf(journal);
  const blocks: Block[] = [
    { kind: 'title', text: titleOf(journal) },
    { kind: 'verdict', outcome, asExpected: asExpected(journal), text: outcomeLine(journal) },
  ];
  if (extras.expected?.why) blocks.push({ kind: 'paragraph', text: `Expected ${expected}: ${extras.expected.why}` });
  // One that did not settle is in the verdict already.
  if (extras.leftover?.settled) blocks.push({ kind: 'paragraph', text: `After the run: ${leftoverText(extras.leftover)}.` });
  if (extras.unsettledBefore) {
    const { found, settled, waited, remaining } = extras.unsettledBefore;
    blocks.push({
      kind: 'paragraph',
      text: `Before the hypothesis the target held ${found.join('; ')}: ${settled ? `settled after ${waited} s` : `still ${remaining.join('; ')} after ${waited} s`}.`,
    });
  }
  if (extras.sized) blocks.push({ kind: 'paragraph', text: `Sized from the target's timings: ${extras.sized.join('; ')}.` });
  const facts: Array<[string, string]> = [];
  if (extras.file) facts.push(['experiment file', extras.file]);
  facts.push(['target', extras.target ? `${extras.target.kind} at ${extras.target.endpoint}` : 'not recorded']);
  if (extras.seed !== undefined) facts.push(['seed', `${extras.seed} (replay with --seed ${extras.seed})`]);
  facts.push(['started', journal.start], ['duration', seconds(journal.duration)], ['status', `${journal.status}${journal.deviated ? ', deviated' : ''}`]);
  facts.push(['expected', expected], ['as expected', asExpected(journal) ? 'yes' : 'no']);
  blocks.push({ kind: 'facts', rows: facts });
  blocks.push({ kind: 'heading', text: 'Timeline' }, { kind: 'chart' }, { kind: 'list', items: chartLegend(journal) });
  const windows = windowItems(journal);
  if (windows.length > 0) blocks.push({ kind: 'paragraph', text: 'Faults and latency on during the run:' }, { kind: 'list', items: windows });
  blocks.push(...writeBlocks(journal));

  const hypothesis = hypothesisTitle(journal);
  blocks.push({ kind: 'heading', text: `Steady-state hypothesis${hypothesis ? `: ${hypothesis}` : ''}` });
  const probes = probeLines(journal);
  if (probes.length === 0) blocks.push({ kind: 'paragraph', text: 'The experiment declares no hypothesis probe.' });
  else
    blocks.push({
      kind: 'table',
      head: ['when', 'probe', 'tolerance', 'verdict', 'took', 'observed'],
      rows: probes.map((p) => [p.phase, p.name, p.tolerance, mark[p.verdict] ?? p.verdict, seconds(p.run?.duration), p.detail]),
    });

  blocks.push({ kind: 'heading', text: 'Method' });
  const method = methodLines(journal);
  if (method.length === 0) blocks.push({ kind: 'paragraph', text: 'The method has no activity.' });
  else
    blocks.push({
      kind: 'table',
      head: ['activity', 'type', 'status', 'at', 'took', 'output or error'],
      rows: method.map((a) => [
        a.name,
        a.background ? `${a.type} (background)` : a.type,
        mark[a.status] ?? a.status,
        a.start === undefined ? '' : `+${seconds(a.start)}`,
        seconds(a.duration),
        a.detail,
      ]),
    });

  blocks.push({ kind: 'heading', text: 'Safeguards' });
  const safeguards = safeguardLines(journal);
  if (safeguards.length === 0) blocks.push({ kind: 'paragraph', text: 'No safeguard was checked.' });
  else
    blocks.push({
      kind: 'table',
      head: ['safeguard', 'checks', 'missed', 'result'],
      rows: safeguards.map((s) => [
        s.name,
        String(s.checks),
        String(s.missed),
        `${s.tripped ? '✘ stopped the method: ' : s.missed > 0 ? '✘ ' : '✔ '}${s.detail}`,
      ]),
    });

  blocks.push({ kind: 'heading', text: 'Rollbacks' });
  const rollbacks = rollbackLines(journal);
  if (rollbacks.length === 0) blocks.push({ kind: 'paragraph', text: 'No rollback declared.' });
  else
    blocks.push({
      kind: 'table',
      head: ['rollback', 'status', 'took', 'output or error'],
      rows: rollbacks.map((r) => [r.name, mark[r.status] ?? r.status, seconds(r.duration), r.detail]),
    });

  blocks.push({
    kind: 'paragraph',
    text: `Files: journal.json (the Chaos Toolkit journal)${writeBlocks(journal).length > 0 ? ', writes.jsonl' : ''}, junit.xml, report.md, report.html${attachments.map((name) => `, ${name}`).join('')}.`,
  });
  return blocks;
}
