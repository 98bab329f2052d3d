/**
 * AWS SDK clients with an explicit time budget. Endpoints come from the SDK's own configuration,
 * so `AWS_ENDPOINT_URL` (which LocalStack injects into Lambdas) and the per-service
 * `AWS_ENDPOINT_URL_DYNAMODB`-style variables work unchanged.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { region, timing } from '#spec';
import type { Config } from '../config';

function requestHandler(config: Config): NodeHttpHandler {
  return new NodeHttpHandler({
    connectionTimeout: config.connectTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    // Without this, requestTimeout only logs a warning and the call waits on.
    throwOnRequestTimeout: true,
  });
}

const common = (config: Config) => ({ region: process.env.AWS_REGION ?? region, requestHandler: requestHandler(config) });

export const createDynamoClient = (config: Config) => new DynamoDBClient({ ...common(config), maxAttempts: timing.dynamoMaxAttempts });
export const createSnsClient = (config: Config) => new SNSClient({ ...common(config), maxAttempts: timing.snsMaxAttempts });
// Always call the configured endpoint: a queue URL's host (sqs.<region>.localhost.localstack.cloud,
// sqs.<region>.localhost) need not resolve where the function runs.
export const createSqsClient = (config: Config) => new SQSClient({ ...common(config), maxAttempts: timing.sqsMaxAttempts, useQueueUrlAsEndpoint: false });
