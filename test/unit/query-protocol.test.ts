/** The query protocol's form bodies and XML answers, below what the SDK tests of IAM and STS cover. */
import { localstack, region } from '#spec';
import { parseQuery, queryHandler, required } from '../../offline/protocol/query';
import { AwsError, type AwsRequest } from '../../offline/protocol/service';

const form = (params: Record<string, string>) => new URLSearchParams(params).toString();

it('reads scalars, lists of strings and structures in order, and maps', () => {
  const body = form({
    Action: 'CreateRole',
    Version: '2010-05-08',
    RoleName: 'R',
    'PolicyArns.member.2': 'b',
    'PolicyArns.member.1': 'a',
    'Tags.member.1.Key': 'k1',
    'Tags.member.1.Value': 'v1',
    'Tags.member.10.Key': 'k10',
    'Tags.member.2.Key': 'k2',
    'Attributes.entry.1.key': 'Policy',
    'Attributes.entry.1.value': '{"a":1}',
  });
  expect(parseQuery(body)).toEqual({
    RoleName: 'R',
    PolicyArns: ['a', 'b'],
    Tags: [{ Key: 'k1', Value: 'v1' }, { Key: 'k2' }, { Key: 'k10' }],
    Attributes: { Policy: '{"a":1}' },
  });
});

const request = (operation: string, body = ''): AwsRequest => ({
  service: 'iam',
  operation,
  method: 'POST',
  path: '/',
  query: new URLSearchParams(),
  headers: {},
  body,
  region,
  accountId: localstack.accountId,
  requestId: 'req-1',
  principal: { kind: 'user', accessKeyId: 'test' },
});

const handle = queryHandler('urn:test', {
  Echo: (params) => ({ Value: params.Text as string, Items: ['<a>', 'b&c'], Nested: { Present: 1, Absent: undefined } }),
  Nothing: () => undefined,
  Fail: () => {
    throw new AwsError('NoSuchEntity', 'Missing <thing>', 404);
  },
  Broken: () => {
    throw new AwsError('ServiceFailure', 'Down', 500);
  },
  Needs: (params) => ({ Name: required(params, 'RoleName') }),
});

it('renders a result, lists as members, escaped, without absent members', async () => {
  expect(await handle(request('Echo', form({ Action: 'Echo', Text: 'x"y' })))).toEqual({
    status: 200,
    headers: { 'Content-Type': 'text/xml', 'x-amzn-RequestId': 'req-1' },
    body:
      '<EchoResponse xmlns="urn:test"><EchoResult><Value>x"y</Value><Items><member>&lt;a&gt;</member><member>b&amp;c</member></Items>' +
      '<Nested><Present>1</Present></Nested></EchoResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></EchoResponse>',
  });
  expect((await handle(request('Nothing'))).body).toBe(
    '<NothingResponse xmlns="urn:test"><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></NothingResponse>',
  );
});

it('renders errors with their status, Sender or Receiver', async () => {
  expect(await handle(request('Fail'))).toMatchObject({
    status: 404,
    body: '<ErrorResponse xmlns="urn:test"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>Missing &lt;thing&gt;</Message></Error><RequestId>req-1</RequestId></ErrorResponse>',
  });
  expect((await handle(request('Broken'))).body).toContain('<Type>Receiver</Type><Code>ServiceFailure</Code>');
  expect(await handle(request('Needs'))).toMatchObject({
    status: 400,
    body: expect.stringContaining(
      "<Code>ValidationError</Code><Message>1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null</Message>",
    ),
  });
  expect(await handle(request('toString'))).toMatchObject({ status: 400, body: expect.stringContaining('<Code>InvalidAction</Code>') });
});
