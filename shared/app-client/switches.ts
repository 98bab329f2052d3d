/**
 * The application's two operator switches, through Lambda's own API as an operator would flip
 * them: the product function's fallback to the queue (read the configuration, merge the
 * environment, update, wait until the update is done; `on` removes the variable, leaving the
 * deployed environment exactly as it was before `off`), and the retry function's event source
 * mapping (disable or enable, and wait until the mapping says so). Used by `probe fallback`,
 * `probe retry-mapping` and the dashboard's controls.
 */
import {
  type EventSourceMappingConfiguration,
  GetEventSourceMappingCommand,
  GetFunctionConfigurationCommand,
  type LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { env, names } from '#spec';
import { UsageError } from '../cli/command';

/** A switch that could not be read or flipped: a UsageError, so a command reports it on one line and exits 2. */
export class AppClientError extends UsageError {
  override name = 'AppClientError';
}

/** How often a switch's state is read back while it settles. */
const POLL_EVERY_MS = 250;

export type Fallback = 'on' | 'off';

/** How long Lambda may take to finish a configuration update. */
export const UPDATE_TIMEOUT_MS = 60_000;

/** The function's environment with the fallback switched: `off` sets WRITE_FALLBACK=off, `on` removes it. */
export function switched(variables: Record<string, string>, fallback: Fallback): Record<string, string> {
  const rest = Object.fromEntries(Object.entries(variables).filter(([name]) => name !== env.writeFallback));
  return fallback === 'off' ? { ...rest, [env.writeFallback]: 'off' } : rest;
}

/** Waits until the function's last update is done; a failed update is an error. */
export async function waitUntilUpdated(lambda: LambdaClient, functionName: string, timeoutMs = UPDATE_TIMEOUT_MS) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    const status = config.LastUpdateStatus ?? 'Successful';
    if (status === 'Successful') return config;
    if (status === 'Failed') throw new AppClientError(`Updating ${functionName} failed: ${config.LastUpdateStatusReason ?? 'no reason given'}`);
    if (Date.now() > until) throw new AppClientError(`${functionName} was still updating (LastUpdateStatus ${status}) after ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_EVERY_MS));
  }
}

/** Switches the product function's fallback; nothing is updated when it is already so. */
export async function setFallback(lambda: LambdaClient, fallback: Fallback, functionName: string = names.productFunction) {
  // An update in progress would refuse ours (ResourceConflictException).
  const config = await waitUntilUpdated(lambda, functionName);
  const variables = config.Environment?.Variables ?? {};
  const wanted = switched(variables, fallback);
  const changed = JSON.stringify(Object.entries(variables).sort()) !== JSON.stringify(Object.entries(wanted).sort());
  if (changed) {
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: functionName, Environment: { Variables: wanted } }));
    await waitUntilUpdated(lambda, functionName);
  }
  return { function: functionName, fallback };
}

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
    throw new AppClientError(
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
      throw new AppClientError(`The event source mapping ${uuid} was still ${state ?? 'in no state'} after ${timeoutMs / 1000} s, not ${wanted}.`);
    await new Promise((resolve) => setTimeout(resolve, POLL_EVERY_MS));
  }
}
