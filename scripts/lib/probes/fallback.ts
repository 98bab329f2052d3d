/**
 * `probe fallback --off|--on`: switches the product function's fallback to the queue through
 * Lambda's own API, as an operator would: read the configuration, merge the environment, update,
 * wait until the update is done. `--on` removes the variable, leaving the deployed environment
 * exactly as it was before `--off`.
 */
import { GetFunctionConfigurationCommand, type LambdaClient, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { env, names } from '#spec';
import { ProbeError } from './errors';
import { POLL_EVERY_MS } from './poll';

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
    if (status === 'Failed') throw new ProbeError(`Updating ${functionName} failed: ${config.LastUpdateStatusReason ?? 'no reason given'}`);
    if (Date.now() > until) throw new ProbeError(`${functionName} was still updating (LastUpdateStatus ${status}) after ${timeoutMs / 1000} s`);
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
