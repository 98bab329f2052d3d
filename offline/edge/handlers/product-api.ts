/** The product API is the app's public API: answered as API Gateway would, whatever the origin. */
import type { IncomingMessage } from 'node:http';
import { type ApiRequest, type HttpAnswer, matchApiRequest, newRequestId, stoppingAnswer } from '../../protocol/http-api';
import type { EdgeContext, Handler } from '../chain';
import type { OpenRequests } from '../stop';

/** Answers a product API request, given its body's bytes as sent; `requestId` is API Gateway's id for it. */
export type ApiServer = (request: ApiRequest, req: IncomingMessage, body: Buffer, requestId: string) => Promise<HttpAnswer>;

export const productApi =
  (api: ApiServer, open: OpenRequests): Handler<EdgeContext> =>
  async (context, next) => {
    const { req, res } = context;
    const request = context.control ? undefined : matchApiRequest(req.headers.host, req.url ?? '/');
    if (!request) return next();
    const requestId = newRequestId();
    open.setFallback(res, (started) => stoppingAnswer(requestId, started));
    const refused = open.refusal(req, res);
    if (refused) return refused;
    open.markStarted(res);
    return api(request, req, context.raw, requestId);
  };
