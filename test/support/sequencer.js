/**
 * The order suites start in. With the durations of a previous run (jest's cache), jest's own:
 * the longest first. On a clean clone, where jest has none and would go by file size, by tier:
 * the real Terraform deploys and terraform's validate/plan first (minutes, mostly waiting on the
 * provider), then the static checks (type check, lint, format), then the experiment library (short files, eight experiments each), the other
 * end-to-end and the browser suites, then the rest, the unit suites last, so the long ones
 * overlap everything else instead of starting last.
 */
const Sequencer = require('@jest/test-sequencer').default;

const TIERS = [
  /test\/infra\/(deploy|terraform)/,
  /test\/static\//,
  /test\/e2e\/experiment-library/,
  /test\/e2e\//,
  /test\/browser\//,
  /test\/infra\//,
  /test\/integration\//,
  /test\/unit\//,
];
const rank = (test) => {
  const index = TIERS.findIndex((pattern) => pattern.test(test.path));
  return index === -1 ? TIERS.length : index;
};

class TierSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    if (sorted.every((test) => test.duration != null)) return sorted;
    // Array.prototype.sort is stable: within a tier, jest's order stays.
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = TierSequencer;
