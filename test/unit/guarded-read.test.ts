/** The breaker bookkeeping of a read: what counts towards an outage, and what the caller gets. */
import { CircuitBreaker } from '#resilience/breaker';
import { guardedRead } from '#resilience/guarded-read';
import { ValidationError } from '#domain/errors';

const failing = (name: string) => () => Promise.reject(Object.assign(new Error(name), { name }));
const breaker = () => new CircuitBreaker({ threshold: 2, cooldownMs: 60_000 });

it('returns the value of a read that succeeds', async () => {
  expect(await guardedRead(breaker(), async () => 'item')).toEqual({ kind: 'read', value: 'item' });
});

it('counts unavailability towards the breaker, and once it is open makes no call', async () => {
  const b = breaker();
  expect(await guardedRead(b, failing('InternalServerError'))).toMatchObject({ kind: 'unavailable', error: { name: 'InternalServerError' } });
  await guardedRead(b, failing('TimeoutError'));
  const read = jest.fn(async () => 'item');
  expect(await guardedRead(b, read)).toEqual({ kind: 'unavailable' });
  expect(read).not.toHaveBeenCalled();
});

it('does not count a refused read as an outage', async () => {
  const b = breaker();
  await guardedRead(b, failing('InternalServerError'));
  expect(await guardedRead(b, failing('ValidationException'))).toMatchObject({ kind: 'rejected', error: { name: 'ValidationException' } });
  await guardedRead(b, failing('InternalServerError'));
  expect(b.isOpen).toBe(false);
});

it('throws a ValidationError on for the caller, without counting it against DynamoDB', async () => {
  const b = breaker();
  await guardedRead(b, failing('InternalServerError'));
  await expect(guardedRead(b, () => Promise.reject(new ValidationError('Invalid id: must not be empty')))).rejects.toThrow(ValidationError);
  await guardedRead(b, failing('InternalServerError'));
  expect(b.isOpen).toBe(false);
});
