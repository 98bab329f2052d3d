/** The functions: create, read, update and delete, their code and configuration, reserved concurrency, resource policy and tags. */
import { createHash, randomUUID } from 'node:crypto';
import type { JsonInput } from '../../../protocol/json';
import type { RestCall } from '../../../protocol/rest-json';
import { AwsError, scopeOf } from '../../../protocol/service';
import { architectures, defined, integer, pageByMarker, settings, statement, zipFile } from '../input';
import {
  resourceConflict,
  type DeployedFunction,
  type FunctionRecord,
  functionNotFound,
  INVALID_PARAMETER_VALUE,
  type LambdaStore,
  MAPPING_ARN,
  parseFunctionName,
  resourceNotFound,
  timestamp,
} from '../model';
import { concurrency, configuration } from '../views';

const sha256 = (code: Buffer) => createHash('sha256').update(code).digest('base64');

export function functionOf(store: LambdaStore, { params, query, request }: RestCall): FunctionRecord {
  const { arn } = parseFunctionName(params.FunctionName ?? '', scopeOf(request), query.get('Qualifier'));
  const record = store.functionRecords.get(arn);
  if (!record) throw functionNotFound(arn);
  return record;
}

/** The zip checked against Lambda's limits and unpacked, held for the function until released. */
async function unpacked(store: LambdaStore, zip: Buffer): Promise<Pick<DeployedFunction, 'codeSize' | 'codeDir' | 'codeSha256'>> {
  const codeSha256 = sha256(zip);
  return { codeSize: zip.length, codeSha256, codeDir: await store.code.hold(zip, codeSha256) };
}

/** Replaces the function's configuration with `changes` applied and a new revision. */
function update(store: LambdaStore, record: FunctionRecord, changes: Partial<DeployedFunction>, change: 'code' | 'configuration'): DeployedFunction {
  record.config = { ...record.config, ...changes, lastModified: timestamp(), revisionId: randomUUID() };
  store.emit({ kind: 'function', change, function: record.config });
  return record.config;
}

function checkRevision(record: FunctionRecord, body: JsonInput): void {
  const expected = body.optionalString('RevisionId');
  if (expected !== undefined && expected !== record.config.revisionId)
    throw new AwsError(
      'PreconditionFailedException',
      'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
      412,
    );
}

export async function createFunction(store: LambdaStore, { body, request }: RestCall) {
  const { name, arn } = parseFunctionName(body.string('FunctionName'), scopeOf(request));
  const alreadyExists = () => resourceConflict(`Function already exist: ${name}`);
  if (store.functionRecords.has(arn)) throw alreadyExists();
  if ((body.optionalString('PackageType') ?? 'Zip') !== 'Zip') throw new AwsError(INVALID_PARAMETER_VALUE, 'The offline runtime runs Zip functions only.');
  const given = settings(body);
  const role = body.string('Role');
  if (given.runtime === undefined || given.handler === undefined)
    throw new AwsError(INVALID_PARAMETER_VALUE, 'Runtime and Handler are mandatory parameters for functions created with Zip Package Type');
  const architecture = architectures(body) ?? ['x86_64'];
  const tags = new Map(Object.entries(body.optionalStringMap('Tags') ?? {}));
  const code = await unpacked(store, zipFile(body.optionalStructure('Code'), body));
  // Created by another call while this one unpacked.
  if (store.functionRecords.has(arn)) {
    store.code.release(code.codeDir);
    throw alreadyExists();
  }
  const config: DeployedFunction = {
    description: '',
    timeout: 3,
    memorySize: 128,
    environment: {},
    ephemeralStorage: 512,
    tracingMode: 'PassThrough',
    logFormat: 'Text',
    logGroup: `/aws/lambda/${name}`,
    ...given,
    name,
    arn,
    role,
    runtime: given.runtime,
    handler: given.handler,
    architectures: architecture,
    ...code,
    lastModified: timestamp(),
    revisionId: randomUUID(),
  };
  store.functionRecords.set(arn, { config, tags, statements: [] });
  store.emit({ kind: 'function', change: 'created', function: config });
  return configuration(config);
}

export function listFunctions(store: LambdaStore, { query }: RestCall) {
  const { page, next } = pageByMarker(store.functions(), query);
  return { Functions: page.map((fn) => configuration(fn)), ...(next === undefined ? {} : { NextMarker: next }) };
}

export function getFunction(store: LambdaStore, call: RestCall) {
  const { config, tags } = functionOf(store, call);
  const [, , , region] = config.arn.split(':');
  return {
    Configuration: configuration(config),
    // Nothing downloads the code from here; the URL only has Lambda's form.
    Code: { RepositoryType: 'S3', Location: `https://awslambda-${region}-tasks.s3.${region}.amazonaws.com/snapshots/${config.name}-${config.revisionId}` },
    ...(tags.size > 0 ? { Tags: Object.fromEntries(tags) } : {}),
    ...(config.reservedConcurrency === undefined ? {} : { Concurrency: concurrency(config) }),
  };
}

