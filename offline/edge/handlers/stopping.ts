/**
 * The runtime's stop, as each request meets it: a request joins the open ones (open-request),
 * learns the answer it gets if the runtime stops before it is answered, in its own format, and
 * is refused at once when the runtime is stopping already.
 */
import { randomUUID } from 'node:crypto';
import { faultResponse, identify } from '../../protocol/aws-wire';
import { AwsError } from '../../protocol/service';
import { fromAws } from '../answers';
import type { EdgeContext, Handler } from '../chain';
import type { OwnServices } from '../own-services';
import { CUT_SHORT_MESSAGE, type OpenRequests, STOPPING_MESSAGE } from '../stop';

export const openRequest =
  (open: OpenRequests): Handler<EdgeContext> =>
  (context, next) => {
    open.add(context.res);
    return next();
  };

const stoppingError = (started: boolean) => new AwsError('ServiceUnavailable', started ? CUT_SHORT_MESSAGE : STOPPING_MESSAGE, 503);

export const stopping =
  (open: OpenRequests, services: OwnServices): Handler<EdgeContext> =>
  async (context, next) => {
    const { req, res, control } = context;
    const own = control ? undefined : services.for(req.headers.authorization);
    if (own) {
      open.setFallback(res, (started) => fromAws(own.service.errorResponse(stoppingError(started), randomUUID())));
    } else if (!control) {
      const call = identify(req.headers, context.body);
      if (call)
        open.setFallback(res, (started) =>
          faultResponse(call, { statusCode: 503, code: 'ServiceUnavailable' }, started ? CUT_SHORT_MESSAGE : STOPPING_MESSAGE),
        );
    }
    return open.refusal(req, res) ?? next();
  };
