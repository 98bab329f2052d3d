/** The breaker bookkeeping of a read: what counts towards an outage, and what the caller gets. */
import { CircuitBreaker } from '#resilience/breaker';
import { guardedRead } from '#resilience/guarded-read';
import { ValidationError } from '#domain/errors';
import { StoreRejected, StoreUnavailable } from '#domain/product-store';

/** A store read failing as the store says it (domain/product-store.ts), with the service's own error named `name`. */
const failing = (Failure: typeof StoreRejected | typeof StoreUnavailable, name: string) => () =>
  Promise.reject(new Failure(name, { mayHaveLanded: false, cause: Object.assign(new Error(name), { name }) }));
const unavailable = (name = 'InternalServerError') => failing(StoreUnavailable, name);
const breaker = () => new CircuitBreaker({ threshold: 2, cooldownMs: 60_000 });

it('returns the value of a read that succeeds', async () => {
  expect(await guardedRead(breaker(), async () => 'item')).toEqual({ kind: 'read', value: 'item' });
});

it("counts unavailability towards the breaker, hands over the store's own error, and once open makes no call", async () => {
  const b = breaker();
  expect(await guardedRead(b, unavailable())).toMatchObject({ kind: 'unavailable', error: { name: 'InternalServerError' } });
  await guardedRead(b, unavailable('TimeoutError'));
  const read = jest.fn(async () => 'item');
  expect(await guardedRead(b, read)).toEqual({ kind: 'unavailable' });
  expect(read).not.toHaveBeenCalled();
});

it('counts an error that is not a store error (a bug) as unavailability', async () => {
  const b = breaker();
  const bug = new TypeError('x is undefined');
  expect(await guardedRead(b, () => Promise.reject(bug))).toEqual({ kind: 'unavailable', error: bug });
  await guardedRead(b, unavailable());
  expect(b.isOpen).toBe(true);
});

it('does not count a refused read as an outage', async () => {
  const b = breaker();
  await guardedRead(b, unavailable());
  expect(await guardedRead(b, failing(StoreRejected, 'ValidationException'))).toMatchObject({ kind: 'rejected', error: { name: 'ValidationException' } });
  await guardedRead(b, unavailable());
  expect(b.isOpen).toBe(false);
});

it('throws a ValidationError on for the caller, without counting it against the store', async () => {
  const b = breaker();
  await guardedRead(b, unavailable());
  await expect(guardedRead(b, () => Promise.reject(new ValidationError('Invalid id: must not be empty')))).rejects.toThrow(ValidationError);
  await guardedRead(b, unavailable());
  expect(b.isOpen).toBe(false);
});
