/** Deployments (an API's resources frozen) and the stages that serve them. */
import type { RestCall } from '../../../protocol/rest-json';
import { apiOf, deploymentOf, embeds, page, stageOf } from '../input';
import { badRequest, conflict, type Deployment, notFound, now, optionalMembers, randomId, type RestApiStore } from '../model';
import { applyPatch, invalidPatch, patchOperations } from '../patch';
import { newStage, renderDeployment, renderStage, snapshot } from '../render';

export function createDeployment(store: RestApiStore, call: RestCall) {
  const api = apiOf(store, call);
  const { body } = call;
  const resources = snapshot(api);
  const deployment: Deployment = {
    id: randomId(6),
    ...optionalMembers({ description: body.optionalString('description') }),
    createdDate: now(),
    resources,
    binaryMediaTypes: [...(api.info.binaryMediaTypes ?? [])],
  };
  // Deploying to a stage creates it, or points it at the new deployment; the provider sends "" for none.
  const stageName = body.optionalString('stageName') || undefined;
  const stage = stageName === undefined ? undefined : api.stages.get(stageName);
  api.deployments.set(deployment.id, deployment);
  if (stage) {
    stage.info.deploymentId = deployment.id;
    stage.info.lastUpdatedDate = now();
  } else if (stageName !== undefined) {
    const variables = body.optionalStringMap('variables');
    api.stages.set(stageName, newStage(stageName, deployment.id, body.optionalString('stageDescription'), variables, undefined));
  }
  return renderDeployment(deployment, false);
}

export function getDeployments(store: RestApiStore, call: RestCall) {
  return page(
    [...apiOf(store, call).deployments.values()].map((deployment) => renderDeployment(deployment, false)),
    call,
  );
}

export const getDeployment = (store: RestApiStore, call: RestCall) => renderDeployment(deploymentOf(call, apiOf(store, call)), embeds(call, 'apisummary'));

export function updateDeployment(store: RestApiStore, call: RestCall) {
  const deployment = deploymentOf(call, apiOf(store, call));
  for (const operation of patchOperations(call.body)) {
    if (operation.path !== '/description') throw invalidPatch(operation, ['/description']);
    if (operation.op === 'remove') delete deployment.description;
    else if (operation.value !== undefined) deployment.description = operation.value;
  }
  return renderDeployment(deployment, false);
}

export function deleteDeployment(store: RestApiStore, call: RestCall): void {
  const api = apiOf(store, call);
  const deployment = deploymentOf(call, api);
  if ([...api.stages.values()].some((stage) => stage.info.deploymentId === deployment.id))
    throw badRequest('Active stages pointing to this deployment must be moved or deleted');
  api.deployments.delete(deployment.id);
}

export function createStage(store: RestApiStore, call: RestCall) {
  const api = apiOf(store, call);
  const { body } = call;
  const stageName = body.string('stageName');
  const deploymentId = body.string('deploymentId');
  if (!/^[a-zA-Z0-9_-]{1,128}$/.test(stageName)) throw badRequest('Stage name only allows a-zA-Z0-9_-');
  if (!api.deployments.has(deploymentId)) throw notFound('Invalid Deployment identifier specified');
  if (api.stages.has(stageName)) throw conflict('Stage already exists');
  if (body.optionalBoolean('cacheClusterEnabled')) throw badRequest('The offline runtime does not emulate stage caches.');
  const stage = newStage(stageName, deploymentId, body.optionalString('description'), body.optionalStringMap('variables'), body.optionalStringMap('tags'));
  stage.info.tracingEnabled = body.optionalBoolean('tracingEnabled') ?? false;
  const documentationVersion = body.optionalString('documentationVersion');
  if (documentationVersion !== undefined) stage.info.documentationVersion = documentationVersion;
  api.stages.set(stageName, stage);
  return renderStage(stage);
}

export function getStages(store: RestApiStore, call: RestCall) {
  const deploymentId = call.query.get('deploymentId');
  const stages = [...apiOf(store, call).stages.values()].filter((stage) => deploymentId === null || stage.info.deploymentId === deploymentId);
  return { item: stages.map(renderStage) };
}

export const getStage = (store: RestApiStore, call: RestCall) => renderStage(stageOf(call, apiOf(store, call)));

export function updateStage(store: RestApiStore, call: RestCall) {
  const api = apiOf(store, call);
  const stage = stageOf(call, api);
  for (const operation of patchOperations(call.body)) {
    if (operation.path === '/deploymentId') {
      if (operation.op !== 'replace' || operation.value === undefined) throw invalidPatch(operation, ['/deploymentId']);
      if (!api.deployments.has(operation.value)) throw badRequest(`Deployment id does not exist: ${operation.value}`);
      stage.info.deploymentId = operation.value;
      continue;
    }
    applyPatch(stage.info, operation, { description: 'string', documentationVersion: 'string', tracingEnabled: 'boolean', variables: 'stringMap' });
  }
  stage.info.lastUpdatedDate = now();
  return renderStage(stage);
}

export function deleteStage(store: RestApiStore, call: RestCall): void {
  const api = apiOf(store, call);
  api.stages.delete(stageOf(call, api).info.stageName);
}