export function deleteFunction(store: LambdaStore, call: RestCall): void {
  const record = functionOf(store, call);
  store.functionRecords.delete(record.config.arn);
  store.emit({ kind: 'function', change: 'deleted', function: record.config });
  store.code.release(record.config.codeDir);
}

export const getConfiguration = (store: LambdaStore, call: RestCall) => configuration(functionOf(store, call).config);

export function updateConfiguration(store: LambdaStore, call: RestCall) {
  const record = functionOf(store, call);
  checkRevision(record, call.body);
  return configuration(update(store, record, settings(call.body), 'configuration'));
}

export async function updateCode(store: LambdaStore, call: RestCall) {
  const record = functionOf(store, call);
  checkRevision(record, call.body);
  const changes = { ...defined({ architectures: architectures(call.body) }), ...(await unpacked(store, zipFile(call.body, call.body))) };
  // The code the function lets go of: its old one, or the new one when nothing changes.
  let released = changes.codeDir;
  try {
    // Deleted, or updated to another revision, while this call unpacked.
    if (functionOf(store, call) !== record) throw functionNotFound(record.config.arn);
    checkRevision(record, call.body);
    // DryRun validates without changing anything.
    if (call.body.optionalBoolean('DryRun')) return configuration({ ...record.config, ...changes });
    released = record.config.codeDir;
    return configuration(update(store, record, changes, 'code'));
  } finally {
    store.code.release(released);
  }
}

export function listVersions(store: LambdaStore, call: RestCall) {
  const { config } = functionOf(store, call);
  return { Versions: [configuration(config, `${config.arn}:$LATEST`)] };
}

export const getCodeSigningConfig = (store: LambdaStore, call: RestCall) => ({ CodeSigningConfigArn: '', FunctionName: functionOf(store, call).config.name });

export const getConcurrency = (store: LambdaStore, call: RestCall) => concurrency(functionOf(store, call).config);

export function putConcurrency(store: LambdaStore, call: RestCall) {
  const limit = integer(call.body, 'ReservedConcurrentExecutions', 0, 1000);
  if (limit === undefined) throw call.body.invalid('reservedConcurrentExecutions', undefined, 'Member must not be null');
  return concurrency(update(store, functionOf(store, call), { reservedConcurrency: limit }, 'configuration'));
}

export const deleteConcurrency = (store: LambdaStore, call: RestCall): void =>
  void update(store, functionOf(store, call), { reservedConcurrency: undefined }, 'configuration');

export function addPermission(store: LambdaStore, call: RestCall) {
  const record = functionOf(store, call);
  checkRevision(record, call.body);
  const added = statement(call.body, record.config.arn);
  if (record.statements.some((existing) => existing.Sid === added.Sid))
    throw resourceConflict(`The statement id (${added.Sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`);
  record.statements.push(added);
  record.config = { ...record.config, revisionId: randomUUID() };
  return { Statement: JSON.stringify(added) };
}

export function getPolicy(store: LambdaStore, call: RestCall) {
  const record = functionOf(store, call);
  // A function without statements has no policy at all.
  if (record.statements.length === 0) throw resourceNotFound();
  return { Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: record.statements }), RevisionId: record.config.revisionId };
}

export function removePermission(store: LambdaStore, call: RestCall): void {
  const record = functionOf(store, call);
  const sid = call.params.StatementId ?? '';
  const index = record.statements.findIndex((existing) => existing.Sid === sid);
  if (index < 0) throw new AwsError('ResourceNotFoundException', `Statement ${sid} is not found in resource policy.`, 404);
  record.statements.splice(index, 1);
  record.config = { ...record.config, revisionId: randomUUID() };
}

/** What a tagging call's Resource names: a function or an event source mapping, by ARN. */
function taggable(store: LambdaStore, call: RestCall): { tags: Map<string, string> } {
  const resource = call.params.Resource ?? '';
  const mapping = MAPPING_ARN.exec(resource);
  if (!mapping) return functionOf(store, { ...call, params: { FunctionName: resource } });
  const record = store.mappingRecords.get(mapping[1] ?? '');
  if (!record || record.config.arn !== resource) throw resourceNotFound();
  return record;
}

export const listTags = (store: LambdaStore, call: RestCall) => ({ Tags: Object.fromEntries(taggable(store, call).tags) });

export function tagResource(store: LambdaStore, call: RestCall): void {
  const { tags } = taggable(store, call);
  for (const [key, value] of Object.entries(call.body.optionalStringMap('Tags') ?? {})) tags.set(key, value);
}

export function untagResource(store: LambdaStore, call: RestCall): void {
  const { tags } = taggable(store, call);
  for (const key of call.query.getAll('tagKeys')) tags.delete(key);
}
