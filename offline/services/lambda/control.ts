/**
 * The Lambda control plane, in memory: the functions (configuration, and code checked against
 * Lambda's limits and unpacked in the code store), their resource policies, reserved concurrency
 * and tags, and the event source mappings, through the calls the Terraform AWS provider makes for
 * aws_lambda_function, aws_lambda_permission and aws_lambda_event_source_mapping, answered as
 * Lambda answers them (restJson1, 404 ResourceNotFoundException, 409 ResourceConflictException,
 * 413 RequestEntityTooLargeException for a request past its limit). The runtime reads what was
 * deployed from here (`functions`, `mappings`) and hears of every change (`onChange`), so an
 * update takes effect on the next invocation. Not emulated: versions and aliases (only $LATEST),
 * layers, VPC, S3 or image code, code signing (none is ever configured), event sources other
 * than SQS.
 */
import { createHash, randomUUID } from 'node:crypto';
import { awsLimits, localstack, region as defaultRegion } from '#spec';
import type { JsonInput } from '../../protocol/json';
import { RestRouter, type RestCall } from '../../protocol/rest-json';
import { AwsError, type AwsRequest, type AwsService, type CallShape } from '../../protocol/service';
import type { CodeStore } from './code';

/** A function as deployed: what the runtime runs. Replaced, never changed, on each update. */
export interface DeployedFunction {
  readonly name: string;
  /** Unqualified: `arn:aws:lambda:<region>:<account>:function:<name>`. */
  readonly arn: string;
  readonly runtime: string;
  readonly handler: string;
  readonly role: string;
  readonly description: string;
  /** Seconds. */
  readonly timeout: number;
  /** MB. */
  readonly memorySize: number;
  readonly environment: Readonly<Record<string, string>>;
  readonly architectures: readonly string[];
  /** MB of /tmp. */
  readonly ephemeralStorage: number;
  readonly tracingMode: string;
  readonly logFormat: string;
  readonly logGroup: string;
  /** Bytes of the uploaded zip. */
  readonly codeSize: number;
  /** Where the zip is unpacked (the code store's folder for its hash), held while this is deployed. */
  readonly codeDir: string;
  /** Base64 of the zip's SHA-256, as Terraform's filebase64sha256 computes it. */
  readonly codeSha256: string;
  readonly lastModified: string;
  /** Changes with every update: a cheap way to tell a snapshot is stale. */
  readonly revisionId: string;
  /** PutFunctionConcurrency's limit; 0 throttles every invocation. */
  readonly reservedConcurrency?: number;
}

/** An event source mapping as deployed: how the runtime polls its queue. */
export interface DeployedMapping {
  readonly uuid: string;
  readonly arn: string;
  readonly eventSourceArn: string;
  /** The unqualified ARN of the function it invokes. */
  readonly functionArn: string;
  readonly batchSize: number;
  readonly maximumBatchingWindowInSeconds: number;
  readonly functionResponseTypes: readonly string[];
  /** ScalingConfig.MaximumConcurrency; unset lets the poller scale freely. */
  readonly maximumConcurrency?: number;
  /** False stops polling. */
  readonly enabled: boolean;
  /** Epoch milliseconds. */
  readonly lastModified: number;
}

/** What changed, with the state after the change (before it, for a deletion). */
export type LambdaChange =
  | { kind: 'function'; change: 'created' | 'code' | 'configuration' | 'deleted'; function: DeployedFunction }
  | { kind: 'mapping'; change: 'created' | 'updated' | 'deleted'; mapping: DeployedMapping };

interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: string | Record<string, string>;
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}

interface FunctionRecord {
  config: DeployedFunction;
  tags: Map<string, string>;
  statements: PolicyStatement[];
}

interface MappingRecord {
  config: DeployedMapping;
  tags: Map<string, string>;
}

interface Scope {
  region: string;
  accountId: string;
}

const VALIDATION = 'ValidationException';
const INVALID = 'InvalidParameterValueException';

