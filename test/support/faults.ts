/** Fault rules the end-to-end suites share, built from the spec's tutorial fault. */
import { tutorialFault } from '#spec';

/** The tutorial's DynamoDB fault on every call (no probability: 100%). */
export const dynamoOutage = { service: tutorialFault.service, error: tutorialFault.error };

/** Nothing receives from a queue: the retry path's event source is held. */
export const receivesBlocked = { service: 'sqs', operation: 'ReceiveMessage' };

/** DynamoDB refusing a product that passed our validation: not the client's fault, so retried. */
export const dynamoRefusals = ['ValidationException', 'SerializationException', 'ItemCollectionSizeLimitExceededException'];

/** A faulted read, by operation and error: a faulted dependency, which GET answers 503, never 500. */
export const readFaults: Array<[string, string]> = ['GetItem', 'Scan'].flatMap((operation) =>
  ['ValidationException', 'ConditionalCheckFailedException', 'SerializationException'].map((code): [string, string] => [operation, code]),
);

/** How the experiment and the chaos CLI name the tutorial's fault rule. */
export const tutorialRuleName = `the fault rule on ${tutorialFault.service} (${Math.round(tutorialFault.probability * 100)}% of calls fail with ${tutorialFault.error.statusCode} ${tutorialFault.error.code})`;
