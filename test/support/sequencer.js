/**
 * Runs the longest suites (the real Terraform deploys) first, so on CI's two workers they overlap
 * the short ones instead of starting last on a clean clone, where Jest has no timings yet.
 */
const Sequencer = require('@jest/test-sequencer').default;

const slowFirst = /test\/infra\/deploy/;

class SlowFirstSequencer extends Sequencer {
  async sort(tests) {
    const sorted = await super.sort(tests);
    return [...sorted.filter((test) => slowFirst.test(test.path)), ...sorted.filter((test) => !slowFirst.test(test.path))];
  }
}

module.exports = SlowFirstSequencer;
