/** The Lambda control plane's event source mappings, and the tags of functions and mappings, as the real SDK client sees them over HTTP. */
import {
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  ListTagsCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import type { LambdaService } from '../../offline/services/lambda/control';
import type { LambdaChange } from '../../offline/services/lambda/model';
import { createFunction, createMapping, functionArn, functionName as name, queueArn, serveLambda, type ServedLambda } from '../support/lambda-service';
import { arn } from '../support/clients';
import { refusal } from '../support/sdk-calls';

let served: ServedLambda;
let lambda: LambdaService;
let client: LambdaClient;
let changes: LambdaChange[];

beforeEach(async () => {
  served = await serveLambda();
  ({ lambda, client, changes } = served);
});

afterEach(() => served.close());

it('maps a queue to a function; disabling the mapping shows in its state and in the inventory', async () => {
  await createFunction(client);
  const created = await createMapping(client);
  expect(created).toMatchObject({
    $metadata: { httpStatusCode: 202 },
    UUID: expect.any(String),
    State: 'Creating',
    EventSourceArn: queueArn,
    FunctionArn: functionArn,
    BatchSize: 5,
    MaximumBatchingWindowInSeconds: 0,
    FunctionResponseTypes: ['ReportBatchItemFailures'],
    ScalingConfig: { MaximumConcurrency: 2 },
    EventSourceMappingArn: arn('lambda', `event-source-mapping:${created.UUID}`),
  });
  const uuid = created.UUID!;
  const get = () => client.send(new GetEventSourceMappingCommand({ UUID: uuid }));
  expect(await get()).toMatchObject({ State: 'Enabled', StateTransitionReason: 'USER_INITIATED', LastModified: expect.any(Date) });
  expect(lambda.mapping(uuid)).toMatchObject({ eventSourceArn: queueArn, functionArn, batchSize: 5, maximumConcurrency: 2, enabled: true });

  expect((await client.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }))).State).toBe('Disabling');
  expect(await get()).toMatchObject({ State: 'Disabled', BatchSize: 5, ScalingConfig: { MaximumConcurrency: 2 } });
  expect(lambda.mapping(uuid)!.enabled).toBe(false);
  expect((await client.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true, BatchSize: 10 }))).State).toBe('Enabling');
  expect(lambda.mappings()).toEqual([expect.objectContaining({ uuid, enabled: true, batchSize: 10 })]);
  expect(changes.filter((change) => change.kind === 'mapping').map((change) => change.kind === 'mapping' && change.mapping.enabled)).toEqual([
    true,
    false,
    true,
  ]);

  const listed = await client.send(new ListEventSourceMappingsCommand({ FunctionName: name }));
  expect(listed.EventSourceMappings!.map((mapping) => mapping.UUID)).toEqual([uuid]);
  expect((await client.send(new ListEventSourceMappingsCommand({ EventSourceArn: `${queueArn}-other` }))).EventSourceMappings).toEqual([]);

  expect(await refusal(createMapping(client))).toMatchObject({ name: 'ResourceConflictException', status: 409 });
  const unbatched = await refusal(client.send(new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 20 })));
  expect(unbatched).toMatchObject({ name: 'InvalidParameterValueException', status: 400 });

  expect((await client.send(new DeleteEventSourceMappingCommand({ UUID: uuid }))).State).toBe('Deleting');
  expect(await refusal(get())).toEqual({ name: 'ResourceNotFoundException', status: 404, message: 'The resource you requested does not exist.' });
  expect(lambda.mappings()).toEqual([]);
});

it('tags functions and mappings by ARN', async () => {
  await createFunction(client);
  const mappingArn = (await createMapping(client)).EventSourceMappingArn!;
  for (const Resource of [functionArn, mappingArn]) {
    await client.send(new TagResourceCommand({ Resource, Tags: { team: 'a', env: 'dev' } }));
    await client.send(new UntagResourceCommand({ Resource, TagKeys: ['team', 'app'] }));
    expect((await client.send(new ListTagsCommand({ Resource }))).Tags).toEqual({ env: 'dev' });
  }
});
