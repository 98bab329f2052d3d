/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { module: 'commonjs', moduleResolution: 'node', isolatedModules: true } }] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  setupFiles: ['<rootDir>/test/support/env.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/support/cdktf-matchers.ts'],
  testTimeout: 30000,
  // Jest's default is one worker per core but one; on CI's 2 cores that ran every suite in turn.
  // The end-to-end suites mostly wait on timers, child processes and Terraform's waiters, so three
  // run well side by side on 2 cores: 409 s against 559 s with two, the same 1,177 tests green.
  maxWorkers: 3,
  testSequencer: '<rootDir>/test/support/sequencer.js',
};
