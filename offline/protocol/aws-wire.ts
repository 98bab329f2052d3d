/**
 * Just enough of the AWS wire protocols to route a call, name it for the Chaos API and the logs,
 * and answer a fault in the service's own error format, so SDKs and the AWS CLI parse it as
 * they would parse LocalStack's.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { region as defaultRegion } from '#spec';
import type { Call, Fault } from '../../shared/contracts/chaos-api';
import type { HttpAnswer } from './http-api';

export type Protocol = 'json' | 'query';

export interface AwsCall extends Call {
  protocol: Protocol;
}

export const FAULT_MESSAGE = 'Operation failed due to a simulated fault';

// x-amz-target prefixes of the JSON-protocol services the runtime serves.
const TARGET_PREFIXES: Record<string, string> = { DynamoDB_20120810: 'dynamodb', AmazonSQS: 'sqs' };

/** Reads service, region and operation from a request, or undefined when it is not an AWS call. */
export function identify(headers: IncomingHttpHeaders, body: string): AwsCall | undefined {
  // SigV4: Credential=AKID/20240101/us-east-1/dynamodb/aws4_request
  const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(headers.authorization ?? ''));
  const region = scope?.[1] ?? defaultRegion;
  const target = headers['x-amz-target'];
  if (typeof target === 'string') {
    const [prefix, operation] = target.split('.');
    const service = prefix ? TARGET_PREFIXES[prefix] : undefined;
    if (service && operation) return { service, region, operation, protocol: 'json' };
  }
  const action = new URLSearchParams(body).get('Action');
  const service = scope?.[2];
  if (action && service) return { service, region, operation: action, protocol: 'query' };
  return undefined;
}

const XMLNS: Record<string, string> = {
  sns: 'http://sns.amazonaws.com/doc/2010-03-31/',
  sqs: 'http://queue.amazonaws.com/doc/2012-11-05/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
};

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The HTTP answer for a faulted call. */
export function faultResponse(call: AwsCall, fault: Fault, message = FAULT_MESSAGE): { statusCode: number; headers: Record<string, string>; body: string } {
  const requestId = randomUUID();
  if (call.protocol === 'json') {
    return {
      statusCode: fault.statusCode,
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amzn-ErrorType': fault.code,
        'x-amzn-RequestId': requestId,
        // SQS's JSON protocol carries the query-compatible code here.
        ...(call.service === 'sqs' ? { 'x-amzn-query-error': `${fault.code};${fault.statusCode < 500 ? 'Sender' : 'Receiver'}` } : {}),
      },
      body: JSON.stringify({ __type: fault.code, message }),
    };
  }
  const type = fault.statusCode < 500 ? 'Sender' : 'Receiver';
  return {
    statusCode: fault.statusCode,
    headers: { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId },
    body:
      `<ErrorResponse xmlns="${XMLNS[call.service] ?? XMLNS.sns}"><Error><Type>${type}</Type><Code>${escapeXml(fault.code)}</Code>` +
      `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

/**
 * How each service answers a call IAM refuses, as AWS answers it: SNS with its modelled
 * AuthorizationError, SQS, IAM and STS with the query protocol's AccessDenied, the others with
 * AccessDeniedException, at the status each service gives it.
 */
const ACCESS_DENIED: Record<string, Fault> = {
  dynamodb: { statusCode: 400, code: 'AccessDeniedException' },
  logs: { statusCode: 400, code: 'AccessDeniedException' },
  lambda: { statusCode: 403, code: 'AccessDeniedException' },
  apigateway: { statusCode: 403, code: 'AccessDeniedException' },
  sns: { statusCode: 403, code: 'AuthorizationError' },
};

/** The error a service answers an unauthorised call with. */
export const accessDenied = (service: string): Fault =>
  (Object.hasOwn(ACCESS_DENIED, service) ? ACCESS_DENIED[service] : undefined) ?? { statusCode: 403, code: 'AccessDenied' };

/** The error code an emulator's answer carries: in x-amzn-ErrorType, a JSON `__type` or an XML `<Code>`. */
export function errorCode(answer: HttpAnswer): string {
  const type = answer.headers['x-amzn-errortype'];
  if (typeof type === 'string') return type.split(':')[0] ?? type;
  const text = answer.body.toString();
  return /"__type"\s*:\s*"(?:[^"#]*#)?([^"]+)"/.exec(text)?.[1] ?? /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? 'Error';
}

/**
 * Marks the calls of the runtime's own event source mapping (its long polls of the queue), so
 * the edge can keep their empty polls out of the log. The header only affects logging.
 */
export const EVENT_SOURCE_HEADER = 'x-offline-event-source';

/**
 * The queue URL fauxqs knows for any form LocalStack accepts: its standard form
 * `http://sqs.<region>.localhost.localstack.cloud:<port>/<account>/<name>`, the domain form
 * `http://<region>.queue.localhost.localstack.cloud:<port>/…`, the path form
 * `http://localhost:<port>/queue/<region>/<account>/<name>` and the legacy form
 * `http://localhost:<port>/<account>/<name>` (region from the call). Undefined when the text is
 * not a queue URL; fauxqs then answers as it would.
 */
export function canonicalQueueUrl(queueUrl: string, callRegion: string, port: number): string | undefined {
  let url: URL;
  try {
    url = new URL(queueUrl);
  } catch {
    return undefined;
  }
  const segments = url.pathname.split('/').filter((segment) => segment !== '');
  let region: string | undefined;
  let rest = segments;
  if (segments.length === 4 && segments[0] === 'queue') {
    region = segments[1];
    rest = segments.slice(2);
  } else {
    region = /^sqs\.([a-z0-9-]+)\./.exec(url.hostname)?.[1] ?? /^([a-z0-9-]+)\.queue\./.exec(url.hostname)?.[1];
  }
  const [account, name] = rest;
  if (rest.length !== 2 || !account || !name || !/^\d{12}$/.test(account) || !/^[A-Za-z0-9_-]{1,80}(\.fifo)?$/.test(name)) return undefined;
  return `http://sqs.${region ?? callRegion}.localhost.localstack.cloud${port === 80 ? '' : `:${port}`}/${account}/${name}`;
}
