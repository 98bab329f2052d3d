/** Reads the body, up to the limit of the service the call is signed for, else the edge's own. */
import type { EdgeContext, Handler } from '../chain';
import { PayloadTooLarge, readBody, tooLarge } from '../body';
import type { OwnServices } from '../own-services';

export const body =
  (services: OwnServices): Handler<EdgeContext> =>
  async (context, next) => {
    const owner = services.for(context.req.headers.authorization)?.service;
    try {
      context.raw = await readBody(context.req, owner?.bodyLimit?.bytes);
    } catch (error) {
      if (error instanceof PayloadTooLarge) return tooLarge(context.req, owner);
      throw error;
    }
    // The AWS APIs and the control endpoints take UTF-8 text; the product API gets the bytes as sent.
    context.body = context.raw.toString('utf8');
    return next();
  };
