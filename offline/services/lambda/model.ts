/**
 * What the Lambda control plane keeps: the functions as deployed (what the runtime runs) with
 * their tags and resource policies, the event source mappings, the listeners told of every
 * change; how a FunctionName names a function; and Lambda's errors for them.
 */
import { AwsError, type Scope } from '../../protocol/service';
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

export interface ResourcePolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: string | Record<string, string>;
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}

export interface FunctionRecord {
  config: DeployedFunction;
  tags: Map<string, string>;
  statements: ResourcePolicyStatement[];
}

export interface MappingRecord {
  config: DeployedMapping;
  tags: Map<string, string>;
}

/** The functions and mappings of every account and region, and who hears of their changes. */
export class LambdaStore {
  // By unqualified ARN, which carries the region and account.
  readonly functionRecords = new Map<string, FunctionRecord>();
  readonly mappingRecords = new Map<string, MappingRecord>();
  private readonly listeners = new Set<(change: LambdaChange) => void>();

  /** `code` unpacks what is deployed. */
  constructor(readonly code: CodeStore) {}

  /** Every deployed function, in name order. */
  functions(): DeployedFunction[] {
    return [...this.functionRecords.values()].map((record) => record.config).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Every event source mapping, enabled or not. */
  mappings(): DeployedMapping[] {
    return [...this.mappingRecords.values()].map((record) => record.config);
  }

  onChange(listener: (change: LambdaChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(change: LambdaChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

export const VALIDATION = 'ValidationException';
export const INVALID_PARAMETER_VALUE = 'InvalidParameterValueException';

// AWS's own messages, which SDK users and the provider match on.
export const functionNotFound = (arn: string) => new AwsError('ResourceNotFoundException', `Function not found: ${arn}`, 404);
export const resourceNotFound = () => new AwsError('ResourceNotFoundException', 'The resource you requested does not exist.', 404);
export const resourceConflict = (message: string) => new AwsError('ResourceConflictException', message, 409);

// As Lambda's model: a name, `name:qualifier`, a partial ARN `<account>:function:<name>` or a full ARN.
const FUNCTION_NAME =
  /^(?:arn:aws[a-zA-Z-]*:lambda:([a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d):)?(?:(\d{12}):function:)?([a-zA-Z0-9_-]{1,64})(?::(\$LATEST|[a-zA-Z0-9_-]+))?$/;
export const ROLE_ARN = /^arn:aws[a-zA-Z-]*:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-/]+$/;
export const MAPPING_ARN = /^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:event-source-mapping:([0-9a-f-]{36})$/;

// Lambda's timestamps: `2026-11-27T09:13:49.123+0000`.
export const timestamp = () => new Date().toISOString().replace('Z', '+0000');

const functionArn = ({ region, accountId }: Scope, name: string) => `arn:aws:lambda:${region}:${accountId}:function:${name}`;

/** The function a FunctionName names, in the caller's region and account unless its ARN says otherwise. */
export function parseFunctionName(raw: string, scope: Scope, qualifier?: string | null): { name: string; arn: string } {
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
