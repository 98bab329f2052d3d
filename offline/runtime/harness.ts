/** The worker each Lambda function runs in (offline/services/lambda/worker.ts), bundled into dist/. */
import path from 'node:path';
import { build } from '../../shared/build/esbuild';
import { DIST_DIR, REPO_ROOT } from '../../shared/paths';

export const harnessPath = path.join(DIST_DIR, 'offline', 'lambda-worker.js');

export async function buildHarness(): Promise<string> {
  const outfile = harnessPath;
  await build({
    entryPoints: [path.join(REPO_ROOT, 'offline', 'services', 'lambda', 'worker.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
  });
  return outfile;
}
