/** The dashboard page (dashboard/page, Preact) bundled for the browser. */
import type { OutputFile } from 'esbuild';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from '../../shared/build/esbuild';
import { DIST_DIR, REPO_ROOT } from '../../shared/paths';

/** The dashboard page's entry (dashboard/page, Preact), in the first of these forms that exists. */
export const DASHBOARD_PAGE_ENTRIES = ['dashboard/page/main.tsx', 'dashboard/page/main.ts'] as const;
export const dashboardDistDir = path.join(DIST_DIR, 'dashboard');

/**
 * Bundles the dashboard page (dashboard/page/main.ts(x)) for the browser into app.js and app.css:
 * one ES module with Preact inside, nothing fetched from a CDN. Returns the files in memory (the
 * dashboard server serves them from there, so runtimes started at once do not race on dist/);
 * with `outDir` it also writes them there (npm run build: dist/dashboard/). Undefined when the
 * page's entry does not exist.
 */
export async function buildDashboardPage(outDir?: string): Promise<Map<string, Uint8Array> | undefined> {
  const entry = DASHBOARD_PAGE_ENTRIES.map((file) => path.join(REPO_ROOT, file)).find((file) => existsSync(file));
  if (!entry) return undefined;
  const result = await build({
    entryPoints: { app: entry },
    outdir: dashboardDistDir,
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: path.join(REPO_ROOT, 'dashboard', 'page', 'tsconfig.json'),
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const files = new Map(result.outputFiles.map((file: OutputFile) => [path.basename(file.path), file.contents]));
  if (outDir !== undefined) {
    await mkdir(outDir, { recursive: true });
    await Promise.all([...files].map(([name, contents]) => writeFile(path.join(outDir, name), contents)));
  }
  return files;
}
