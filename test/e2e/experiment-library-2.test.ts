/** The experiment library, second half: retry path broken, outage past the redrive threshold, latency (see experiment-library.shared.ts). */
import { names } from '#spec';
import { JOURNAL_EXTRAS } from '../../chaos/runner/journal';
import { librarySuite, statuses } from './experiment-library.shared';

librarySuite([
  {
    file: '06-retry-path-broken.json',
    vars: { backlog_seconds: 2 },
    expected: 'held',
    shows: (run) => {
      expect(run.output('run', 'a-backlog-builds-up')).toEqual({ queue: 2, dlq: 0 });
      // DynamoDB is back, but nothing takes the backlog off the queue until the mapping is enabled.
      expect(run.output('run', 'the-backlog-still-waits')).toEqual({ queue: 2, dlq: 0 });
      expect(run.output('run', 'enable-the-retry-mapping')).toMatchObject({ state: 'Enabled' });
    },
  },
  {
    // The suite's runtime dead-letters after 6 receives, about one a second while DynamoDB is down.
    file: '07-outage-past-redrive.json',
    vars: { outage_seconds: 8 },
    expected: 'held',
    shows: (run, runtime) => {
      expect(statuses(run.output('run', 'write-during-the-outage'))).toEqual({ '202': 4 });
      // Every accepted write still waits in the queue, none in the DLQ. At least 4 messages, not exactly:
      // the retry function sends a write's fresh copy before SQS deletes the original it answered, so a
      // reading can catch both (more often on a busy machine). A copy carries the same write and version,
      // so the conditional put applies it once; the after-check proves each write holds its newest value.
      const { queue, dlq } = run.output('run', 'nothing-is-dead-lettered-during-the-outage') as { queue: number; dlq: number };
      expect(dlq).toBe(0);
      expect(queue).toBeGreaterThanOrEqual(4);
      const requeued = runtime.logs.filter(
        (line) => line.startsWith(`[${names.retryFunction}] `) && line.includes('Write re-queued before the redrive threshold'),
      );
      expect(requeued.length).toBeGreaterThan(0);
      // Its safeguard watched the DLQ through the method (before it and every 5 s) and never tripped.
      const checks = run.journal[JOURNAL_EXTRAS].safeguards;
      expect(checks.length).toBeGreaterThanOrEqual(2);
      expect(checks.every((check) => check.tolerance_met === true)).toBe(true);
    },
  },
  {
    // Scaled: 0.2 to 1.8 s per DynamoDB call, inside the 6 s attempt timeout (the defaults, 4 ± 3 s, time some attempts out and queue those writes).
    file: '10-latency-jitter-dynamodb.json',
    vars: { dynamodb_latency_ms: 1_000, jitter_ms: 800 },
    expected: 'held',
  },
  {
    file: '08-latency.json',
    vars: { latency_ms: 1_500 },
    expected: 'held',
    shows: (run) => {
      const write = run.journal.run.find((activity) => (activity.activity as { name: string }).name === 'write-with-the-latency');
      // The latency was on: each write took at least one delayed DynamoDB call.
      expect(write?.duration).toBeGreaterThanOrEqual(1.5);
    },
  },
]);
