const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: { module: 'commonjs', moduleResolution: 'node', isolatedModules: true } }] };

/** A tier: the suites under test/<name>, Node's environment, the tests' AWS settings. */
const tier = (name, options = {}) => ({
  displayName: name,
  testEnvironment: 'node',
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
    // No child process, socket or real timer (test/support/unit-environment.ts refuses them), no build.
    tier('unit', { testEnvironment: '<rootDir>/test/support/unit-environment.ts' }),
    tier('integration', withBundles),
    tier('e2e', withBundles),
    tier('infra', { ...withBundles, setupFilesAfterEnv: ['<rootDir>/test/support/cdktf-matchers.ts'] }),
    tier('browser', withBundles),
  ],
  testTimeout: 30000,
  // Jest's default is one worker per core but one; on CI's 2 cores that ran every suite in turn.
  // The end-to-end suites mostly wait on timers, child processes and Terraform's waiters, so three
  // run well side by side on 2 cores: 409 s against 559 s with two, the same 1,177 tests green.
  maxWorkers: 3,
  testSequencer: '<rootDir>/test/support/sequencer.js',
};
