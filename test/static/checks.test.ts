/**
 * The static checks, each its npm script run as a process: the type check, the lint (ESLint, then
 * the rooms' import rules: tools/rooms-graph.mjs) and Prettier's format check. As a tier of jest's
 * run, they overlap the suites that mostly wait (the deploys) instead of holding every suite back
 * until they end (docs/testing.md).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../shared/paths';

const run = promisify(execFile);

it.each(['typecheck', 'lint', 'format:check'])(
  'npm run %s passes',
  async (script) => {
    const failure = await run('npm', ['run', '--silent', script], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 }).then(
      () => undefined,
      (error: { code?: number; stdout?: string; stderr?: string }) => `exit ${error.code}\n${error.stdout ?? ''}${error.stderr ?? ''}`,
    );
    expect(failure).toBeUndefined();
  },
  120_000,
);
