/**
 * The dashboard section of `npm run bench`: what the live dashboard costs the offline runtime
 * while nothing else happens. The runtime runs as `npm start` runs it (its own process, the app
 * deployed, no traffic), and its CPU time (user + system, all its threads, from /proc/<pid>/stat)
 * is read over the same idle window three times: no page open, one dashboard page open in
 * headless Chromium (or, without /usr/bin/chromium, one reader of the page's event stream, which
 * is what the page costs the server), and no page again after it closed, when the dashboard must
 * have stopped polling. Figures in % of one core.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startRuntimeProcess, stopRuntimeProcess } from './process';
import type { Figure } from './figures';

const CHROMIUM = '/usr/bin/chromium';

/** The idle window per reading, in seconds. */
export const dashboardIdleSeconds = 30;
/** Time after each change (start, page opened or closed) before a window starts: start-up and page load settle. */
const settleSeconds = 5;
/** The target: idle, one open page costs the runtime under this much of one core. */
export const dashboardTargetPercent = 5;

export const dashboardNames = {
  none: 'runtime CPU, idle, no dashboard page open',
  page: 'runtime CPU, idle, one dashboard page open',
  cost: "the open page's cost (page open minus none)",
  after: 'runtime CPU, idle, after the page closed',
} as const;

const round = (value: number) => Math.round(value * 100) / 100;

const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system, every thread) a process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at the state, field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** % of one core the process used over `seconds` from now. */
async function idleWindow(pid: number, seconds: number): Promise<number> {
  const cpu = cpuSeconds(pid);
  const started = performance.now();
  await sleep(seconds * 1000);
  const wall = (performance.now() - started) / 1000;
  return round(((cpuSeconds(pid) - cpu) / wall) * 100);
}

/** One open dashboard: a Chromium page, or a reader of its event stream. Closes it when asked. */
async function openDashboard(url: string): Promise<{ how: string; close: () => Promise<void> }> {
  if (existsSync(CHROMIUM)) {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await page.goto(`${url}/dashboard/`);
    await page.getByTestId('node-dynamodb').waitFor({ timeout: 15_000 });
    return { how: 'headless Chromium', close: () => browser.close() };
  }
  const controller = new AbortController();
  const response = await fetch(`${url}/dashboard/api/events`, { signal: controller.signal });
  if (!response.body) throw new Error(`${url}/dashboard/api/events answered ${response.status} with no stream`);
  const reader = response.body.getReader();
  void (async () => {
    for (;;) if ((await reader.read()).done) return;
  })().catch(() => undefined);
  return { how: `an event-stream reader (${CHROMIUM} is missing)`, close: async () => controller.abort() };
}

/** Measures the section; prints its progress with `say`, records each figure with `record`. */
export async function dashboardSection(record: (...figures: Figure[]) => void, say: (line: string) => void, seconds = dashboardIdleSeconds): Promise<void> {
  if (!existsSync('/proc/self/stat')) {
    say("  section dashboard: skipped (needs /proc to read the runtime's CPU time)");
    return;
  }
  const runtime = await startRuntimeProcess(['--no-build']);
  const { pid, url } = runtime;
  try {
    await sleep(2 * settleSeconds * 1000); // the start-up's own work (first polls, JIT) out of the way
    say(`  (the runtime idle for ${seconds} s with no page, ${seconds} s with one, ${seconds} s after it closed...)`);
    const none = await idleWindow(pid, seconds);
    const page = await openDashboard(url);
    let open: number;
    try {
      await sleep(settleSeconds * 1000);
      open = await idleWindow(pid, seconds);
    } finally {
      await page.close();
    }
    await sleep(settleSeconds * 1000);
    const after = await idleWindow(pid, seconds);
    const unit = '% of one core';
    record(
      { name: dashboardNames.none, unit, value: none },
      { name: dashboardNames.page, unit, value: open },
      { name: dashboardNames.cost, unit, value: round(open - none) },
      { name: dashboardNames.after, unit, value: after },
    );
    say(
      `  dashboard, idle ${seconds} s each: no page ${none} % | one page (${page.how}) ${open} % | after it closed ${after} %  (target: the page under ${dashboardTargetPercent} % of one core)`,
    );
  } finally {
    await stopRuntimeProcess(runtime);
  }
}
