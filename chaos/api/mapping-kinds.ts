/**
 * The retry function's event source mapping in the configurations AWS accepts, switched through
 * the target's Lambda API as a user's `aws lambda` calls would: the stack's (partial batch
 * responses), or the AWS CLI's default (`create-event-source-mapping` with only the queue, the
 * function and the batch size), whose poller deletes a whole batch whenever the invocation returns.
 * No accepted configuration may lose a write, so the randomized schedules run both.
 */
import {
  type CreateEventSourceMappingCommandInput,
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  type EventSourceMappingConfiguration,
  LambdaClient,
  ListEventSourceMappingsCommand,
} from '@aws-sdk/client-lambda';
import { localstack, names, region, retryPath } from '#spec';

/** stack: ReportBatchItemFailures and the concurrency limit, as the stack deploys it; bare: the AWS CLI's default. */
export const mappingKinds = ['stack', 'bare'] as const;
export type MappingKind = (typeof mappingKinds)[number];

export const mappingDescriptions: Record<MappingKind, string> = {
  stack: 'as the stack deploys it: FunctionResponseTypes ReportBatchItemFailures',
  bare: "recreated the AWS CLI's default way: no FunctionResponseTypes",
};

/** What CreateEventSourceMapping is sent for `kind`. */
export function mappingInput(kind: MappingKind, queueArn: string): CreateEventSourceMappingCommandInput {
  const bare = { EventSourceArn: queueArn, FunctionName: names.retryFunction, BatchSize: retryPath.batchSize };
  if (kind === 'bare') return bare;
  return { ...bare, FunctionResponseTypes: ['ReportBatchItemFailures'], ScalingConfig: { MaximumConcurrency: retryPath.maximumConcurrency } };
}

/** Which kind a listed mapping is: only partial batch responses tell the two apart for the write path. */
export const kindOf = (mapping: EventSourceMappingConfiguration): MappingKind =>
  mapping.FunctionResponseTypes?.includes('ReportBatchItemFailures') ? 'stack' : 'bare';

async function queueMapping(lambda: LambdaClient): Promise<EventSourceMappingConfiguration> {
  const { EventSourceMappings = [] } = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: names.retryFunction }));
  const mine = EventSourceMappings.filter((mapping) => mapping.EventSourceArn?.endsWith(`:${names.queue}`));
  if (mine.length !== 1) throw new Error(`Expected one event source mapping of ${names.queue} to ${names.retryFunction}, found ${mine.length}`);
  return mine[0] as EventSourceMappingConfiguration;
}

/**
 * Makes the retry function's mapping of the queue `kind`: unchanged if it already is, otherwise
 * deleted and created again with the same queue. Call it while the queue is empty: the deleted
 * mapping's pollers drop their receives (a message they held waits out its visibility timeout).
 */
export async function useRetryMapping(endpoint: string, kind: MappingKind): Promise<void> {
  const lambda = new LambdaClient({ region, endpoint, credentials: { accessKeyId: localstack.accessKey, secretAccessKey: localstack.secretKey } });
  try {
    const current = await queueMapping(lambda);
    if (kindOf(current) === kind) return;
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: current.UUID }));
    await lambda.send(new CreateEventSourceMappingCommand(mappingInput(kind, current.EventSourceArn ?? '')));
    // Read back, so a runtime that dropped a setting cannot pass a schedule off as the other kind.
    const created = await queueMapping(lambda);
    if (kindOf(created) !== kind) throw new Error(`The recreated mapping is ${kindOf(created)}, not ${kind}: ${JSON.stringify(created)}`);
  } finally {
    lambda.destroy();
  }
}
