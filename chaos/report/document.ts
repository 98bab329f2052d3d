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
  writeCounts,
} from './model';

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

const statusNames: Record<string, string> = { '200': '200 stored', '202': '202 queued', '0': 'no answer' };

export function chartLegend(journal: Journal): string[] {
  const extras = extrasOf(journal);
  const items = [
    'Top, the timeline: one row per check or activity, a bar from its start to its end, coloured and labelled by its result (green ✔ succeeded or within tolerance, orange ✘ outside tolerance, vermillion ⚠ failed or could not run). Safeguard checks are dots; grey bands in every panel are the hypothesis checks before and after the method.',
  ];
  if ((extras.series ?? []).length > 0)
    items.push(
      'Middle: messages in ProductEventsQueue (orange) and ProductEventsDLQ (purple, dashed), and items in the Products table (blue), read every 500 ms. A gap is a reading that failed; a dot is the last reading before a gap.',
    );
  if ((extras.writes ?? []).length > 0)
    items.push(
      'Bottom: every write the probes sent, one row each in the order sent: a thin line from sent to answered and a mark at its answer, coloured by the answer (green 200 stored, orange 202 queued, vermillion any other status or no answer: refused or failed).',
    );
  return items;
}

export function reportBlocks(journal: Journal): Block[] {
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

  const counts = writeCounts(journal);
  if (counts.sent > 0) {
    blocks.push({ kind: 'heading', text: 'Writes' });
    const statuses = Object.entries(counts.byStatus)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([status, n]) => `${statusNames[status] ?? status}: ${n}`);
    blocks.push({ kind: 'paragraph', text: `${counts.sent} writes sent by the probes; ${statuses.join(', ')}.` });
  }

  blocks.push({
    kind: 'paragraph',
    text: `Files: journal.json (the Chaos Toolkit journal)${counts.sent > 0 ? ', writes.jsonl' : ''}, junit.xml, report.md, report.html.`,
  });
  return blocks;
}
