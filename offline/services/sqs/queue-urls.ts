/**
 * SQS's step in front of fauxqs: a queue URL in any form LocalStack accepts becomes the one fauxqs
 * knows, and a call in the query protocol, which fauxqs would answer as another service, is
 * refused in SQS's own format.
 */
import { canonicalQueueUrl, faultResponse } from '../../protocol/aws-wire';
import type { EmulatorStep } from '../../protocol/emulator';

const SQS_QUERY_REFUSAL =
  "The offline runtime serves SQS's JSON protocol only (the AWS SDKs and CLIs of 2023 and later use it); this form-encoded query-protocol call was not run";

export const sqsQueueUrls: EmulatorStep = (emulatorCall, next) => {
  const { call } = emulatorCall;
  if (call.service !== 'sqs') return next();
  if (call.protocol === 'query') {
    // After IAM and faults, as any call: fauxqs speaks SQS's JSON protocol only.
    emulatorCall.log(`AWS sqs.${call.operation} => 400 (query protocol, not served)`);
    return Promise.resolve(faultResponse(call, { statusCode: 400, code: 'InvalidAction' }, SQS_QUERY_REFUSAL));
  }
  // The JSON protocol carries everything in the body; fauxqs serves it at / only.
  emulatorCall.request = { ...emulatorCall.request, url: '/' };
  emulatorCall.body = canonicalQueueUrls(emulatorCall.body, call.region, emulatorCall.edgePort);
  return next();
};

/** Rewrites a QueueUrl in any form LocalStack accepts to the one fauxqs knows. */
function canonicalQueueUrls(body: string, region: string, port: number): string {
  let input: unknown;
  try {
    input = JSON.parse(body);
  } catch {
    return body; // fauxqs answers malformed JSON itself
  }
  if (typeof input !== 'object' || input === null || !('QueueUrl' in input) || typeof input.QueueUrl !== 'string') return body;
  const canonical = canonicalQueueUrl(input.QueueUrl, region, port);
  return canonical === undefined || canonical === input.QueueUrl ? body : JSON.stringify({ ...input, QueueUrl: canonical });
}
