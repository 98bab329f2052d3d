/** The event source mappings: an SQS queue polled for a function, as the runtime's pollers read them. */
import { randomUUID } from 'node:crypto';
import type { JsonInput } from '../../../protocol/json';
import type { RestCall } from '../../../protocol/rest-json';
import { AwsError, type AwsRequest, scopeOf } from '../../../protocol/service';
import { integer, pageByMarker } from '../input';
import {
  resourceConflict,
  type DeployedMapping,
  functionNotFound,
  INVALID_PARAMETER_VALUE,
  type LambdaStore,
  type MappingRecord,
  parseFunctionName,
  resourceNotFound,
} from '../model';
import { mappingView } from '../views';

const RESPONSE_TYPES = ['ReportBatchItemFailures'];

function mappingOf(store: LambdaStore, { params, request }: RestCall): MappingRecord {
  const record = store.mappingRecords.get(params.UUID ?? '');
  // Mappings live in a region too: another region's UUID is not found.
  if (!record?.config.arn.startsWith(`arn:aws:lambda:${request.region}:`)) throw resourceNotFound();
  return record;
}

/** The function a mapping call names: it must exist, as Lambda checks. */
function mappedFunction(store: LambdaStore, body: JsonInput, request: AwsRequest): string {
  const { arn } = parseFunctionName(body.string('FunctionName'), scopeOf(request));
  if (!store.functionRecords.has(arn)) throw functionNotFound(arn);
  return arn;
}

/** The polling settings Create and UpdateEventSourceMapping share, checked against what they will combine with. */
function pollingSettings(body: JsonInput, current?: DeployedMapping) {
  const batchSize = integer(body, 'BatchSize', 1, 10000) ?? current?.batchSize ?? 10;
  const window = integer(body, 'MaximumBatchingWindowInSeconds', 0, 300) ?? current?.maximumBatchingWindowInSeconds ?? 0;
  if (batchSize > 10 && window === 0)
    throw new AwsError(INVALID_PARAMETER_VALUE, 'Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10');
  const responseTypes = body.optionalStrings('FunctionResponseTypes');
  if (responseTypes?.some((type) => !RESPONSE_TYPES.includes(type)))
    throw body.invalid('functionResponseTypes', responseTypes, `Member must satisfy enum value set: [${RESPONSE_TYPES.join(', ')}]`);
  const scaling = body.optionalStructure('ScalingConfig');
  // ScalingConfig {} removes the limit.
  const maximumConcurrency = scaling ? integer(scaling, 'MaximumConcurrency', 2, 1000) : current?.maximumConcurrency;
  return {
    batchSize,
    maximumBatchingWindowInSeconds: window,
    functionResponseTypes: responseTypes ?? current?.functionResponseTypes ?? [],
    maximumConcurrency,
    enabled: body.optionalBoolean('Enabled') ?? current?.enabled ?? true,
    lastModified: Date.now(),
  };
}

export function createMapping(store: LambdaStore, { body, request }: RestCall) {
  const eventSourceArn = body.string('EventSourceArn');
  if (!/^arn:aws[a-zA-Z-]*:sqs:/.test(eventSourceArn)) throw new AwsError(INVALID_PARAMETER_VALUE, 'The offline runtime maps SQS queues only.');
  const functionArn = mappedFunction(store, body, request);
  const existing = store.mappings().find((mapping) => mapping.eventSourceArn === eventSourceArn && mapping.functionArn === functionArn);
  if (existing)
    throw resourceConflict(
      `An event source mapping with SQS arn (" ${eventSourceArn} ") and function (" ${functionArn.split(':').pop() ?? ''} ") already exists. Please update or delete the existing mapping with UUID ${existing.uuid}`,
    );
  const uuid = randomUUID();
  const config: DeployedMapping = {
    uuid,
    arn: `arn:aws:lambda:${request.region}:${request.accountId}:event-source-mapping:${uuid}`,
    eventSourceArn,
    functionArn,
    ...pollingSettings(body),
  };
  store.mappingRecords.set(uuid, { config, tags: new Map(Object.entries(body.optionalStringMap('Tags') ?? {})) });
  store.emit({ kind: 'mapping', change: 'created', mapping: config });
  return mappingView(config, 'Creating');
}

export const getMapping = (store: LambdaStore, call: RestCall) => mappingView(mappingOf(store, call).config);

export function updateMapping(store: LambdaStore, call: RestCall) {
  const record = mappingOf(store, call);
  const before = record.config;
  const functionArn = call.body.has('FunctionName') ? mappedFunction(store, call.body, call.request) : before.functionArn;
  // Members the call leaves out keep their values (pollingSettings falls back on `before`).
  record.config = { ...before, functionArn, ...pollingSettings(call.body, before) };
  store.emit({ kind: 'mapping', change: 'updated', mapping: record.config });
  const state = record.config.enabled === before.enabled ? 'Updating' : record.config.enabled ? 'Enabling' : 'Disabling';
  return mappingView(record.config, state);
}

export function deleteMapping(store: LambdaStore, call: RestCall) {
  const record = mappingOf(store, call);
  store.mappingRecords.delete(record.config.uuid);
  store.emit({ kind: 'mapping', change: 'deleted', mapping: record.config });
  return mappingView(record.config, 'Deleting');
}

export function listMappings(store: LambdaStore, { query, request }: RestCall) {
  const source = query.get('EventSourceArn');
  const name = query.get('FunctionName');
  const functionArn = name === null ? undefined : parseFunctionName(name, scopeOf(request)).arn;
  const matching = store
    .mappings()
    .filter(
      (mapping) =>
        mapping.arn.startsWith(`arn:aws:lambda:${request.region}:`) &&
        (source === null || mapping.eventSourceArn === source) &&
        (functionArn === undefined || mapping.functionArn === functionArn),
    );
  const { page, next } = pageByMarker(matching, query);
  return { EventSourceMappings: page.map((mapping) => mappingView(mapping)), ...(next === undefined ? {} : { NextMarker: next }) };
}
