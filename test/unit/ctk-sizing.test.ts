/**
 * The runner's waits sized from the target's timings: the settle bound and the redrive threshold
 * from the deployed and the fast timings, a library file's settle window raised (or kept, when the
 * user set it), and 07 skipped, with the reason, where its outage cannot outlast the threshold.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fastTimings } from '../../offline/runtime/compose';
import { declaredExtension } from '../../chaos/runner/offline-extensions';
import { BREAKER_KEY, SETTLE_KEY, sizeRun, type SizingInput } from '../../chaos/runner/sizing';
import { deployedTimings, redriveThresholdSeconds, settleBoundSeconds, type TargetTimings } from '../../chaos/runner/timings';
import { EXPERIMENTS_DIR, REPO_ROOT } from '../../shared/paths';

const deployed = deployedTimings();
/** `npm start -- --fast-timings`. */
const fast: TargetTimings = { ...deployed, ...fastTimings, maxReceiveCount: 20, source: 'target' };

const library = (name: string): unknown => JSON.parse(readFileSync(path.join(REPO_ROOT, EXPERIMENTS_DIR, name), 'utf8'));
const provided = { endpoint: 'http://localhost:4566', state_file: 'w.jsonl', seed: 1 };

function size(name: string, timings: TargetTimings, extra: Partial<SizingInput> = {}) {
  const json = library(name);
  return sizeRun({ json, declared: declaredExtension(json), env: {}, vars: {}, provided, timings, kind: 'offline', ...extra });
}

describe("the target's timings", () => {
  it('bound the settle wait by the visibility timeout, a breaker cooldown, a backoff cap and a margin', () => {
    expect(deployed).toMatchObject({ visibilityTimeoutSeconds: 180, backoffCapSeconds: 2, breakerCooldownMs: 5_000, maxReceiveCount: 1000 });
    expect(settleBoundSeconds(deployed)).toBe(197);
    expect(settleBoundSeconds(fast)).toBe(17);
  });

  it('put the redrive threshold at one backoff per receive: about 33 minutes deployed, seconds with the fast timings', () => {
    // 1 s, then 2 s (the cap) for each of the 998 receives before the 1000th.
    expect(redriveThresholdSeconds(deployed)).toBe(1 + 998 * 2);
    expect(redriveThresholdSeconds(fast)).toBe(19);
    expect(redriveThresholdSeconds({ ...fast, maxReceiveCount: 6 })).toBe(5);
    expect(redriveThresholdSeconds({ ...deployed, backoffBaseSeconds: 1, backoffCapSeconds: 8, maxReceiveCount: 6 })).toBe(1 + 2 + 4 + 8 + 8);
  });
});

describe('sizing a library file', () => {
  it("raises 06's settle window from its default to the target's settle bound, and says why", () => {
    const sizing = size('06-retry-path-broken.json', deployed);
    expect(sizing.skip).toBeUndefined();
    expect(sizing.vars).toEqual({ [SETTLE_KEY]: 197 });
    expect(sizing.notes).toEqual(["settle window raised from 60 s to 197 s, the target's settle bound; the probes stop waiting as soon as they hold"]);
  });

  it('keeps a settle window the user set, with a note, and leaves one long enough alone', () => {
    for (const extra of [{ vars: { [SETTLE_KEY]: 30 } }, { env: { CHAOS_SETTLE_SECONDS: '30' } }]) {
      const sizing = size('06-retry-path-broken.json', deployed, extra);
      expect(sizing.vars).toEqual({});
      expect(sizing.notes).toEqual([expect.stringContaining('settle_seconds is 30 s as set, though the target may take up to 197 s')]);
    }
    expect(size('06-retry-path-broken.json', fast)).toEqual({ vars: {}, notes: [] });
  });

  it("sets 01's breaker cooldown pause to the target's breaker cooldown, unless the user set it", () => {
    expect(size('01-tutorial.json', fast)).toMatchObject({
      vars: { [BREAKER_KEY]: 0.3 },
      notes: [expect.stringContaining("breaker cooldown pause set from 5 s to 0.3 s, the target's breaker cooldown")],
    });
    expect(size('01-tutorial.json', deployed).vars).not.toHaveProperty(BREAKER_KEY);
    for (const extra of [{ vars: { [BREAKER_KEY]: 2 } }, { env: { CHAOS_BREAKER_COOLDOWN_SECONDS: '2' } }])
      expect(size('01-tutorial.json', fast, extra).vars).not.toHaveProperty(BREAKER_KEY);
  });

  it('skips a file whose settle need is beyond a few minutes, naming the faster timings', () => {
    const slow = { ...deployed, visibilityTimeoutSeconds: 900 };
    expect(size('01-tutorial.json', slow).skip).toMatch(
      /^needs npm start -- --fast-timings: its settle window is 60 s, and the target may take up to 917 s to settle \(visibility timeout 900 s, /,
    );
  });

  it('skips 07 where its outage does not outlast the redrive threshold, and runs it where it does', () => {
    expect(size('07-outage-past-redrive.json', deployed).skip).toBe(
      "needs npm start -- --fast-timings: its outage_seconds is 60 s, and the target's redrive threshold is about 1997 s (maxReceiveCount 1000, a receive every 2 s at the backoff cap): set outage_seconds (CHAOS_REDRIVE_OUTAGE_SECONDS) past 1997 s to run it here",
    );
    expect(size('07-outage-past-redrive.json', deployed, { kind: 'localstack' }).skip).toMatch(/^its outage_seconds is 60 s/);
    expect(size('07-outage-past-redrive.json', fast).skip).toBeUndefined();
    expect(size('07-outage-past-redrive.json', deployed, { vars: { outage_seconds: 2_100 } }).skip).toBeUndefined();
  });
});

describe('the outlasts declaration', () => {
  const experiment = (outlasts: unknown) => ({
    configuration: { outage_seconds: 60 },
    extensions: [{ name: 'serverless-chaos', outlasts }],
  });

  it('names configuration values and known target timings', () => {
    expect(declaredExtension(experiment({ outage_seconds: 'redrive-threshold' })).outlasts).toEqual({ outage_seconds: 'redrive-threshold' });
    expect(() => declaredExtension(experiment({ outage: 'redrive-threshold' }))).toThrow('outlasts.outage names no configuration value');
    expect(() => declaredExtension(experiment({ outage_seconds: 'forever' }))).toThrow('outlasts.outage_seconds must be one of: redrive-threshold');
    expect(() => declaredExtension(experiment(['outage_seconds']))).toThrow('outlasts must be an object');
  });
});
