/**
 * Bundles each Lambda handler with esbuild into dist/<function>/index.js (the folder the stack
 * zips), with the AWS SDK and Powertools inside the bundle, minified, with a source map.
 */
import { build } from 'esbuild';
import { statSync } from 'node:fs';
import path from 'node:path';

export const bundles = [
  { name: 'product', entry: 'lambdas/product/handler.ts' },
  { name: 'retry', entry: 'lambdas/retry/handler.ts' },
] as const;

export const distDir = path.resolve(__dirname, '..', 'dist');

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
      return { name, file: path.relative(process.cwd(), outfile), bytes: statSync(outfile).size, ms: performance.now() - started };
    }),
  );
}

if (require.main === module) {
  buildAll().then(
    (results) => {
      for (const { name, file, bytes, ms } of results) {
        console.log(`${name.padEnd(8)} ${file.padEnd(24)} ${(bytes / 1024).toFixed(1).padStart(7)} KiB  (${ms.toFixed(0)} ms)`);
      }
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
