/** A Lambda call's input as the operations read it, checked against Lambda's constraints with Lambda's messages. */
import type { JsonInput } from '../../protocol/json';
import { AwsError } from '../../protocol/service';
import { type DeployedFunction, INVALID_PARAMETER_VALUE, type ResourcePolicyStatement, ROLE_ARN } from './model';

const STATEMENT_ID = /^[a-zA-Z0-9_.-]{1,100}$/;

export function integer(input: JsonInput, name: string, min: number, max: number): number | undefined {
  const value = input.optionalNumber(name);
  if (value === undefined) return undefined;
  // Lambda's messages name members in lower camel case.
  const member = name.charAt(0).toLowerCase() + name.slice(1);
  if (!Number.isInteger(value) || value < min) throw input.invalid(member, value, `Member must have value greater than or equal to ${min}`);
  if (value > max) throw input.invalid(member, value, `Member must have value less than or equal to ${max}`);
  return value;
}

/** The page of `items` a Marker (an offset) asks for, and the NextMarker of the next page. */
export function pageByMarker<T>(items: T[], query: URLSearchParams): { page: T[]; next?: string } {
  const start = Number(query.get('Marker') ?? 0);
  const max = Number(query.get('MaxItems') ?? 50);
  if (!Number.isInteger(start) || start < 0 || start > items.length) throw new AwsError(INVALID_PARAMETER_VALUE, 'Invalid Marker.');
  if (!Number.isInteger(max) || max < 1 || max > 10000) throw new AwsError(INVALID_PARAMETER_VALUE, 'MaxItems must be between 1 and 10000.');
  const end = start + max;
  return { page: items.slice(start, end), ...(end < items.length ? { next: String(end) } : {}) };
}

/** The settings Create and UpdateFunctionConfiguration share, as read from the call. */
export function settings(
  body: JsonInput,
): Partial<Omit<DeployedFunction, 'name' | 'arn' | 'codeSize' | 'codeDir' | 'codeSha256' | 'lastModified' | 'revisionId'>> {
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
export function defined<T extends object>(members: T): Partial<T> {
  return Object.fromEntries(Object.entries(members).filter(([, value]) => value !== undefined)) as Partial<T>;
}

export function architectures(body: JsonInput): string[] | undefined {
  const list = body.optionalStrings('Architectures');
  if (list !== undefined && (list.length !== 1 || !['x86_64', 'arm64'].includes(list[0] ?? '')))
    throw body.invalid('architectures', list, 'Member must have length less than or equal to 1, Member must satisfy enum value set: [x86_64, arm64]');
  return list;
}

/** The uploaded zip: the offline runtime takes code inline only, as the provider sends a local `filename`. */
export function zipFile(code: JsonInput | undefined, body: JsonInput): Buffer {
  const zip = code?.optionalString('ZipFile');
  if (zip !== undefined) return Buffer.from(zip, 'base64');
  if (code?.has('S3Bucket') || code?.has('ImageUri')) throw new AwsError(INVALID_PARAMETER_VALUE, 'The offline runtime takes function code as ZipFile only.');
  throw body.invalid('code', undefined, 'Member must not be null');
}

/** A statement of a function's resource policy, as AddPermission writes it. */
export function statement(body: JsonInput, resource: string): ResourcePolicyStatement {
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
