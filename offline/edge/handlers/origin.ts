/**
 * Web pages of other origins may not change anything through the control endpoints or the AWS
 * APIs (shared/http/origin.ts): the runtime's own pages and non-browser clients may. The answers
 * carry the edge's CORS headers in place of an emulator's own (dynalite allows every origin).
 */
import { identify } from '../../protocol/aws-wire';
import type { HttpAnswer } from '../../protocol/http-api';
import type { OriginPolicy } from '../../../shared/http/origin';
import { jsonAnswer } from '../answers';
import type { EdgeContext, Handler } from '../chain';

export const origin =
  (origins: () => OriginPolicy | undefined): Handler<EdgeContext> =>
  async (context, next) => {
    const { req } = context;
    const method = req.method ?? 'GET';
    const decision = origins()?.decide(method, req.headers) ?? { kind: 'pass' as const };
    if (decision.kind === 'refused') {
      context.log(`Refused ${method} ${context.url.pathname} from ${decision.origin === 'none' ? 'a cross-site page' : decision.origin} (cross-origin)`);
      const call = context.control ? undefined : identify(req.headers, context.body);
      return jsonAnswer(403, { ...(call?.protocol === 'json' ? { __type: 'AccessDeniedException' } : {}), message: decision.message });
    }
    if (decision.kind === 'preflight') return { statusCode: 204, headers: decision.headers, body: '' };
    const answer = await next();
    return answer && withCors(answer, decision.kind === 'allowed' ? decision.headers : {});
  };

function withCors(answer: HttpAnswer, cors: Record<string, string>): HttpAnswer {
  const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !/^access-control-/i.test(name)));
  return { ...answer, headers: { ...headers, ...cors } };
}