// AWS's own messages, which SDK users and the provider match on.
const functionNotFound = (arn: string) => new AwsError('ResourceNotFoundException', `Function not found: ${arn}`, 404);
const resourceNotFound = () => new AwsError('ResourceNotFoundException', 'The resource you requested does not exist.', 404);
const conflict = (message: string) => new AwsError('ResourceConflictException', message, 409);

// As Lambda's model: a name, `name:qualifier`, a partial ARN `<account>:function:<name>` or a full ARN.
const FUNCTION_NAME =
  /^(?:arn:aws[a-zA-Z-]*:lambda:([a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d):)?(?:(\d{12}):function:)?([a-zA-Z0-9_-]{1,64})(?::(\$LATEST|[a-zA-Z0-9_-]+))?$/;
const ROLE_ARN = /^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-/]+$/;
const MAPPING_ARN = /^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:event-source-mapping:([0-9a-f-]{36})$/;
const STATEMENT_ID = /^[a-zA-Z0-9_.-]{1,100}$/;
const RESPONSE_TYPES = ['ReportBatchItemFailures'];

// Lambda's timestamps: `2026-11-27T09:13:49.123+0000`.
const timestamp = () => new Date().toISOString().replace('Z', '+0000');

const functionArn = ({ region, accountId }: Scope, name: string) => `arn:aws:lambda:${region}:${accountId}:function:${name}`;

/** The function a FunctionName names, in the caller's region and account unless its ARN says otherwise. */
function parseFunctionName(raw: string, scope: Scope, qualifier?: string | null): { name: string; arn: string } {
  const match = FUNCTION_NAME.exec(raw);
  if (!match?.[3])
    throw new AwsError(
      VALIDATION,
      `1 validation error detected: Value '${raw}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${FUNCTION_NAME.source}`,
    );
  const [, region = scope.region, accountId = scope.accountId, name] = match;
  const arn = functionArn({ region, accountId }, name);
  const version = qualifier ?? match[4];
  // Only $LATEST exists: versions and aliases are not emulated.
  if (version !== undefined && version !== '$LATEST') throw functionNotFound(`${arn}:${version}`);
  return { name, arn };
}

function integer(input: JsonInput, name: string, min: number, max: number): number | undefined {
  const value = input.optionalNumber(name);
  if (value === undefined) return undefined;
  // Lambda's messages name members in lower camel case.
  const member = name.charAt(0).toLowerCase() + name.slice(1);
  if (!Number.isInteger(value) || value < min) throw input.invalid(member, value, `Member must have value greater than or equal to ${min}`);
  if (value > max) throw input.invalid(member, value, `Member must have value less than or equal to ${max}`);
  return value;
}

/** The page of `items` a Marker (an offset) asks for, and the NextMarker of the next page. */
function paginate<T>(items: T[], query: URLSearchParams): { page: T[]; next?: string } {
  const start = Number(query.get('Marker') ?? 0);
  const max = Number(query.get('MaxItems') ?? 50);
  if (!Number.isInteger(start) || start < 0 || start > items.length) throw new AwsError(INVALID, 'Invalid Marker.');
  if (!Number.isInteger(max) || max < 1 || max > 10000) throw new AwsError(INVALID, 'MaxItems must be between 1 and 10000.');
  const end = start + max;
  return { page: items.slice(start, end), ...(end < items.length ? { next: String(end) } : {}) };
}

