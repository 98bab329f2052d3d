import { CircuitBreaker } from '#resilience/breaker';
import { loadConfig } from '../../lambdas/config';
import { createWriteClock } from '#domain/write-clock';
import { timing } from '#spec';

describe('CircuitBreaker', () => {
  let now = 0;
  const breaker = () => new CircuitBreaker({ threshold: 2, cooldownMs: 1_000 }, () => now);
  beforeEach(() => {
    now = 0;
  });

  it('stays closed below the threshold and resets on success', () => {
    const b = breaker();
    b.failure();
    b.success();
    b.failure();
    expect(b.allows()).toBe(true);
    expect(b.isOpen).toBe(false);
  });

  it('opens at the threshold, then lets exactly one probe through after the cooldown', () => {
    const b = breaker();
    b.failure();
    b.failure();
    expect(b.allows()).toBe(false);
    expect(b.retryAfterSeconds()).toBe(1);
    now = 1_000;
    expect(b.allows()).toBe(true);
    expect(b.allows()).toBe(false);
    b.failure();
    expect(b.allows()).toBe(false);
    now = 2_000;
    expect(b.allows()).toBe(true);
    b.success();
    expect(b.allows()).toBe(true);
    expect(b.isOpen).toBe(false);
  });
});

describe('loadConfig', () => {
  it('fails at start-up when a resource name is missing', () => {
    expect(() => loadConfig({}, ['tableName'])).toThrow('Environment variable TABLE_NAME is not set');
  });

  it('takes timings from the environment and falls back to the spec', () => {
    const config = loadConfig({ TABLE_NAME: 'T', AWS_REQUEST_TIMEOUT_MS: '250' }, ['tableName']);
    expect(config).toMatchObject({ tableName: 'T', requestTimeoutMs: 250, dynamoBudgetMs: timing.dynamoBudgetMs });
  });

  it('rejects a timing that is not a positive number', () => {
    expect(() => loadConfig({ BREAKER_COOLDOWN_MS: 'soon' }, [])).toThrow('BREAKER_COOLDOWN_MS must be a positive number, got "soon"');
  });
});

it('the write clock never repeats or runs backwards', () => {
  let wall = 100;
  const next = createWriteClock(() => wall);
  expect([next(), next()]).toEqual([100, 101]);
  wall = 50;
  expect(next()).toBe(102);
  wall = 500;
  expect(next()).toBe(500);
});
