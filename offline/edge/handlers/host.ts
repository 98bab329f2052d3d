/** Every route: a page that reaches the runtime under a name of its own (DNS rebinding) reads nothing. */
import type { HostPolicy } from '../../../shared/http/origin';
import { jsonAnswer } from '../answers';
import type { EdgeContext, Handler } from '../chain';

export const host =
  (hosts: HostPolicy): Handler<EdgeContext> =>
  async (context, next) => {
    const { req } = context;
    const wrongHost = hosts.refusal(req.headers.host);
    if (!wrongHost) return next();
    context.log(`Refused ${req.method} ${context.path} for the host ${req.headers.host} (not a loopback name)`);
    return jsonAnswer(403, { message: wrongHost });
  };