/** The settings Create and UpdateFunctionConfiguration share, as read from the call. */
function settings(body: JsonInput): Partial<Omit<DeployedFunction, 'name' | 'arn' | 'codeSize' | 'codeDir' | 'codeSha256' | 'lastModified' | 'revisionId'>> {
  const role = body.optionalString('Role');
  if (role !== undefined && !ROLE_ARN.test(role)) throw body.invalid('role', role, `Member must satisfy regular expression pattern: ${ROLE_ARN.source}`);
  const environment = body.optionalStructure('Environment');
  const storage = body.optionalStructure('EphemeralStorage');
  const logging = body.optionalStructure('LoggingConfig');
  return defined({
    role,
    runtime: body.optionalString('Runtime'),
    handler: body.optionalString('Handler'),
    description: body.optionalString('Description'),
    timeout: integer(body, 'Timeout', 1, 900),
    memorySize: integer(body, 'MemorySize', 128, 10240),
    // Environment {} (or { Variables: {} }) clears the variables, as the provider sends it.
    environment: environment && (environment.optionalStringMap('Variables') ?? {}),
    ephemeralStorage: storage && integer(storage, 'Size', 512, 10240),
    tracingMode: body.optionalStructure('TracingConfig')?.optionalString('Mode'),
    logFormat: logging?.optionalString('LogFormat'),
    logGroup: logging?.optionalString('LogGroup'),
  });
}

