/**
 * Where the runtime injects faults: the Chaos API's fault rules (the engine is offline/chaos/chaos.ts,
 * `faultFor`) fail a call IAM let through, in its service's own format, before it reaches the
 * service. An observer's readings (the dashboard) observe the outage without being part of it,
 * nor drawing from a seeded rule's sequence.
 */
import { FAULT_MESSAGE } from '../../protocol/aws-wire';
import type { HttpAnswer } from '../../protocol/http-api';
import type { Chaos } from '../../chaos/chaos';
import type { CallContext, Handler } from '../chain';

export const faults =
  (chaos: Chaos): Handler<CallContext, HttpAnswer> =>
  async (context, next) => {
    const fault = context.observer ? undefined : chaos.faultFor(context.call);
    if (!fault) return next();
    context.logRefusal(`${fault.statusCode} (${fault.code})`);
    return context.refuse(fault, FAULT_MESSAGE);
  };
