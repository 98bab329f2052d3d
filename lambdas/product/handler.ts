/**
 * The product Lambda behind API Gateway (REST, proxy integration).
 * POST /productApi stores a product (or queues it during a DynamoDB outage); GET reads or lists.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { limits, names, timing } from '#spec';
import { recordClientAttempts } from '#resilience/attempts';
import { CircuitBreaker } from '#resilience/breaker';
import { createDynamoClient, createSnsClient } from '#adapters/clients';
import { type Config, loadConfig } from '../config';
import { Deadline } from '#resilience/deadline';
import { classify, describeError } from '#resilience/failures';
import { createWriteClock, InputError, parseProduct, parseProductId } from '#domain/product';
import { WritePublisher } from '#adapters/sns-publisher';
import { ProductStore } from '#adapters/dynamodb-store';
import { errorResponse, json, NOT_SAVED_MESSAGE, OUTCOME_UNKNOWN_MESSAGE, QUEUED_MESSAGE, readJsonBody, STORED_MESSAGE, text } from './http';
import { saveProduct } from './save';

const route = `/${names.resource}`;

export function createHandler(config: Config) {
  const logger = new Logger({ serviceName: 'product-api' });
  const store = new ProductStore(createDynamoClient(config), config.tableName);
  const sns = createSnsClient(config);
  // Every Publish attempt is recorded, so a 503 can tell "not saved" from "unknown" (save.ts).
  recordClientAttempts(sns);
  const publisher = new WritePublisher(sns, config.topicArn);
  const breaker = new CircuitBreaker({ threshold: config.breakerThreshold, cooldownMs: config.breakerCooldownMs });
  const nextUpdatedAt = createWriteClock();

  const retryAfter = () => ({ 'Retry-After': String(breaker.retryAfterSeconds()) });
  const unavailable = (what: string) => errorResponse(503, `${what} Try again shortly.`, retryAfter());

  async function post(event: APIGatewayProxyEvent, requestId: string, deadline: Deadline) {
    const product = parseProduct(readJsonBody(event));
    const write = { ...product, updatedAt: nextUpdatedAt(), requestId };
    const outcome = await saveProduct(write, deadline, { store, publisher, breaker, logger, dynamoBudgetMs: config.dynamoBudgetMs });
    if (outcome === 'stored') return text(200, STORED_MESSAGE);
    if (outcome === 'queued') return text(202, QUEUED_MESSAGE);
    return errorResponse(503, outcome === 'unknown' ? OUTCOME_UNKNOWN_MESSAGE : NOT_SAVED_MESSAGE, retryAfter());
  }

  async function get(event: APIGatewayProxyEvent, deadline: Deadline) {
    const query = event.queryStringParameters ?? {};
    if (!breaker.allows()) return unavailable('DynamoDB is unavailable.');
    try {
      let result: APIGatewayProxyResult;
      if (query.id !== undefined) {
        const id = parseProductId(query.id);
        const product = await store.get(id, deadline.signal(config.dynamoBudgetMs));
        result = product ? json(200, product) : errorResponse(404, `Product "${id}" not found`);
      } else {
        const page = await store.list(pageSize(query.limit), query.nextToken, deadline.signal(config.dynamoBudgetMs));
        result = json(200, page);
      }
      breaker.success();
      return result;
    } catch (error) {
      if (error instanceof InputError) {
        breaker.success();
        throw error;
      }
      // The request was validated before it was sent, so any DynamoDB error is a faulted
      // dependency (a ConditionalCheckFailedException cannot even happen on a read): 503, not 500.
      // Only unavailability counts towards the breaker; DynamoDB refusing one read is no outage.
      if (classify(error) === 'unavailable') {
        breaker.failure();
        logger.warn('DynamoDB unavailable for a read', { error: describeError(error) });
      } else {
        breaker.success();
        logger.error('DynamoDB refused a read that passed validation', { error: describeError(error) });
      }
      return unavailable('DynamoDB is unavailable.');
    }
  }

  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const requestId = event.requestContext?.requestId || context.awsRequestId;
    logger.addContext(context);
    logger.appendKeys({ requestId });
    const deadline = new Deadline(context, timing.safetyMarginMs);
    try {
      if (event.resource !== route && event.path !== route) throw new InputError(404, `No route for ${event.path}: use ${route}`);
      if (event.httpMethod === 'POST') return await post(event, requestId, deadline);
      if (event.httpMethod === 'GET') return await get(event, deadline);
      return errorResponse(405, `Method ${event.httpMethod} is not allowed on ${route}: use GET or POST`, { Allow: 'GET, POST' });
    } catch (error) {
      if (error instanceof InputError) {
        logger.info('Request rejected', { statusCode: error.statusCode, reason: error.message });
        return errorResponse(error.statusCode, error.message);
      }
      logger.error('Unexpected error', { error: describeError(error) });
      return errorResponse(500, 'Internal error; the request id is ' + requestId);
    } finally {
      logger.removeKeys(['requestId']);
    }
  };
}

function pageSize(raw: string | undefined): number {
  if (raw === undefined) return limits.listDefaultLimit;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > limits.listMaxLimit) {
    throw new InputError(400, `Invalid limit: must be a whole number from 1 to ${limits.listMaxLimit}`);
  }
  return value;
}

export const handler = createHandler(loadConfig(process.env, ['tableName', 'topicArn']));
