/**
 * The memory section of `npm run bench`: the offline runtime's resident memory (RSS) under a long
 * stream of writes. The runtime runs as `npm start` runs it (its own process, bundling at start);
 * MEMORY_WRITERS writers send writes to the product API as fast as it takes them, over a bounded
 * set of ids, so the table stays at MEMORY_IDS items and what grows is the runtime, not the data.
 * Its RSS, the process (its worker threads, the Lambda environments, included) and its child
 * processes, is read from /proc after 1,000, 10,000 and 100,000 writes.
 */
import { existsSync } from 'node:fs';
import { processTreeRss, startRuntimeProcess, stopRuntimeProcess } from './process';
import { AppClient } from '../shared/app-client/app-client';
import type { Figure } from './figures';

/** Writes after which the RSS is read; --quick stops at the second. */
export const memoryCheckpoints = [1_000, 10_000, 100_000] as const;
/** The design's targets: at most this RSS after the last checkpoint, and this growth from the second to the last. */
export const memoryTargets = { rssMiB: 400, growthPercent: 10 } as const;
/** Distinct ids the writes cycle through. */
export const MEMORY_IDS = 1_000;
/**
 * Writes under way at once, each sent as soon as the one before it is answered: the product
 * function then runs as many execution environments (below its limit, offline.productConcurrency).
 */
export const MEMORY_WRITERS = 8;

/** One figure, as the bench records it (figures.ts). */

const count = (writes: number) => writes.toLocaleString('en');

export const memoryNames = {
  rss: (writes: number) => `runtime RSS after ${count(writes)} writes (process and children)`,
  children: (writes: number) => `runtime RSS after ${count(writes)} writes: child processes`,
  growth: `runtime RSS growth from ${count(memoryCheckpoints[1])} to ${count(memoryCheckpoints[2])} writes`,
  rate: 'writes per second while the RSS was read',
  duration: (writes: number) => `time for the ${count(writes)} writes of the RSS readings`,
} as const;

const round = (value: number, places = 1) => Math.round(value * 10 ** places) / 10 ** places;

/** Measures the section; prints its progress with `say`, records each figure with `record`. */
export async function memorySection(record: (...figures: Figure[]) => void, say: (line: string) => void, quick: boolean): Promise<void> {
  if (!existsSync('/proc/self/status')) {
    say("  section memory: skipped (needs /proc to read the runtime's RSS)");
    return;
  }
  const checkpoints = quick ? memoryCheckpoints.slice(0, 2) : memoryCheckpoints;
  const total = checkpoints[checkpoints.length - 1] ?? 0;
  const runtime = await startRuntimeProcess([]);
  try {
    const target = new AppClient(runtime.url);
    const rss: Record<number, number> = {};
    say(`  (${count(total)} writes to the product API, ${MEMORY_WRITERS} at a time, over ${count(MEMORY_IDS)} ids...)`);
    const started = performance.now();
    let next = 0;
    let done = 0;
    const writer = async () => {
      while (next < total) {
        const id = `memory-${next % MEMORY_IDS}`;
        next += 1;
        const answer = await target.post({ id, name: 'Bench', price: 1, description: 'b' });
        if (answer.status !== 200) {
          next = total; // the other writers stop too
          throw new Error(`unexpected status ${answer.status} for a write (${answer.body || String(answer.error)})`);
        }
        done += 1;
        if (!checkpoints.includes(done as (typeof checkpoints)[number])) continue;
        const { processMiB, childrenMiB } = processTreeRss(runtime.pid);
        rss[done] = round(processMiB + childrenMiB);
        const ceiling = done === memoryCheckpoints[2] ? { target: memoryTargets.rssMiB } : {};
        record(
          { name: memoryNames.rss(done), unit: 'MiB', value: rss[done] ?? 0, ...ceiling },
          { name: memoryNames.children(done), unit: 'MiB', value: childrenMiB },
        );
      }
    };
    await Promise.all(Array.from({ length: MEMORY_WRITERS }, writer));
    const seconds = (performance.now() - started) / 1000;
    const [, from = 0, to] = checkpoints.map((writes) => rss[writes] ?? 0);
    if (to !== undefined) record({ name: memoryNames.growth, unit: '%', value: round(((to - from) / from) * 100), target: memoryTargets.growthPercent });
    else say(`  ${memoryNames.growth}: not measured (--quick stops at ${count(total)} writes)`);
    record(
      { name: memoryNames.duration(total), unit: 's', value: round(seconds) },
      { name: memoryNames.rate, unit: 'writes/s', value: Math.round(total / seconds) },
    );
  } finally {
    await stopRuntimeProcess(runtime);
  }
}
