/**
 * The shims in front of dynalite and fauxqs: the calls the Terraform AWS provider makes that the
 * emulators lack or answer in a shape it cannot use, answered in the service's own wire format.
 */
import type { HttpAnswer } from '../../offline/protocol/http-api';
import type { AwsCall } from '../../offline/protocol/aws-wire';
import { dynamodbShim } from '../../offline/services/shims/dynamodb';
import { bodyText, type Forward } from '../../offline/protocol/emulator';
import { snsShim } from '../../offline/services/shims/sns';

const topicArn = 'arn:aws:sns:us-east-1:000000000000:ProductEventsTopic';
const call = (service: string, operation: string, protocol: AwsCall['protocol']): AwsCall => ({ service, operation, region: 'us-east-1', protocol });

/** An emulator that answers each operation as given, and records what it was sent. */
function emulator(answers: Record<string, HttpAnswer>) {
  const sent: Array<{ operation: string | undefined; body: string }> = [];
  const forward: Forward = async (body, operation) => {
    const name = operation ?? new URLSearchParams(body).get('Action') ?? 'forwarded';
    sent.push({ operation, body });
    return answers[name] ?? { statusCode: 200, headers: {}, body: `<${name}Response/>` };
  };
  return { forward, sent };
}

const topicAttributes = (entries: string): HttpAnswer => ({
  statusCode: 200,
  headers: { 'content-type': 'text/xml', 'content-length': '999' },
  body: `<GetTopicAttributesResponse><GetTopicAttributesResult><Attributes>${entries}</Attributes></GetTopicAttributesResult></GetTopicAttributesResponse>`,
});
const notFound: HttpAnswer = { statusCode: 404, headers: {}, body: '<ErrorResponse><Error><Code>NotFound</Code></Error></ErrorResponse>' };

describe('SNS', () => {
  const setRate = new URLSearchParams({ Action: 'SetTopicAttributes', TopicArn: topicArn, AttributeName: 'SQSSuccessFeedbackSampleRate', AttributeValue: '0' });

  it('accepts the delivery-status sample rates the provider sets on every topic', async () => {
    const { forward, sent } = emulator({ GetTopicAttributes: topicAttributes('') });
    const answer = await snsShim(call('sns', 'SetTopicAttributes', 'query'), setRate.toString(), forward);
    expect(answer.statusCode).toBe(200);
    expect(bodyText(answer)).toMatch(/^<SetTopicAttributesResponse xmlns="http:\/\/sns.amazonaws.com\/doc\/2010-03-31\/">/);
    // Only the topic's existence was asked: the rate itself is not sent to fauxqs, which refuses it.
    expect(sent.map((request) => request.operation)).toEqual(['GetTopicAttributes']);
  });

  it('answers NotFound for the sample rate of a missing topic', async () => {
    const { forward } = emulator({ GetTopicAttributes: notFound });
    expect(await snsShim(call('sns', 'SetTopicAttributes', 'query'), setRate.toString(), forward)).toBe(notFound);
  });

  it('gives a topic without a policy the default policy AWS gives it', async () => {
    const { forward } = emulator({ GetTopicAttributes: topicAttributes(`<entry><key>TopicArn</key><value>${topicArn}</value></entry>`) });
    const answer = await snsShim(call('sns', 'GetTopicAttributes', 'query'), `Action=GetTopicAttributes&TopicArn=${encodeURIComponent(topicArn)}`, forward);
    expect(answer.headers).not.toHaveProperty('content-length');
    const policy = /<key>Policy<\/key><value>([^<]*)<\/value>/.exec(bodyText(answer))?.[1];
    expect(JSON.parse(policy!.replaceAll('&quot;', '"'))).toMatchObject({
      Statement: [{ Effect: 'Allow', Resource: topicArn, Condition: { StringEquals: { 'AWS:SourceOwner': '000000000000' } } }],
    });
  });

  it('leaves a policy that was set, every other call and every error as fauxqs answers them', async () => {
    const own = topicAttributes('<entry><key>Policy</key><value>{}</value></entry>');
    const { forward } = emulator({ GetTopicAttributes: own, Publish: notFound });
    expect(await snsShim(call('sns', 'GetTopicAttributes', 'query'), `Action=GetTopicAttributes&TopicArn=${topicArn}`, forward)).toBe(own);
    expect(await snsShim(call('sns', 'Publish', 'query'), 'Action=Publish', forward)).toBe(notFound);
    const displayName = new URLSearchParams({ Action: 'SetTopicAttributes', TopicArn: topicArn, AttributeName: 'DisplayName', AttributeValue: 'x' });
    const { forward: plain, sent } = emulator({});
    await snsShim(call('sns', 'SetTopicAttributes', 'query'), displayName.toString(), plain);
    expect(sent).toEqual([{ operation: undefined, body: displayName.toString() }]);
  });
});

describe('DynamoDB', () => {
  const json = (statusCode: number, body: unknown): HttpAnswer => ({ statusCode, headers: {}, body: JSON.stringify(body) });

  it('answers DescribeContinuousBackups for a table: point-in-time recovery off', async () => {
    const { forward, sent } = emulator({ DescribeTable: json(200, { Table: { TableName: 'Products' } }) });
    const answer = await dynamodbShim(call('dynamodb', 'DescribeContinuousBackups', 'json'), '{"TableName":"Products"}', forward);
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(bodyText(answer))).toEqual({
      ContinuousBackupsDescription: { ContinuousBackupsStatus: 'ENABLED', PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' } },
    });
    expect(sent).toEqual([{ operation: 'DescribeTable', body: '{"TableName":"Products"}' }]);
  });

  it('answers TableNotFoundException for a missing table, as AWS does for this call', async () => {
    const { forward } = emulator({ DescribeTable: json(400, { __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException' }) });
    const answer = await dynamodbShim(call('dynamodb', 'DescribeContinuousBackups', 'json'), '{"TableName":"Gone"}', forward);
    expect(answer.statusCode).toBe(400);
    expect(JSON.parse(bodyText(answer))).toEqual({ __type: 'com.amazonaws.dynamodb.v20120810#TableNotFoundException', message: 'Table not found: Gone' });
  });

  it('forwards every other call unchanged', async () => {
    const { forward, sent } = emulator({});
    await dynamodbShim(call('dynamodb', 'DescribeTimeToLive', 'json'), '{"TableName":"Products"}', forward);
    expect(sent).toEqual([{ operation: undefined, body: '{"TableName":"Products"}' }]);
  });
});
