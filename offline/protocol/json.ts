/**
 * The awsJson protocols as the runtime's own JSON services speak them: X-Amz-Target
 * `<prefix>.<Operation>` names the call, input and output are JSON bodies, and an error is
 * `{"__type": code, "message": ...}` with its code in `x-amzn-ErrorType` and its HTTP status.
 * CloudWatch Logs speaks 1.1 (prefix `Logs_20140328`); DynamoDB and SQS speak 1.0.
 */
import { nestingProblem } from '../../shared/http/json-body';
import { AwsError, type AwsRequest, type AwsResponse } from './service';

export type JsonVersion = '1.0' | '1.1';

/** One operation: its input in, its output out (undefined answers `{}`). */
export type JsonOperation = (input: JsonInput, request: AwsRequest) => unknown;

export interface JsonProtocol {
  /** The X-Amz-Target prefix, e.g. `Logs_20140328`. */
  targetPrefix: string;
  version: JsonVersion;
  /** The service's code for an invalid or missing parameter (Logs: InvalidParameterException, Lambda: InvalidParameterValueException). */
  validationError: string;
  operations: Readonly<Record<string, JsonOperation>>;
}

const contentType = (version: JsonVersion) => `application/x-amz-json-${version}`;

/** The operation an X-Amz-Target header names, when it carries this prefix. */
export function targetOperation(target: string | string[] | undefined, prefix: string): string | undefined {
  if (typeof target !== 'string') return undefined;
  const dot = target.lastIndexOf('.');
  return dot > 0 && target.slice(0, dot) === prefix ? target.slice(dot + 1) : undefined;
}

/** An AwsError as an awsJson service answers it; the edge renders faults and denials with it too. */
export function jsonErrorResponse(error: AwsError, version: JsonVersion, requestId: string): AwsResponse {
  return {
    status: error.status,
    headers: { 'Content-Type': contentType(version), 'x-amzn-ErrorType': error.code, 'x-amzn-RequestId': requestId },
    body: JSON.stringify({ __type: error.code, message: error.message }),
  };
}

/** The handler of an AwsService speaking this protocol: routes by target, parses, answers, renders AwsError. */
export function jsonHandler(protocol: JsonProtocol): (request: AwsRequest) => Promise<AwsResponse> {
  return async (request) => {
    try {
      const operation = targetOperation(request.headers['x-amz-target'], protocol.targetPrefix) ?? request.operation;
      const run = Object.hasOwn(protocol.operations, operation) ? protocol.operations[operation] : undefined;
      if (!run) throw new AwsError('UnknownOperationException', `The operation ${operation} is not supported.`);
      const output = await run(new JsonInput(parseJsonBody(request.body), protocol.validationError), request);
      return {
        status: 200,
        headers: { 'Content-Type': contentType(protocol.version), 'x-amzn-RequestId': request.requestId },
        body: JSON.stringify(output ?? {}),
      };
    } catch (error) {
      if (error instanceof AwsError) return jsonErrorResponse(error, protocol.version, request.requestId);
      throw error;
    }
  };
}

/** A JSON request body's members; the REST-JSON services read theirs with it too. */
export function parseJsonBody(body: string): Record<string, unknown> {
  // SDKs send `{}` for an input without members; some clients send nothing at all.
  if (body.trim() === '') return {};
  const tooDeep = nestingProblem(body);
  if (tooDeep) throw new AwsError('SerializationException', tooDeep);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new AwsError('SerializationException', 'The request body is not valid JSON.');
  }
  if (!isObject(parsed)) throw new AwsError('SerializationException', 'The request body is not a JSON object.');
  return parsed;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A call's input members, read with the checks the service makes: a missing required member is
 * the service's validation error (worded as AWS words it), a member of the wrong type a
 * SerializationException.
 */
export class JsonInput {
  constructor(
    private readonly members: Record<string, unknown>,
    private readonly validationError: string,
  ) {}

  /** A validation error in the service's code and AWS's wording. */
  invalid(name: string, value: unknown, constraint: string): AwsError {
    const shown = value === undefined ? 'null' : `'${Array.isArray(value) ? `[${value.join(', ')}]` : String(value)}'`;
    return new AwsError(this.validationError, `1 validation error detected: Value ${shown} at '${name}' failed to satisfy constraint: ${constraint}`);
  }

  has(name: string): boolean {
    return this.members[name] !== undefined && this.members[name] !== null;
  }

  string(name: string): string {
    const value = this.optionalString(name);
    if (value === undefined) throw this.invalid(name, undefined, 'Member must not be null');
    return value;
  }

  optionalString(name: string): string | undefined {
    return this.typed(name, 'string', (value): value is string => typeof value === 'string');
  }

  optionalNumber(name: string): number | undefined {
    return this.typed(name, 'number', (value): value is number => typeof value === 'number' && Number.isFinite(value));
  }

  optionalBoolean(name: string): boolean | undefined {
    return this.typed(name, 'boolean', (value): value is boolean => typeof value === 'boolean');
  }

  optionalStrings(name: string): string[] | undefined {
    return this.typed(name, 'list of strings', (value): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string'));
  }

  optionalStringMap(name: string): Record<string, string> | undefined {
    return this.typed(
      name,
      'map of strings',
      (value): value is Record<string, string> => isObject(value) && Object.values(value).every((item) => typeof item === 'string'),
    );
  }

  /** A structure, read as an input of its own. */
  optionalStructure(name: string): JsonInput | undefined {
    const members = this.typed(name, 'structure', isObject);
    return members && new JsonInput(members, this.validationError);
  }

  /** A list of structures, each read as an input of its own. */
  optionalStructures(name: string): JsonInput[] | undefined {
    const list = this.typed(name, 'list of structures', (value): value is Record<string, unknown>[] => Array.isArray(value) && value.every(isObject));
    return list?.map((members) => new JsonInput(members, this.validationError));
  }

  private typed<T>(name: string, type: string, check: (value: unknown) => value is T): T | undefined {
    const value = this.members[name];
    if (value === undefined || value === null) return undefined;
    if (!check(value)) throw new AwsError('SerializationException', `Expected a ${type} for '${name}'.`);
    return value;
  }
}
