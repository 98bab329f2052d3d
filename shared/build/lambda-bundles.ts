/**
 * Bundles each Lambda handler with esbuild into dist/<function>/index.js (the folder the stack
 * zips), with the AWS SDK and Powertools inside the bundle, minified, with a source map.
 */
import { statSync } from 'node:fs';
import { utimes } from 'node:fs/promises';
import path from 'node:path';
import { DIST_DIR, REPO_ROOT } from '../paths';
import { build } from './esbuild';

export const bundles = [
  { name: 'product', entry: 'lambdas/product/handler.ts' },
  { name: 'retry', entry: 'lambdas/retry/handler.ts' },
] as const;

/**
 * The time stamp every bundle file gets. The stack's zip of dist/<function> records each file's
 * modification time, so without this every build (npm run deploy bundles first) changed the zip's
 * hash, and a deploy of unchanged code updated both functions.
 */
const BUNDLE_MTIME = new Date('2000-01-01T00:00:00Z');

export async function buildAll(outDir = DIST_DIR): Promise<Array<{ name: string; file: string; bytes: number; ms: number }>> {
  return Promise.all(
    bundles.map(async ({ name, entry }) => {
      const outfile = path.join(outDir, name, 'index.js');
      const started = performance.now();
      await build({
        entryPoints: [path.join(REPO_ROOT, entry)],
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
