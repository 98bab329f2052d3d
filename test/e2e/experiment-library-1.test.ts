/** The experiment library, first half: the tutorial's outage, before the fix, throttling, total outage, queue delivery failing, region outage (see experiment-library.shared.ts). */
import { librarySuite, statuses } from './experiment-library.shared';

/** Long enough that the hypothesis after the method usually still writes during the outage; its next probes wait out the rest. The checks below read the method's writes, which start as the fault does. */
const outage = { outage_ms: 6_000 };

librarySuite([
  {
    file: '01-tutorial.json',
    vars: { ...outage, latency_ms: 300 },
    expected: 'held',
    shows: (run) => {
      // The outage was on for the method's writes: some were queued, none refused; once it ended and the breakers closed, writes were stored directly.
      expect(run.output('run', 'write-during-the-outage')).toMatchObject({ statuses: { '202': expect.any(Number) }, unexpected: 0 });
      // The retry path drained the queue before the latency was added.
      expect(run.output('run', 'the-retry-path-drains-the-queue')).toEqual({ queue: 0, dlq: 0 });
      expect(statuses(run.output('run', 'write-once-the-breakers-have-closed'))).toEqual({ '200': 2 });
      // The hypothesis after was checked under the latency: answers within 29 s, and every accepted write held.
      expect(run.output('after', 'writes-are-accepted')).toMatchObject({ unexpected: 0, slow: 0 });
      expect(run.output('after', 'every-accepted-write-holds')).toMatchObject({ pending: 0, refusedInTable: 0 });
      expect(run.journal['x-serverless-chaos'].products).toMatchObject({ pending: 0, lost: 0 });
    },
  },
  {
    file: '02-before-the-fix.json',
    expected: 'deviated',
    shows: (run) => {
      // Writes lost with 502; the hypothesis stops at its first probe.
      expect(statuses(run.output('after', 'writes-are-accepted'))).toMatchObject({ '502': expect.any(Number) });
      expect(run.journal.steady_states.after?.probes).toHaveLength(1);
      expect(run.output('run', 'switch-the-fallback-off')).toEqual({ function: 'ProductFunction', fallback: 'off' });
    },
  },
  {
    file: '03-throttling.json',
    vars: outage,
    expected: 'held',
    shows: (run) => {
      expect(statuses(run.output('run', 'write-three-versions-while-throttled'))).toEqual({ '202': 6 });
    },
  },
  {
    file: '04-total-outage.json',
    vars: outage,
    expected: 'held',
    shows: (run) => {
      expect(run.output('run', 'write-during-the-outage')).toMatchObject({ statuses: { '503': 2 }, unexpected: 0 });
      expect(run.output('after', 'every-accepted-write-holds')).toMatchObject({ refusedInTable: 0, pending: 0 });
    },
  },
  {
    file: '05-queue-delivery-failing.json',
    vars: outage,
    expected: 'held',
    shows: (run) => {
      expect(statuses(run.output('run', 'write-during-the-outage'))).toEqual({ '202': 2 });
      // SNS holds the deliveries: nothing reaches either queue while SendMessage fails.
      expect(run.output('run', 'nothing-reaches-the-queues')).toEqual({ queue: 0, dlq: 0 });
    },
  },
  {
    file: '09-region-outage.json',
    vars: outage,
    expected: 'held',
    shows: (run) => {
      expect(statuses(run.output('run', 'write-while-another-region-is-down'))).toEqual({ '200': 2 });
      expect(statuses(run.output('run', 'write-while-the-apps-region-is-down'))).toEqual({ '503': 2 });
      expect(run.output('after', 'every-accepted-write-holds')).toMatchObject({ refusedInTable: 0, pending: 0 });
    },
  },
]);
