/**
 * The product Lambda behind API Gateway (REST, proxy integration).
 * POST /productApi stores a product (or queues it during a DynamoDB outage); GET reads or lists.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { names, timing } from '#spec';
import { CircuitBreaker } from '#resilience/breaker';
import { Deadline } from '#resilience/deadline';
import { describeError } from '#resilience/failures';
import { guardedRead } from '#resilience/guarded-read';
import { parsePageSize, parseProduct, parseProductId, type ProductWrite } from '#domain/product';
import type { StoredVersion } from '#domain/ordering';
import { createWriteClock } from '#domain/write-clock';
import { createDynamoClient, createSnsClient } from '#adapters/clients';
import { DynamoDbProductStore } from '#adapters/dynamodb-store';
import { recordClientAttempts } from '#adapters/sdk-attempts';
import { WritePublisher } from '#adapters/sns-publisher';
import { type Config, loadConfig } from '../config';
import { clientError, errorResponse, HttpError, json, readJsonBody, text } from './http';
import { NOT_SAVED_MESSAGE, OUTCOME_UNKNOWN_MESSAGE, QUEUED_MESSAGE, STORED_MESSAGE } from '../../spec/api-messages';
import { saveProduct } from './save';

/**
 * Thrown out of the handler when a write is lost because the fallback is off: the invocation
 * fails, and API Gateway answers 502 {"message": "Internal server error"}, as the tutorial's
 * application did before the fix.
 */
export class WriteLostError extends Error {
  override name = 'WriteLostError';
}

const route = `/${names.resource}`;

/**
 * The answer to a superseded write: a 200, since the write was accepted and is ordered before the
 * newer one (a 4xx would invite a retry that, stamped anew, overwrites the newer write), but not
 * the "added/updated" sentence, since GET shows the newer write.
 */
const supersededMessage = (write: ProductWrite, newer: StoredVersion) =>
  `Product "${write.id}" not changed: the table holds a newer write of it (updatedAt ${newer.updatedAt}; this write's is ${write.updatedAt}), ` +
  'and the write with the later updatedAt wins.';

export function createHandler(config: Config) {
  const logger = new Logger({ serviceName: 'product-api' });
  const store = new DynamoDbProductStore(createDynamoClient(config), config.tableName, config.clockSkewSeconds);
  const sns = createSnsClient(config);
  // Every Publish attempt is recorded, so a 503 can tell "not saved" from "unknown" (save.ts).
  recordClientAttempts(sns);
  const publisher = new WritePublisher(sns, config.topicArn);
  const breaker = new CircuitBreaker({ threshold: config.breakerThreshold, cooldownMs: config.breakerCooldownMs });
  const nextUpdatedAt = createWriteClock();

  const retryAfter = () => ({ 'Retry-After': String(breaker.retryAfterSeconds()) });

  async function post(event: APIGatewayProxyEvent, requestId: string, deadline: Deadline) {
    const product = parseProduct(readJsonBody(event));
    const write = { ...product, updatedAt: nextUpdatedAt(), requestId };
    const outcome = await saveProduct(write, deadline, {
      store,
      publisher,
      breaker,
      logger,
      dynamoBudgetMs: config.dynamoBudgetMs,
      fallback: config.writeFallback,
    });
    if (outcome.kind === 'stored') return text(200, STORED_MESSAGE);
    if (outcome.kind === 'superseded') return text(200, supersededMessage(write, outcome.newer));
    if (outcome.kind === 'queued') return text(202, QUEUED_MESSAGE);
    if (outcome.kind === 'lost') throw new WriteLostError(`DynamoDB failed and the fallback is off: the write of product "${write.id}" is lost`);
    return errorResponse(503, outcome.kind === 'unknown' ? OUTCOME_UNKNOWN_MESSAGE : NOT_SAVED_MESSAGE, retryAfter());
  }

  async function get(event: APIGatewayProxyEvent, deadline: Deadline) {
    const query = event.queryStringParameters ?? {};
    const signal = () => deadline.signal(config.dynamoBudgetMs);
    const read = await guardedRead(breaker, async () => {
      if (query.id === undefined) return json(200, await store.list(parsePageSize(query.limit), query.nextToken, signal()));
      const id = parseProductId(query.id);
      const product = await store.get(id, signal());
      return product ? json(200, product) : errorResponse(404, `Product "${id}" not found`);
    });
    if (read.kind === 'read') return read.value;
    // The request was validated before it was sent, so any DynamoDB error is a faulted dependency: 503, not 500.
    if (read.kind === 'rejected') logger.error('DynamoDB refused a read that passed validation', { error: describeError(read.error) });
    else if (read.error !== undefined) logger.warn('DynamoDB unavailable for a read', { error: describeError(read.error) });
    return errorResponse(503, 'DynamoDB is unavailable. Try again shortly.', retryAfter());
  }

  return async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> => {
    const requestId = event.requestContext?.requestId || context.awsRequestId;
    logger.addContext(context);
    logger.appendKeys({ requestId });
    const deadline = new Deadline(context, timing.safetyMarginMs);
    try {
      if (event.resource !== route && event.path !== route) throw new HttpError(404, `No route for ${event.path}: use ${route}`);
      if (event.httpMethod === 'POST') return await post(event, requestId, deadline);
      if (event.httpMethod === 'GET') return await get(event, deadline);
      return errorResponse(405, `Method ${event.httpMethod} is not allowed on ${route}: use GET or POST`, { Allow: 'GET, POST' });
    } catch (error) {
      // Unhandled on purpose: the invocation fails (see WriteLostError).
      if (error instanceof WriteLostError) throw error;
      const rejected = clientError(error);
      if (rejected) {
        logger.info('Request rejected', { statusCode: rejected.statusCode, reason: rejected.message });
        return errorResponse(rejected.statusCode, rejected.message);
      }
      logger.error('Unexpected error', { error: describeError(error) });
      return errorResponse(500, 'Internal error; the request id is ' + requestId);
    } finally {
      logger.removeKeys(['requestId']);
    }
  };
}

export const handler = createHandler(loadConfig(process.env, ['tableName', 'topicArn']));
