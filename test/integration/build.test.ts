/** The deployable bundles: each handler builds into one self-contained file that runs without node_modules. */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildDashboardPage } from '../../dashboard/server/page-bundle';
import { buildAll } from '../../shared/build/lambda-bundles';
import { apiEvent, lambdaContext } from '../support/events';
import { eventually } from '../support/offline';

it('bundles each handler into a file that loads and answers on its own', async () => {
  const isolated = mkdtempSync(path.join(os.tmpdir(), 'bundle-'));
  try {
    const results = await buildAll(path.join(isolated, 'dist'));
    expect(results.map((r) => r.name).sort()).toEqual(['product', 'retry']);
    for (const { name, file, bytes } of results) {
      expect(bytes).toBeGreaterThan(10_000);
      const copy = path.join(isolated, `${name}.js`);
      copyFileSync(file, copy);
      // Loaded from a folder with no node_modules: everything it needs must be inside the bundle.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const loaded = require(copy) as { handler: unknown };
      expect(typeof loaded.handler).toBe('function');
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { handler } = require(path.join(isolated, 'product.js')) as { handler: (e: unknown, c: unknown) => Promise<{ statusCode: number; body: string }> };
    const answer = await handler(apiEvent({ body: '{"id":' }), lambdaContext());
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(answer.body).message).toMatch(/not valid JSON/);
  } finally {
    rmSync(isolated, { recursive: true, force: true });
  }
});

/** This process's child processes named esbuild (its service), from /proc/<pid>/stat: "pid (name) state ppid ...". */
function esbuildChildren(): number[] {
  return readdirSync('/proc').flatMap((entry) => {
    if (!/^\d+$/.test(entry)) return [];
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      return []; // it ended meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return parent === process.pid && name === 'esbuild' ? [Number(entry)] : [];
  });
}

it('leaves no esbuild service process behind once no build is under way, even when builds overlap', async () => {
  const isolated = mkdtempSync(path.join(os.tmpdir(), 'bundle-'));
  try {
    // Three builds at once (the two bundles and the page): the first to end must not stop the others'.
    const [bundles, page] = await Promise.all([buildAll(path.join(isolated, 'dist')), buildDashboardPage()]);
    expect(bundles.map((r) => r.name).sort()).toEqual(['product', 'retry']);
    expect(page?.has('app.js')).toBe(true);
    // Stopped at once; the process ends a moment later. Left running, it stays for the life of this one.
    await eventually('the esbuild service to end', async () => esbuildChildren().length === 0, 5_000);
  } finally {
    rmSync(isolated, { recursive: true, force: true });
  }
});
