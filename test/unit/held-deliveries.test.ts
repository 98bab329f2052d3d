/** SNS deliveries held back: kept until delivered, retried with a growing delay after a failed release, reported in the log. */
import { HELD_MAX_DELAY_MS, HELD_RETRY_MS, HeldDeliveries, type HeldDeliveriesOptions, type HeldRequest } from '../../offline/services/sns/held-deliveries';

const request = (id: string): HeldRequest => ({ method: 'POST', url: '/', headers: { 'x-id': id } });

function setup(outcomes: Array<string | undefined | Error>) {
  let now = 0;
  let faulted = false;
  const released: string[] = [];
  const lines: Array<{ line: string; level: string | undefined }> = [];
  const options: HeldDeliveriesOptions = {
    faulted: () => faulted,
    release: async (sent, body) => {
      const outcome = outcomes.shift();
      if (outcome instanceof Error) throw outcome;
      if (outcome === undefined) released.push(`${String(sent.headers['x-id'])}:${body}`);
      return outcome;
    },
    log: (line, level) => lines.push({ line, level }),
    now: () => now,
  };
  const held = new HeldDeliveries(options);
  return {
    held,
    released,
    lines,
    at: (ms: number) => (now = ms),
    fault: (on: boolean) => (faulted = on),
  };
}

it('keeps a delivery whose release is refused, and retries it with a delay that doubles up to SNS’s 20 s', async () => {
  const failures = Array.from({ length: 9 }, () => '404 (NotFound)');
  const { held, released, lines, at } = setup([...failures, undefined]);
  held.hold(request('a'), 'message', 'us-east-1');
  const delays: number[] = [];
  let time = 0;
  for (let attempt = 0; attempt < 9; attempt += 1) {
    await held.releaseDue();
    const delay = Number(/retried in (\d+) ms/.exec(lines.at(-1)!.line)?.[1]);
    delays.push(delay);
    // Not tried again before its delay is over.
    at(time + delay - 1);
    await held.releaseDue();
    expect(lines).toHaveLength(attempt + 1);
    time += delay;
    at(time);
  }
  expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 16000, 20000, 20000]);
  expect(delays[0]).toBe(HELD_RETRY_MS);
  expect(Math.max(...delays)).toBe(HELD_MAX_DELAY_MS);
  expect(held.pending).toBe(1);
  await held.releaseDue();
  expect(released).toEqual(['a:message']);
  expect(held.pending).toBe(0);
  expect(lines[0]).toEqual({ line: 'SNS delivery to SQS failed: 404 (NotFound); kept and retried in 250 ms (attempt 1; 1 pending)', level: 'info' });
  // Repeats only with --verbose; the release says how many attempts failed.
  expect(lines[1]?.level).toBe('debug');
  expect(lines.at(-1)).toEqual({ line: 'SNS delivery to SQS released after 9 failed attempts (0 still pending)', level: undefined });
});

it('keeps a delivery whose release gets no answer', async () => {
  const { held, lines } = setup([new Error('socket hang up')]);
  held.hold(request('a'), 'message', 'us-east-1');
  await held.releaseDue();
  expect(held.pending).toBe(1);
  expect(lines[0]?.line).toMatch(/^SNS delivery to SQS failed: socket hang up; kept/);
});

it('releases nothing while the fault is on, and the others while one is waiting out its delay, in order', async () => {
  const { held, released, at, fault } = setup(['503 (ServiceUnavailable)', undefined, undefined, undefined]);
  held.hold(request('a'), '1', 'us-east-1');
  held.hold(request('b'), '2', 'us-east-1');
  held.hold(request('c'), '3', 'us-east-1');
  fault(true);
  await held.releaseDue();
  expect(held.pending).toBe(3);
  fault(false);
  await held.releaseDue();
  expect(released).toEqual(['b:2', 'c:3']);
  expect(held.pending).toBe(1);
  at(HELD_RETRY_MS);
  await held.releaseDue();
  expect(released).toEqual(['b:2', 'c:3', 'a:1']);
});

it('runs one pass at a time, and none once stopped', async () => {
  const { held, released } = setup([undefined, undefined]);
  held.hold(request('a'), '1', 'us-east-1');
  await Promise.all([held.releaseDue(), held.releaseDue()]);
  expect(released).toEqual(['a:1']);
  held.hold(request('b'), '2', 'us-east-1');
  held.stop();
  await held.releaseDue();
  expect(held.pending).toBe(1);
});
