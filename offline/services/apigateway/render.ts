/** The entities as API Gateway answers them, a new stage, and a deployment's frozen copy of an API. */
import {
  badRequest,
  type DeployedIntegration,
  type DeployedResource,
  type Deployment,
  type IntegrationInfo,
  lambdaFunctionArn,
  type Method,
  now,
  optionalMembers,
  type Resource,
  type RestApi,
  type Stage,
} from './model';
import { pathOf } from './paths';

export function renderApi(api: RestApi) {
  return { ...api.info, tags: Object.fromEntries(api.tags) };
}

export function renderMethod(method: Method) {
  return { ...method.info, ...(method.integration ? { methodIntegration: method.integration } : {}) };
}

/** Without embed=methods, AWS lists a resource's methods as empty objects. */
export function renderResource(api: RestApi, resource: Resource, embedMethods: boolean) {
  return {
    id: resource.id,
    ...optionalMembers({ parentId: resource.parentId, pathPart: resource.pathPart }),
    path: pathOf(api, resource),
    ...(resource.methods.size > 0
      ? { resourceMethods: Object.fromEntries([...resource.methods].map(([name, method]) => [name, embedMethods ? renderMethod(method) : {}])) }
      : {}),
  };
}

export function renderDeployment(deployment: Deployment, embedSummary: boolean) {
  return {
    id: deployment.id,
    ...optionalMembers({ description: deployment.description }),
    createdDate: deployment.createdDate,
    ...(embedSummary
      ? {
          apiSummary: Object.fromEntries(
            deployment.resources.map((resource) => [
              resource.path,
              Object.fromEntries(
                [...resource.methods].map(([name, { info }]) => [name, { authorizationType: info.authorizationType, apiKeyRequired: info.apiKeyRequired }]),
              ),
            ]),
          ),
        }
      : {}),
  };
}

export function renderStage(stage: Stage) {
  return { ...stage.info, tags: Object.fromEntries(stage.tags) };
}

export function newStage(
  stageName: string,
  deploymentId: string,
  description: string | undefined,
  variables: Record<string, string> | undefined,
  tags: Record<string, string> | undefined,
): Stage {
  const created = now();
  return {
    info: {
      stageName,
      deploymentId,
      ...optionalMembers({ description, variables }),
      cacheClusterEnabled: false,
      cacheClusterStatus: 'NOT_AVAILABLE',
      methodSettings: {},
      tracingEnabled: false,
      createdDate: created,
      lastUpdatedDate: created,
    },
    tags: new Map(Object.entries(tags ?? {})),
  };
}

/**
 * The API's resources and methods as a deployment freezes them. AWS refuses to deploy an API
 * without methods, or with a method that has no integration.
 */
export function snapshot(api: RestApi): DeployedResource[] {
  const resources = [...api.resources.values()];
  if (resources.every((resource) => resource.methods.size === 0)) throw badRequest("The REST API doesn't contain any methods");
  return resources.map((resource) => ({
    id: resource.id,
    path: pathOf(api, resource),
    methods: new Map(
      [...resource.methods].map(([name, method]) => {
        if (!method.integration) throw badRequest('No integration defined for method');
        return [name, structuredClone({ info: method.info, integration: method.integration })];
      }),
    ),
  }));
}

export function deployedIntegration(integration: IntegrationInfo): DeployedIntegration {
  const functionArn = lambdaFunctionArn(integration.uri);
  return {
    type: integration.type,
    ...optionalMembers({ uri: integration.uri, functionArn }),
    timeoutInMillis: integration.timeoutInMillis,
  };
}
