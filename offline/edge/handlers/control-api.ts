/** LocalStack's endpoints (its health check and Chaos API), and the runtime's own under /_offline/. */
import { ChaosValidationError } from '../../../shared/contracts/chaos-api-validate';
import { LAMBDA_FAULTS_PATH, OFFLINE_PREFIX } from '../../../shared/contracts/offline-api';
import { InvalidJson, parseJson } from '../../../shared/http/json-body';
import type { Chaos } from '../../chaos/chaos';
import type { HttpAnswer } from '../../protocol/http-api';
import { jsonAnswer } from '../answers';
import type { EdgeContext, Handler } from '../chain';

export const controlApi =
  (chaos: Chaos, health: () => Record<string, unknown>): Handler<EdgeContext> =>
  async (context, next) =>
    context.control ? controlAnswer(context, chaos, health) : next();

function controlAnswer(context: EdgeContext, chaos: Chaos, health: () => Record<string, unknown>): HttpAnswer {
  const method = context.req.method ?? 'GET';
  const path = context.url.pathname;
  if (path === '/_localstack/health' || path === '/_localstack/health/') return jsonAnswer(200, health());
  const handlers: Record<string, Record<string, (input: unknown) => unknown>> = {
    '/_localstack/chaos/faults': {
      GET: () => chaos.getFaults(),
      POST: (input) => chaos.setFaults(input),
      PATCH: (input) => chaos.addFaults(input),
      DELETE: (input) => chaos.removeFaults(input),
    },
    '/_localstack/chaos/effects': { GET: () => chaos.getEffects(), POST: (input) => chaos.setEffects(input) },
    [LAMBDA_FAULTS_PATH]: {
      GET: () => chaos.getLambdaFaults(),
      POST: (input) => chaos.setLambdaFaults(input),
      PATCH: (input) => chaos.addLambdaFaults(input),
      DELETE: (input) => chaos.removeLambdaFaults(input),
    },
  };
  const routes = handlers[path.replace(/\/$/, '')];
  if (!routes) return jsonAnswer(404, { message: `Unknown ${path.startsWith(OFFLINE_PREFIX) ? 'offline runtime' : 'LocalStack'} endpoint ${path}` });
  const handler = routes[method];
  if (!handler) return jsonAnswer(405, { message: `${method} is not supported on ${path}; use ${Object.keys(routes).join(', ')}` });
  try {
    const result = handler(method === 'GET' ? undefined : parseJson(context.body));
    context.log(`Chaos ${method} ${path} => ${JSON.stringify(result)}`);
    return jsonAnswer(200, result);
  } catch (error) {
    if (error instanceof ChaosValidationError || error instanceof InvalidJson) return jsonAnswer(400, { message: error.message });
    throw error;
  }
}
