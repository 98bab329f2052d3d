/** The probe CLI's Lambda actions against a mocked Lambda API: the fallback switch and the retry mapping. */
import {
  GetEventSourceMappingCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { names } from '#spec';
import { setFallback, setRetryMapping, switched } from '../../shared/app-client/switches';
import { POLL_EVERY_MS } from '../../chaos/probes/poll';

const lambdaMock = mockClient(LambdaClient);
const lambda = new LambdaClient({ region: 'us-east-1' });
const deployed = { TABLE_NAME: 'Products', TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:ProductEventsTopic', NODE_OPTIONS: '--enable-source-maps' };

beforeEach(() => {
  lambdaMock.reset();
  // The waits between polls run on jest's clock.
  jest.useFakeTimers();
});
afterEach(() => jest.useRealTimers());

describe('the fallback switch', () => {
  it('sets WRITE_FALLBACK=off over the deployed variables, and removing it gives them back exactly', () => {
    const off = switched(deployed, 'off');
    expect(off).toEqual({ ...deployed, WRITE_FALLBACK: 'off' });
    expect(switched(off, 'on')).toEqual(deployed);
    expect(switched({ WRITE_FALLBACK: 'on' }, 'on')).toEqual({});
  });

  it('merges the environment, updates, and waits until LastUpdateStatus is Successful', async () => {
    lambdaMock
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce({ Environment: { Variables: deployed }, LastUpdateStatus: 'Successful' })
      .resolvesOnce({ LastUpdateStatus: 'InProgress' })
      .resolves({ Environment: { Variables: { ...deployed, WRITE_FALLBACK: 'off' } }, LastUpdateStatus: 'Successful' });
    lambdaMock.on(UpdateFunctionConfigurationCommand).resolves({ LastUpdateStatus: 'InProgress' });

    const setting = setFallback(lambda, 'off');
    // One poll while the update is InProgress.
    await jest.advanceTimersByTimeAsync(POLL_EVERY_MS);
    expect(await setting).toEqual({ function: names.productFunction, fallback: 'off' });
    expect(lambdaMock).toHaveReceivedCommandWith(UpdateFunctionConfigurationCommand, {
      FunctionName: names.productFunction,
      Environment: { Variables: { ...deployed, WRITE_FALLBACK: 'off' } },
    });
    expect(lambdaMock).toHaveReceivedCommandTimes(GetFunctionConfigurationCommand, 3);
  });

  it('updates nothing when the fallback is already so', async () => {
    lambdaMock.on(GetFunctionConfigurationCommand).resolves({ Environment: { Variables: deployed }, LastUpdateStatus: 'Successful' });
    expect(await setFallback(lambda, 'on')).toEqual({ function: names.productFunction, fallback: 'on' });
    expect(lambdaMock).not.toHaveReceivedCommand(UpdateFunctionConfigurationCommand);
  });

  it('reports a failed update', async () => {
    lambdaMock
      .on(GetFunctionConfigurationCommand)
      .resolvesOnce({ LastUpdateStatus: 'Successful' })
      .resolves({ LastUpdateStatus: 'Failed', LastUpdateStatusReason: 'no room' });
    await expect(setFallback(lambda, 'off')).rejects.toThrow(`Updating ${names.productFunction} failed: no room`);
  });
});

describe('the retry mapping', () => {
  const mapping = { UUID: 'm-1', EventSourceArn: `arn:aws:sqs:us-east-1:000000000000:${names.queue}`, State: 'Enabled' };

  it('disables the retry function mapping on the queue and waits for Disabled', async () => {
    lambdaMock.on(ListEventSourceMappingsCommand).resolves({ EventSourceMappings: [{ UUID: 'other', EventSourceArn: 'arn:aws:sqs:x:y:Other' }, mapping] });
    lambdaMock.on(UpdateEventSourceMappingCommand).resolves({ State: 'Disabling' });
    lambdaMock.on(GetEventSourceMappingCommand).resolvesOnce({ State: 'Disabling' }).resolves({ State: 'Disabled' });

    const setting = setRetryMapping(lambda, false);
    // One poll while it is Disabling.
    await jest.advanceTimersByTimeAsync(POLL_EVERY_MS);
    expect(await setting).toEqual({ uuid: 'm-1', state: 'Disabled' });
    expect(lambdaMock).toHaveReceivedCommandWith(ListEventSourceMappingsCommand, { FunctionName: names.retryFunction });
    expect(lambdaMock).toHaveReceivedCommandWith(UpdateEventSourceMappingCommand, { UUID: 'm-1', Enabled: false });
  });

  it('changes nothing when it is already so, and says when there is no mapping', async () => {
    lambdaMock
      .on(ListEventSourceMappingsCommand)
      .resolvesOnce({ EventSourceMappings: [mapping] })
      .resolves({ EventSourceMappings: [] });
    expect(await setRetryMapping(lambda, true)).toEqual({ uuid: 'm-1', state: 'Enabled' });
    expect(lambdaMock).not.toHaveReceivedCommand(UpdateEventSourceMappingCommand);
    await expect(setRetryMapping(lambda, true)).rejects.toThrow(`${names.retryFunction} has no event source mapping: is the stack deployed?`);
  });
});