/** `members` without the undefined ones, so spreading them keeps what they would have overwritten. */
function defined<T extends object>(members: T): Partial<T> {
  return Object.fromEntries(Object.entries(members).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function architectures(body: JsonInput): string[] | undefined {
  const list = body.optionalStrings('Architectures');
  if (list !== undefined && (list.length !== 1 || !['x86_64', 'arm64'].includes(list[0] ?? '')))
    throw body.invalid('architectures', list, 'Member must have length less than or equal to 1, Member must satisfy enum value set: [x86_64, arm64]');
  return list;
}

/** The uploaded zip: the offline runtime takes code inline only, as the provider sends a local `filename`. */
function zipFile(code: JsonInput | undefined, body: JsonInput): Buffer {
  const zip = code?.optionalString('ZipFile');
  if (zip !== undefined) return Buffer.from(zip, 'base64');
  if (code?.has('S3Bucket') || code?.has('ImageUri')) throw new AwsError(INVALID, 'The offline runtime takes function code as ZipFile only.');
  throw body.invalid('code', undefined, 'Member must not be null');
}

const sha256 = (code: Buffer) => createHash('sha256').update(code).digest('base64');

/** FunctionConfiguration as Lambda renders it; `arn` is qualified in the version listings. */
function configuration(fn: DeployedFunction, arn = fn.arn) {
  return {
    FunctionName: fn.name,
    FunctionArn: arn,
    Runtime: fn.runtime,
    Role: fn.role,
    Handler: fn.handler,
    CodeSize: fn.codeSize,
    Description: fn.description,
    Timeout: fn.timeout,
    MemorySize: fn.memorySize,
    LastModified: fn.lastModified,
    CodeSha256: fn.codeSha256,
    Version: '$LATEST',
    ...(Object.keys(fn.environment).length > 0 ? { Environment: { Variables: fn.environment } } : {}),
    TracingConfig: { Mode: fn.tracingMode },
    RevisionId: fn.revisionId,
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: fn.architectures,
    EphemeralStorage: { Size: fn.ephemeralStorage },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    LoggingConfig: { LogFormat: fn.logFormat, LogGroup: fn.logGroup },
  };
}

/** EventSourceMappingConfiguration as Lambda renders it; writes answer with the transitional state. */
function mappingView(mapping: DeployedMapping, state = mapping.enabled ? 'Enabled' : 'Disabled') {
  return {
    UUID: mapping.uuid,
    BatchSize: mapping.batchSize,
    MaximumBatchingWindowInSeconds: mapping.maximumBatchingWindowInSeconds,
    EventSourceArn: mapping.eventSourceArn,
    FunctionArn: mapping.functionArn,
    LastModified: mapping.lastModified / 1000,
    State: state,
    StateTransitionReason: 'USER_INITIATED',
    FunctionResponseTypes: mapping.functionResponseTypes,
    ...(mapping.maximumConcurrency === undefined ? {} : { ScalingConfig: { MaximumConcurrency: mapping.maximumConcurrency } }),
    EventSourceMappingArn: mapping.arn,
  };
}

/** A statement of a function's resource policy, as AddPermission writes it. */
function statement(body: JsonInput, resource: string): PolicyStatement {
  const sid = body.string('StatementId');
  if (!STATEMENT_ID.test(sid)) throw body.invalid('statementId', sid, 'Member must satisfy regular expression pattern: ([a-zA-Z0-9-_.]+)');
  const principal = body.string('Principal');
  const conditions: [string, string, string | undefined][] = [
    ['ArnLike', 'AWS:SourceArn', body.optionalString('SourceArn')],
    ['StringEquals', 'AWS:SourceAccount', body.optionalString('SourceAccount')],
    ['StringEquals', 'lambda:EventSourceToken', body.optionalString('EventSourceToken')],
    ['StringEquals', 'aws:PrincipalOrgID', body.optionalString('PrincipalOrgID')],
    ['StringEquals', 'lambda:FunctionUrlAuthType', body.optionalString('FunctionUrlAuthType')],
  ];
  const condition: Record<string, Record<string, string>> = {};
  for (const [operator, key, value] of conditions) if (value !== undefined) condition[operator] = { ...condition[operator], [key]: value };
  return {
    Sid: sid,
    Effect: 'Allow',
    // As Lambda stores them: a service by name, an account as its root, anything else as given.
    Principal:
      principal === '*'
        ? '*'
        : principal.endsWith('.amazonaws.com')
          ? { Service: principal }
          : /^\d{12}$/.test(principal)
            ? { AWS: `arn:aws:iam::${principal}:root` }
            : { AWS: principal },
    Action: body.string('Action'),
    Resource: resource,
    ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
  };
}

const scopeOf = (request: AwsRequest): Scope => ({ region: request.region, accountId: request.accountId });

export class LambdaService implements AwsService {
  readonly names = ['lambda'] as const;
  // By unqualified ARN, which carries the region and account.
  private readonly functionRecords = new Map<string, FunctionRecord>();
  private readonly mappingRecords = new Map<string, MappingRecord>();
  private readonly listeners = new Set<(change: LambdaChange) => void>();

  /** `code` unpacks what is deployed; `home` is where the runtime's look-ups by bare name resolve: its region and account. */
  constructor(
    private readonly code: CodeStore,
    private readonly home: Scope = { region: defaultRegion, accountId: localstack.accountId },
  ) {}

  /** Lambda's limit on a request (the edge reads no more), as Lambda refuses a larger one. */
  readonly bodyLimit = {
    bytes: awsLimits.lambdaRequestLimitBytes - 1,
    refusal: (operation = 'unknown') =>
      new AwsError(
        'RequestEntityTooLargeException',
        `Request must be smaller than ${awsLimits.lambdaRequestLimitBytes} bytes for the ${operation} operation`,
        413,
      ),
  };

  /** Routes by method and path; the edge names a call's operation (for chaos and IAM) with `router.operation`. */
  readonly router = new RestRouter({
    validationError: VALIDATION,
    // Lambda's errors say who is at fault, as its model's error shapes do.
    errorBody: (error) => ({ Type: error.status < 500 ? 'User' : 'Service', Message: error.message }),
    routes: [
      { operation: 'CreateFunction', method: 'POST', path: '/2015-03-31/functions', status: 201, run: (call) => this.createFunction(call) },
      { operation: 'ListFunctions', method: 'GET', path: '/2015-03-31/functions', run: (call) => this.listFunctions(call) },
      { operation: 'GetFunction', method: 'GET', path: '/2015-03-31/functions/{FunctionName}', run: (call) => this.getFunction(call) },
      { operation: 'DeleteFunction', method: 'DELETE', path: '/2015-03-31/functions/{FunctionName}', status: 204, run: (call) => this.deleteFunction(call) },
      {
        operation: 'GetFunctionConfiguration',
        method: 'GET',
        path: '/2015-03-31/functions/{FunctionName}/configuration',
        run: (call) => configuration(this.functionOf(call).config),
      },
      {
        operation: 'UpdateFunctionConfiguration',
        method: 'PUT',
        path: '/2015-03-31/functions/{FunctionName}/configuration',
        run: (call) => this.updateConfiguration(call),
      },
      { operation: 'UpdateFunctionCode', method: 'PUT', path: '/2015-03-31/functions/{FunctionName}/code', run: (call) => this.updateCode(call) },
      {
        operation: 'ListVersionsByFunction',
        method: 'GET',
        path: '/2015-03-31/functions/{FunctionName}/versions',
        run: (call) => {
          const { config } = this.functionOf(call);
          return { Versions: [configuration(config, `${config.arn}:$LATEST`)] };
        },
      },
      {
        operation: 'GetFunctionCodeSigningConfig',
        method: 'GET',
        path: '/2020-06-30/functions/{FunctionName}/code-signing-config',
        run: (call) => ({ CodeSigningConfigArn: '', FunctionName: this.functionOf(call).config.name }),
      },
      {
        operation: 'GetFunctionConcurrency',
        method: 'GET',
        path: '/2019-09-30/functions/{FunctionName}/concurrency',
        run: (call) => concurrency(this.functionOf(call).config),
      },
      {
        operation: 'PutFunctionConcurrency',
        method: 'PUT',
        path: '/2017-10-31/functions/{FunctionName}/concurrency',
        run: (call) => {
          const limit = integer(call.body, 'ReservedConcurrentExecutions', 0, 1000);
          if (limit === undefined) throw call.body.invalid('reservedConcurrentExecutions', undefined, 'Member must not be null');
          return concurrency(this.update(this.functionOf(call), { reservedConcurrency: limit }, 'configuration'));
        },
      },
      {
        operation: 'DeleteFunctionConcurrency',
        method: 'DELETE',
        path: '/2017-10-31/functions/{FunctionName}/concurrency',
        status: 204,
        run: (call) => void this.update(this.functionOf(call), { reservedConcurrency: undefined }, 'configuration'),
      },
      { operation: 'AddPermission', method: 'POST', path: '/2015-03-31/functions/{FunctionName}/policy', status: 201, run: (call) => this.addPermission(call) },
      { operation: 'GetPolicy', method: 'GET', path: '/2015-03-31/functions/{FunctionName}/policy', run: (call) => this.getPolicy(call) },
      {
        operation: 'RemovePermission',
        method: 'DELETE',
        path: '/2015-03-31/functions/{FunctionName}/policy/{StatementId}',
        status: 204,
        run: (call) => this.removePermission(call),
      },
      { operation: 'ListTags', method: 'GET', path: '/2017-03-31/tags/{Resource}', run: (call) => ({ Tags: Object.fromEntries(this.taggable(call).tags) }) },
      {
        operation: 'TagResource',
        method: 'POST',
        path: '/2017-03-31/tags/{Resource}',
        status: 204,
        run: (call) => {
          const { tags } = this.taggable(call);
          for (const [key, value] of Object.entries(call.body.optionalStringMap('Tags') ?? {})) tags.set(key, value);
        },
      },
      {
        operation: 'UntagResource',
        method: 'DELETE',
        path: '/2017-03-31/tags/{Resource}',
        status: 204,
        run: (call) => {
          const { tags } = this.taggable(call);
          for (const key of call.query.getAll('tagKeys')) tags.delete(key);
        },
      },
      {
        operation: 'CreateEventSourceMapping',
        method: 'POST',
        path: '/2015-03-31/event-source-mappings',
        status: 202,
        run: (call) => this.createMapping(call),
      },
      { operation: 'ListEventSourceMappings', method: 'GET', path: '/2015-03-31/event-source-mappings', run: (call) => this.listMappings(call) },
      {
        operation: 'GetEventSourceMapping',
        method: 'GET',
        path: '/2015-03-31/event-source-mappings/{UUID}',
        run: (call) => mappingView(this.mappingOf(call).config),
      },
      {
        operation: 'UpdateEventSourceMapping',
        method: 'PUT',
        path: '/2015-03-31/event-source-mappings/{UUID}',
        status: 202,
        run: (call) => this.updateMapping(call),
      },
      {
        operation: 'DeleteEventSourceMapping',
        method: 'DELETE',
        path: '/2015-03-31/event-source-mappings/{UUID}',
        status: 202,
        run: (call) => {
          const record = this.mappingOf(call);
          this.mappingRecords.delete(record.config.uuid);
          this.emit({ kind: 'mapping', change: 'deleted', mapping: record.config });
          return mappingView(record.config, 'Deleting');
        },
      },
    ],
  });

  readonly handle = this.router.handle;
  readonly operationOf = (call: CallShape) => this.router.operation(call.method, call.path);
  readonly errorResponse = (error: AwsError, requestId: string) => this.router.errorResponse(error, requestId);

  /** Every deployed function, in name order. */
  functions(): DeployedFunction[] {
    return [...this.functionRecords.values()].map((record) => record.config).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The function a name or ARN names, as deployed now; the runtime reads it at each invocation. */
  function(nameOrArn: string): DeployedFunction | undefined {
    return this.functionRecords.get(parseFunctionName(nameOrArn, this.home).arn)?.config;
  }

  /** Every event source mapping, enabled or not. */
  mappings(): DeployedMapping[] {
    return [...this.mappingRecords.values()].map((record) => record.config);
  }

  mapping(uuid: string): DeployedMapping | undefined {
    return this.mappingRecords.get(uuid)?.config;
  }

  /** Calls `listener` after every change to a function or a mapping; returns the unsubscribe. */
  onChange(listener: (change: LambdaChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: LambdaChange): void {
    for (const listener of this.listeners) listener(change);
  }

  private functionOf({ params, query, request }: RestCall): FunctionRecord {
    const { arn } = parseFunctionName(params.FunctionName ?? '', scopeOf(request), query.get('Qualifier'));
    const record = this.functionRecords.get(arn);
    if (!record) throw functionNotFound(arn);
    return record;
  }

  private async createFunction({ body, request }: RestCall) {
    const { name, arn } = parseFunctionName(body.string('FunctionName'), scopeOf(request));
    const alreadyExists = () => conflict(`Function already exist: ${name}`);
    if (this.functionRecords.has(arn)) throw alreadyExists();
    if ((body.optionalString('PackageType') ?? 'Zip') !== 'Zip') throw new AwsError(INVALID, 'The offline runtime runs Zip functions only.');
    const given = settings(body);
    const role = body.string('Role');
    if (given.runtime === undefined || given.handler === undefined)
      throw new AwsError(INVALID, 'Runtime and Handler are mandatory parameters for functions created with Zip Package Type');
    const architecture = architectures(body) ?? ['x86_64'];
    const tags = new Map(Object.entries(body.optionalStringMap('Tags') ?? {}));
    const code = await this.unpacked(zipFile(body.optionalStructure('Code'), body));
    // Created by another call while this one unpacked.
    if (this.functionRecords.has(arn)) {
      this.code.release(code.codeDir);
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
    this.functionRecords.set(arn, { config, tags, statements: [] });
    this.emit({ kind: 'function', change: 'created', function: config });
    return configuration(config);
  }

  private listFunctions({ query }: RestCall) {
    const { page, next } = paginate(this.functions(), query);
    return { Functions: page.map((fn) => configuration(fn)), ...(next === undefined ? {} : { NextMarker: next }) };
  }

  private getFunction(call: RestCall) {
    const { config, tags } = this.functionOf(call);
    const [, , , region] = config.arn.split(':');
    return {
      Configuration: configuration(config),
      // Nothing downloads the code from here; the URL only has Lambda's form.
      Code: { RepositoryType: 'S3', Location: `https://awslambda-${region}-tasks.s3.${region}.amazonaws.com/snapshots/${config.name}-${config.revisionId}` },
      ...(tags.size > 0 ? { Tags: Object.fromEntries(tags) } : {}),
      ...(config.reservedConcurrency === undefined ? {} : { Concurrency: concurrency(config) }),
    };
  }

  private deleteFunction(call: RestCall): void {
    const record = this.functionOf(call);
    this.functionRecords.delete(record.config.arn);
    this.emit({ kind: 'function', change: 'deleted', function: record.config });
    this.code.release(record.config.codeDir);
  }

  /** The zip checked against Lambda's limits and unpacked, held for the function until released. */
  private async unpacked(zip: Buffer): Promise<Pick<DeployedFunction, 'codeSize' | 'codeDir' | 'codeSha256'>> {
    const codeSha256 = sha256(zip);
    return { codeSize: zip.length, codeSha256, codeDir: await this.code.hold(zip, codeSha256) };
  }

  /** Replaces the function's configuration with `changes` applied and a new revision. */
  private update(record: FunctionRecord, changes: Partial<DeployedFunction>, change: 'code' | 'configuration'): DeployedFunction {
    record.config = { ...record.config, ...changes, lastModified: timestamp(), revisionId: randomUUID() };
    this.emit({ kind: 'function', change, function: record.config });
    return record.config;
  }

  private checkRevision(record: FunctionRecord, body: JsonInput): void {
    const expected = body.optionalString('RevisionId');
    if (expected !== undefined && expected !== record.config.revisionId)
      throw new AwsError(
        'PreconditionFailedException',
        'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
        412,
      );
  }

  private updateConfiguration(call: RestCall) {
    const record = this.functionOf(call);
    this.checkRevision(record, call.body);
    return configuration(this.update(record, settings(call.body), 'configuration'));
  }

  private async updateCode(call: RestCall) {
    const record = this.functionOf(call);
    this.checkRevision(record, call.body);
    const changes = { ...defined({ architectures: architectures(call.body) }), ...(await this.unpacked(zipFile(call.body, call.body))) };
    // The code the function lets go of: its old one, or the new one when nothing changes.
    let released = changes.codeDir;
    try {
      // Deleted, or updated to another revision, while this call unpacked.
      if (this.functionOf(call) !== record) throw functionNotFound(record.config.arn);
      this.checkRevision(record, call.body);
      // DryRun validates without changing anything.
      if (call.body.optionalBoolean('DryRun')) return configuration({ ...record.config, ...changes });
      released = record.config.codeDir;
      return configuration(this.update(record, changes, 'code'));
    } finally {
      this.code.release(released);
    }
  }

  private addPermission(call: RestCall) {
    const record = this.functionOf(call);
    this.checkRevision(record, call.body);
    const added = statement(call.body, record.config.arn);
    if (record.statements.some((existing) => existing.Sid === added.Sid))
      throw conflict(`The statement id (${added.Sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`);
    record.statements.push(added);
    record.config = { ...record.config, revisionId: randomUUID() };
    return { Statement: JSON.stringify(added) };
  }

  private getPolicy(call: RestCall) {
    const record = this.functionOf(call);
    // A function without statements has no policy at all.
    if (record.statements.length === 0) throw resourceNotFound();
    return { Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: record.statements }), RevisionId: record.config.revisionId };
  }

  private removePermission(call: RestCall): void {
    const record = this.functionOf(call);
    const sid = call.params.StatementId ?? '';
    const index = record.statements.findIndex((existing) => existing.Sid === sid);
    if (index < 0) throw new AwsError('ResourceNotFoundException', `Statement ${sid} is not found in resource policy.`, 404);
    record.statements.splice(index, 1);
    record.config = { ...record.config, revisionId: randomUUID() };
  }

  /** What a tagging call's Resource names: a function or an event source mapping, by ARN. */
  private taggable(call: RestCall): { tags: Map<string, string> } {
    const resource = call.params.Resource ?? '';
    const mapping = MAPPING_ARN.exec(resource);
    if (!mapping) return this.functionOf({ ...call, params: { FunctionName: resource } });
    const record = this.mappingRecords.get(mapping[1] ?? '');
    if (!record || record.config.arn !== resource) throw resourceNotFound();
    return record;
  }

  private mappingOf({ params, request }: RestCall): MappingRecord {
    const record = this.mappingRecords.get(params.UUID ?? '');
    // Mappings live in a region too: another region's UUID is not found.
    if (!record?.config.arn.startsWith(`arn:aws:lambda:${request.region}:`)) throw resourceNotFound();
    return record;
  }

  /** The function a mapping call names: it must exist, as Lambda checks. */
  private mappedFunction(body: JsonInput, request: AwsRequest): string {
    const { arn } = parseFunctionName(body.string('FunctionName'), scopeOf(request));
    if (!this.functionRecords.has(arn)) throw functionNotFound(arn);
    return arn;
  }

  /** The polling settings Create and UpdateEventSourceMapping share, checked against what they will combine with. */
  private pollingSettings(body: JsonInput, current?: DeployedMapping) {
    const batchSize = integer(body, 'BatchSize', 1, 10000) ?? current?.batchSize ?? 10;
    const window = integer(body, 'MaximumBatchingWindowInSeconds', 0, 300) ?? current?.maximumBatchingWindowInSeconds ?? 0;
    if (batchSize > 10 && window === 0)
      throw new AwsError(INVALID, 'Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10');
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

  private createMapping({ body, request }: RestCall) {
    const eventSourceArn = body.string('EventSourceArn');
    if (!/^arn:aws[a-zA-Z-]*:sqs:/.test(eventSourceArn)) throw new AwsError(INVALID, 'The offline runtime maps SQS queues only.');
    const functionArn = this.mappedFunction(body, request);
    const existing = this.mappings().find((mapping) => mapping.eventSourceArn === eventSourceArn && mapping.functionArn === functionArn);
    if (existing)
      throw conflict(
        `An event source mapping with SQS arn (" ${eventSourceArn} ") and function (" ${functionArn.split(':').pop() ?? ''} ") already exists. Please update or delete the existing mapping with UUID ${existing.uuid}`,
      );
    const uuid = randomUUID();
    const config: DeployedMapping = {
      uuid,
      arn: `arn:aws:lambda:${request.region}:${request.accountId}:event-source-mapping:${uuid}`,
      eventSourceArn,
      functionArn,
      ...this.pollingSettings(body),
    };
    this.mappingRecords.set(uuid, { config, tags: new Map(Object.entries(body.optionalStringMap('Tags') ?? {})) });
    this.emit({ kind: 'mapping', change: 'created', mapping: config });
    return mappingView(config, 'Creating');
  }

  private updateMapping(call: RestCall) {
    const record = this.mappingOf(call);
    const before = record.config;
    const functionArn = call.body.has('FunctionName') ? this.mappedFunction(call.body, call.request) : before.functionArn;
    // Members the call leaves out keep their values (pollingSettings falls back on `before`).
    record.config = { ...before, functionArn, ...this.pollingSettings(call.body, before) };
    this.emit({ kind: 'mapping', change: 'updated', mapping: record.config });
    const state = record.config.enabled === before.enabled ? 'Updating' : record.config.enabled ? 'Enabling' : 'Disabling';
    return mappingView(record.config, state);
  }

  private listMappings({ query, request }: RestCall) {
    const source = query.get('EventSourceArn');
    const name = query.get('FunctionName');
    const functionArn = name === null ? undefined : parseFunctionName(name, scopeOf(request)).arn;
    const matching = this.mappings().filter(
      (mapping) =>
        mapping.arn.startsWith(`arn:aws:lambda:${request.region}:`) &&
        (source === null || mapping.eventSourceArn === source) &&
        (functionArn === undefined || mapping.functionArn === functionArn),
    );
    const { page, next } = paginate(matching, query);
    return { EventSourceMappings: page.map((mapping) => mappingView(mapping)), ...(next === undefined ? {} : { NextMarker: next }) };
  }
}

const concurrency = (fn: DeployedFunction) => (fn.reservedConcurrency === undefined ? {} : { ReservedConcurrentExecutions: fn.reservedConcurrency });
