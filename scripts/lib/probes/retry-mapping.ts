/**
 * `probe retry-mapping --disable|--enable`: stops or restarts the retry function's polling of
 * the queue through its event source mapping, and waits until the mapping says so.
 */
import {
  type EventSourceMappingConfiguration,
  GetEventSourceMappingCommand,
  type LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { names } from '#spec';
import { ProbeError } from './errors';
import { POLL_EVERY_MS } from './poll';

export const STATE_TIMEOUT_MS = 60_000;

/** The retry function's mapping: the one on ProductEventsQueue if it has several. */
export async function retryMapping(lambda: LambdaClient, functionName: string = names.retryFunction): Promise<EventSourceMappingConfiguration> {
  const mappings: EventSourceMappingConfiguration[] = [];
  let marker: string | undefined;
  do {
    const page = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: functionName, ...(marker ? { Marker: marker } : {}) }));
    mappings.push(...(page.EventSourceMappings ?? []));
    marker = page.NextMarker;
  } while (marker);
  const mapping = mappings.find((each) => each.EventSourceArn?.endsWith(`:${names.queue}`)) ?? (mappings.length === 1 ? mappings[0] : undefined);
  if (!mapping?.UUID) {
    throw new ProbeError(
      mappings.length === 0
        ? `${functionName} has no event source mapping: is the stack deployed?`
        : `${functionName} has ${mappings.length} event source mappings and none on ${names.queue}.`,
    );
  }
  return mapping;
}

export async function setRetryMapping(lambda: LambdaClient, enabled: boolean, timeoutMs = STATE_TIMEOUT_MS): Promise<{ uuid: string; state: string }> {
  const { UUID: uuid = '', State: current } = await retryMapping(lambda);
  const wanted = enabled ? 'Enabled' : 'Disabled';
  if (current === wanted) return { uuid, state: current };
  await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: enabled }));
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { State: state } = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    if (state === wanted) return { uuid, state };
    if (Date.now() > until)
      throw new ProbeError(`The event source mapping ${uuid} was still ${state ?? 'in no state'} after ${timeoutMs / 1000} s, not ${wanted}.`);
    await new Promise((resolve) => setTimeout(resolve, POLL_EVERY_MS));
  }
}
