/** The API Gateway control plane served over HTTP for a test, with the SDK client, and the ARNs and URIs its tests expect. */
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { names, region } from '#spec';
import { ApiGatewayControlService } from '../../offline/services/apigateway/control';
import { createProductApi } from '../../offline/runtime/provision';
import { arn } from './clients';
import { serveWithClient } from './service-server';

export const productArn = arn('lambda', `function:${names.productFunction}`);
export const otherArn = arn('lambda', 'function:Other');
/** A Lambda integration's URI, spelled out here rather than taken from the code under test. */
export const invokeUri = (functionArn: string) => `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`;
export const apiArn = `arn:aws:apigateway:${region}::/restapis/${names.restApiId}`;

/** A fresh control plane on a free port, and a client for it. */
export async function serveApiGateway() {
  const control = new ApiGatewayControlService();
  return { control, ...(await serveWithClient([control], (config) => new APIGatewayClient(config))) };
}

/**
 * The stack's API as the Terraform provider creates it, through the runtime's own provisioning:
 * the tagged API with its binary media types, productApi, GET and POST proxying to the product
 * function, a deployment and the dev stage.
 */
export const deployStack = (client: APIGatewayClient) => createProductApi(client, productArn);
