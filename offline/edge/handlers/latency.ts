/**
 * The Chaos API's latency effect, a network effect: first for every AWS call, before IAM and
 * faults. A call still waiting it out when the runtime begins to stop is not run.
 */
import type { HttpAnswer } from '../../protocol/http-api';
import type { Chaos } from '../../chaos/chaos';
import type { CallContext, Handler } from '../chain';
import { type OpenRequests, STOPPING_MESSAGE } from '../stop';

export const latency =
  (chaos: Chaos, open: OpenRequests): Handler<CallContext, HttpAnswer> =>
  async (context, next) => {
    // An observer's readings are not slowed down (nor draw a jitter).
    if (await open.waitOut(context.observer ? 0 : chaos.latencyFor(context.call.service))) {
      context.log(`AWS ${context.name} => 503 (not run: the runtime is stopping)`);
      return context.refuse({ statusCode: 503, code: 'ServiceUnavailable' }, STOPPING_MESSAGE);
    }
    return next();
  };
