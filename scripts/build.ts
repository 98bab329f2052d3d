/**
 * Bundles each Lambda handler with esbuild into dist/<function>/index.js (the folder the stack
 * zips), with the AWS SDK and Powertools inside the bundle, minified, with a source map; and the
 * dashboard page (dashboard/page) for the browser into dist/dashboard/.
 */
import { build as esbuild, type BuildOptions, type BuildResult, type OutputFile, stop as stopEsbuild } from 'esbuild';
import { existsSync, statSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { command, type Command, main, parse } from './lib/cli';

export const bundles = [
  { name: 'product', entry: 'lambdas/product/handler.ts' },
  { name: 'retry', entry: 'lambdas/retry/handler.ts' },
] as const;

export const distDir = path.resolve(__dirname, '..', 'dist');

let building = 0;

/**
 * esbuild's build, ending esbuild's service (a child process) once no build in this process is
 * under way. Left running, it stays for the life of the process: beside an offline runtime that
 * bundles only at start (and the dashboard page once), about 180 MB resident for nothing.
 */
export async function build<T extends BuildOptions>(options: Parameters<typeof esbuild<T>>[0]): Promise<BuildResult<T>> {
  building += 1;
  try {
    return await esbuild<T>(options);
  } finally {
    building -= 1;
    if (building === 0) await stopEsbuild();
  }
}

/**
 * The time stamp every bundle file gets. The stack's zip of dist/<function> records each file's
 * modification time, so without this every build (npm run deploy bundles first) changed the zip's
 * hash, and a deploy of unchanged code updated both functions.
 */
const BUNDLE_MTIME = new Date('2000-01-01T00:00:00Z');

export async function buildAll(outDir = distDir): Promise<Array<{ name: string; file: string; bytes: number; ms: number }>> {
  return Promise.all(
    bundles.map(async ({ name, entry }) => {
      const outfile = path.join(outDir, name, 'index.js');
      const started = performance.now();
      await build({
        entryPoints: [path.resolve(__dirname, '..', entry)],
        outfile,
        bundle: true,
        platform: 'node',
        target: 'node22',
        format: 'cjs',
        minify: true,
        sourcemap: true,
        // Node's --enable-source-maps (set on the functions) maps stack traces back to the TypeScript.
        sourcesContent: false,
        legalComments: 'none',
        // Prefer the packages' ES module builds: they tree-shake, the CommonJS ones do not.
        mainFields: ['module', 'main'],
        logLevel: 'warning',
      });
      await Promise.all([outfile, `${outfile}.map`].map((file) => utimes(file, BUNDLE_MTIME, BUNDLE_MTIME)));
      return { name, file: path.relative(process.cwd(), outfile), bytes: statSync(outfile).size, ms: performance.now() - started };
    }),
  );
}

/** The dashboard page's entry (dashboard/page, Preact), in the first of these forms that exists. */
export const DASHBOARD_PAGE_ENTRIES = ['dashboard/page/main.tsx', 'dashboard/page/main.ts'] as const;
export const dashboardDistDir = path.join(distDir, 'dashboard');

/**
 * Bundles the dashboard page (dashboard/page/main.ts(x)) for the browser into app.js and app.css:
 * one ES module with Preact inside, nothing fetched from a CDN. Returns the files in memory (the
 * dashboard server serves them from there, so runtimes started at once do not race on dist/);
 * with `outDir` it also writes them there (npm run build: dist/dashboard/). Undefined when the
 * page's entry does not exist.
 */
export async function buildDashboardPage(outDir?: string): Promise<Map<string, Uint8Array> | undefined> {
  const root = path.resolve(__dirname, '..');
  const entry = DASHBOARD_PAGE_ENTRIES.map((file) => path.join(root, file)).find((file) => existsSync(file));
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
    tsconfig: path.join(root, 'dashboard', 'page', 'tsconfig.json'),
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

export function buildCommand(print?: (text: string) => void): Command {
  return command(
    'npm run build --',
    'Bundles each Lambda handler with esbuild into dist/<function>/index.js, the folder the stack zips: one minified file with the AWS SDK and Powertools inside, and a source map.',
    print,
  )
    .option('--out-dir <dir>', 'write the bundles under this folder instead of dist/ (the stack deploys dist/)')
    .addHelpText(
      'after',
      `
Bundles: ${bundles.map(({ name, entry }) => `${name} (${entry})`).join(', ')}; and the
dashboard page (dashboard/page/main.ts) into dist/dashboard/app.js and app.css.
Takes a few seconds. npm start, npm run demo, synth/plan/deploy/destroy and the tests
bundle for themselves; this is for looking at the bundles.
Exit codes: 0 built; 1 a build error; 2 a wrong command line.`,
    );
}

async function run(argv: string[]): Promise<number> {
  const cmd = await parse(buildCommand(), argv);
  if (!cmd) return 0;
  const { outDir } = cmd.opts<{ outDir?: string }>();
  for (const { name, file, bytes, ms } of await buildAll(outDir === undefined ? distDir : path.resolve(outDir))) {
    console.log(`${name.padEnd(8)} ${file.padEnd(24)} ${(bytes / 1024).toFixed(1).padStart(7)} KiB  (${ms.toFixed(0)} ms)`);
  }
  const started = performance.now();
  const pageDir = outDir === undefined ? dashboardDistDir : path.resolve(outDir, 'dashboard');
  const page = await buildDashboardPage(pageDir);
  for (const [name, contents] of page ?? []) {
    const file = path.relative(process.cwd(), path.join(pageDir, name));
    console.log(
      `${'page'.padEnd(8)} ${file.padEnd(24)} ${(contents.length / 1024).toFixed(1).padStart(7)} KiB  (${(performance.now() - started).toFixed(0)} ms)`,
    );
  }
  return 0;
}

if (require.main === module) main(() => run(process.argv.slice(2)));
