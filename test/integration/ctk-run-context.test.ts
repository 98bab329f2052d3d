/**
 * What the runner tells the providers and records beyond Chaos Toolkit's journal: each process
 * activity gets $CHAOS_ACTIVITY (`<phase>:<name>`, which the write probe records with each
 * write), the request hook is told the activity sending each http request, and an interrupted
 * run says when the stop came.
 */
import { JOURNAL_EXTRAS } from '../../chaos/runner/journal';
import { runExperiment } from '../../chaos/runner/run';

const node = (name: string, code: string) => ({
  type: 'probe',
  name,
  provider: { type: 'process', path: process.execPath, arguments: ['-e', code], timeout: 30 },
});
const printActivity = (name: string) => node(name, 'process.stdout.write(process.env.CHAOS_ACTIVITY ?? "unset")');

it('names the activity to each process ($CHAOS_ACTIVITY) and to the request hook, by phase and name', async () => {
  const told: string[] = [];
  const journal = await runExperiment(
    {
      title: 't',
      description: 'd',
      'steady-state-hypothesis': { title: 'h', probes: [{ ...printActivity('check'), tolerance: 0 }] },
      method: [printActivity('act')],
      // Nothing listens there: the hook is told before the request fails.
      rollbacks: [{ type: 'action', name: 'undo', provider: { type: 'http', url: 'http://127.0.0.1:1/x', method: 'POST', arguments: [], timeout: 5 } }],
    },
    {
      onRequest: (request) => {
        told.push(request.activity);
        return { body: request.body };
      },
    },
  );
  const stdout = (run: { output: unknown } | undefined) => (run?.output as { stdout: string }).stdout;
  expect([stdout(journal.steady_states.before?.probes[0]), stdout(journal.run[0]), stdout(journal.steady_states.after?.probes[0])]).toEqual([
    'before:check',
    'method:act',
    'after:check',
  ]);
  expect(told).toEqual(['rollback:undo']);
});

it('records when an interrupted run was told to stop, which the chart marks', async () => {
  const controller = new AbortController();
  let stoppedAt = 0;
  const journal = await runExperiment(
    { title: 't', description: 'd', method: [node('wait', 'setTimeout(() => {}, 20000)'), printActivity('never')] },
    {
      signal: controller.signal,
      progress: (event) => {
        if (event.kind === 'start' && event.name === 'wait') {
          stoppedAt = Date.now();
          controller.abort(new Error('Ctrl-C'));
        }
      },
    },
  );
  expect(journal.status).toBe('interrupted');
  const at = Date.parse(journal[JOURNAL_EXTRAS].interruptedAt ?? '');
  expect(at).toBeGreaterThanOrEqual(stoppedAt);
  expect(at).toBeLessThanOrEqual(Date.parse(journal.end));
  expect(journal.run.map((run) => (run.activity as { name: string }).name)).toEqual(['wait']);
});
