/**
 * Bundles each Lambda handler with esbuild into dist/<function>/index.js (the folder the stack
 * zips), with the AWS SDK and Powertools inside the bundle, minified, with a source map; and the
 * dashboard page (dashboard/page) for the browser into dist/dashboard/.
 */
import path from 'node:path';
import { dashboardDistDir, buildDashboardPage } from '../dashboard/server/page-bundle';
import { buildAll, bundles } from '../shared/build/lambda-bundles';
import { DIST_DIR } from '../shared/paths';
import { command, type Command, main, parse } from '../shared/cli/command';

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
  for (const { name, file, bytes, ms } of await buildAll(outDir === undefined ? DIST_DIR : path.resolve(outDir))) {
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
