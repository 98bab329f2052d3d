const os = require('node:os');

/**
 * TEST_TIME_SCALE multiplies every timeout the tests set (test/support/time-scale.ts). Unset, it is
 * 1 plus the machine's load per core at the start (the highest of its 1, 5 and 15 minute load
 * averages: a machine busy a minute ago is likely busy again), so a run beside other work gets
 * more time instead of failing on timeouts. Set here, once, so jest's workers all read the same value.
 */
function timeScale() {
  const given = process.env.TEST_TIME_SCALE;
  if (given !== undefined && given !== '') {
    const scale = Number(given);
    if (!Number.isFinite(scale) || scale < 1) throw new Error(`TEST_TIME_SCALE must be a number of at least 1, got ${JSON.stringify(given)}`);
    return scale;
  }
  const load = Math.max(...os.loadavg());
  const cores = os.availableParallelism();
  const scale = Math.round((1 + load / cores) * 10) / 10;
  if (scale > 1) console.error(`Test timeouts x${scale} (load average ${load.toFixed(1)} on ${cores} cores); TEST_TIME_SCALE sets it`);
  return scale;
}
process.env.TEST_TIME_SCALE = String(timeScale());

const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: { module: 'commonjs', moduleResolution: 'node', isolatedModules: true } }] };

/** A tier: the suites under test/<name>, the tests' environment and AWS settings. */
const tier = (name, options = {}) => ({
  displayName: name,
  // Node's, with each test's and hook's own timeout scaled too.
  testEnvironment: '<rootDir>/test/support/environment.ts',
  roots: [`<rootDir>/test/${name}`],
  testMatch: ['**/*.test.ts'],
  transform,
  setupFiles: ['<rootDir>/test/support/env.ts'],
  ...options,
});
// One module for every tier that runs the Lambda bundles or a runtime: jest runs it once however many of them run.
const withBundles = { globalSetup: '<rootDir>/test/support/global-setup.ts' };

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    // The type check, ESLint and Prettier, each as a process (test/static/checks.test.ts).
    tier('static'),
    // No child process, socket or real timer (test/support/unit-environment.ts refuses them), no build.
    tier('unit', { testEnvironment: '<rootDir>/test/support/unit-environment.ts' }),
    tier('integration', withBundles),
    tier('e2e', withBundles),
    tier('infra', { ...withBundles, setupFilesAfterEnv: ['<rootDir>/test/support/cdktf-matchers.ts'] }),
    tier('browser', withBundles),
  ],
  testTimeout: Math.ceil(30_000 * Number(process.env.TEST_TIME_SCALE)),
  // Jest's default is one worker per core but one; on CI's 2 cores that ran every suite in turn.
  // The end-to-end suites mostly wait on timers and child processes, and the two deploys (minutes
  // each) on Terraform's waiters, using little CPU: with three workers, two of them held by the
  // deploys left one for everything else; a fourth keeps 2 cores busy meanwhile.
  maxWorkers: 4,
  testSequencer: '<rootDir>/test/support/sequencer.js',
};
