/**
 * API Gateway (REST APIs, v1), in memory: the control plane the Terraform AWS provider drives for
 * aws_api_gateway_rest_api, _resource, _method, _integration, _deployment and _stage (REST-JSON,
 * paths, members and errors as in the 2015-07-09 model), and the look-up the runtime serves API
 * requests with. As on AWS, a stage serves the snapshot its deployment took, not the API as it
 * is now: a change is live only after a new deployment. A `_custom_id_` tag sets the API's id,
 * as LocalStack does. Not emulated: authorizers, models, validators, method and integration
 * responses, gateway responses, API keys and usage plans, canaries, caching, domain names,
 * OpenAPI import (PutRestApi, the provider's `body`).
 *
 * What it keeps is in model.ts, the operations in operations/, their routes in routes.ts.
 */
import { localstack, region as defaultRegion } from '#spec';
import { RestRouter } from '../../protocol/rest-json';
import type { AwsError, AwsRequest, AwsResponse, AwsService, CallShape, Scope } from '../../protocol/service';
import { type ApiInventory, BAD_REQUEST, type RouteLookup, RestApiStore } from './model';
import { compareRanks, matchPath, splitPath } from './paths';
import { deployedIntegration } from './render';
import { restRoutes } from './routes';

const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export class ApiGatewayControlService implements AwsService {
  readonly names = ['apigateway'] as const;
  private readonly store = new RestApiStore();
  private readonly router = new RestRouter({ validationError: BAD_REQUEST, routes: restRoutes(this.store) });

  /** `home` is the runtime's region and account, where `route` and `inventory` look. */
  constructor(private readonly home: Scope = { region: defaultRegion, accountId: localstack.accountId }) {}

  readonly handle = (request: AwsRequest): Promise<AwsResponse> => this.router.handle(request);

  /** The operation a call names, for the edge's chaos and IAM. */
  operationOf(call: CallShape): string | undefined {
    return this.router.operation(call.method, call.path);
  }

  /** The edge renders faults and denials in API Gateway's format with this. */
  errorResponse(error: AwsError, requestId: string): AwsResponse {
    return this.router.errorResponse(error, requestId);
  }

  /**
   * What the stage's deployment serves for a request: the most specific resource whose path
   * matches (literal segments before `{param}`, before `{greedy+}`) that has the method or ANY.
   */
  route(apiId: string, stageName: string, method: string, path: string): RouteLookup {
    const api = this.store.apis(this.home).get(apiId);
    if (!api) return { missing: 'api' };
    const stage = api.stages.get(stageName);
    const deployment = stage && api.deployments.get(stage.info.deploymentId);
    if (!deployment) return { missing: 'stage' };
    const segments = splitPath(path);
    const candidates = deployment.resources
      .map((resource) => ({ resource, match: matchPath(splitPath(resource.path), segments) }))
      .filter((candidate) => candidate.match !== undefined && (candidate.resource.methods.has(method.toUpperCase()) || candidate.resource.methods.has('ANY')))
      .sort((a, b) => compareRanks(a.match?.rank ?? [], b.match?.rank ?? []));
    const best = candidates[0];
    if (!best?.match) return { missing: 'route' };
    const httpMethod = best.resource.methods.has(method.toUpperCase()) ? method.toUpperCase() : 'ANY';
    const integration = best.resource.methods.get(httpMethod)?.integration;
    if (!integration) return { missing: 'route' };
    return {
      route: {
        apiId,
        stage: stageName,
        resourceId: best.resource.id,
        resourcePath: best.resource.path,
        httpMethod,
        pathParameters: Object.keys(best.match.params).length > 0 ? best.match.params : null,
        integration: deployedIntegration(integration),
        binaryMediaTypes: deployment.binaryMediaTypes,
      },
    };
  }

  /** Every API of the runtime's region and account with what each stage serves, sorted, without generated ids other than the APIs'. */
  inventory(): ApiInventory[] {
    return [...this.store.apis(this.home).values()]
      .map((api) => ({
        id: api.info.id,
        name: api.info.name,
        stages: [...api.stages.values()]
          .map((stage) => ({
            name: stage.info.stageName,
            routes: (api.deployments.get(stage.info.deploymentId)?.resources ?? [])
              .flatMap((resource) =>
                [...resource.methods].map(([method, { integration }]) => ({ method, path: resource.path, integration: deployedIntegration(integration) })),
              )
              .sort((a, b) => compareStrings(`${a.path} ${a.method}`, `${b.path} ${b.method}`)),
          }))
          .sort((a, b) => compareStrings(a.name, b.name)),
      }))
      .sort((a, b) => compareStrings(a.id, b.id));
  }
}
