/**
 * The shim in front of fauxqs's SNS (AWS query protocol, XML answers): what the Terraform AWS
 * provider needs from it that fauxqs does not do.
 */
import { randomUUID } from 'node:crypto';
import type { HttpAnswer } from '../../protocol/http-api';
import { bodyText, type EmulatorShim } from '../../protocol/emulator';

/**
 * The delivery-status sample rates the provider sets on every topic it creates (one
 * SetTopicAttributes each, value 0) whether or not the stack names them. fauxqs refuses them
 * (`InvalidParameter`), which fails the topic after minutes of retries. The runtime keeps no
 * delivery-status logs, so they are accepted and not stored; GetTopicAttributes then leaves them
 * out, which the provider reads as unset, and the plan shows no change (as against moto).
 */
const FEEDBACK_SAMPLE_RATES = new Set(['Application', 'Firehose', 'HTTP', 'Lambda', 'SQS'].map((protocol) => `${protocol}SuccessFeedbackSampleRate`));

/** The policy AWS gives a topic created without one (its owner may do everything with it). */
function defaultTopicPolicy(topicArn: string): string {
  const account = topicArn.split(':')[4] ?? '';
  return JSON.stringify({
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [
          'SNS:GetTopicAttributes',
          'SNS:SetTopicAttributes',
          'SNS:AddPermission',
          'SNS:RemovePermission',
          'SNS:DeleteTopic',
          'SNS:Subscribe',
          'SNS:ListSubscriptionsByTopic',
          'SNS:Publish',
        ],
        Resource: topicArn,
        Condition: { StringEquals: { 'AWS:SourceOwner': account } },
      },
    ],
  });
}

const escapeXml = (text: string) => text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c);

/**
 * GetTopicAttributes: fauxqs leaves `Policy` out of a topic created without one, and the provider
 * parses it as JSON whatever it is ("parsing policy: unexpected end of JSON input" fails the
 * topic). AWS gives every topic a default policy; so does this answer, when the topic has none.
 */
function withDefaultPolicy(answer: HttpAnswer, topicArn: string): HttpAnswer {
  const text = bodyText(answer);
  if (answer.statusCode !== 200 || text.includes('<key>Policy</key>') || !text.includes('</Attributes>')) return answer;
  const entry = `<entry><key>Policy</key><value>${escapeXml(defaultTopicPolicy(topicArn))}</value></entry>`;
  return { ...answer, headers: withoutLength(answer.headers), body: text.replace('</Attributes>', `${entry}</Attributes>`) };
}

/** The emulator's headers for a rewritten body (the edge sends it with its own length). */
const withoutLength = (headers: HttpAnswer['headers']) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-length'));

export const snsShim: EmulatorShim = async (call, body, forward) => {
  if (call.operation === 'GetTopicAttributes') return withDefaultPolicy(await forward(body), new URLSearchParams(body).get('TopicArn') ?? '');
  if (call.operation === 'SetTopicAttributes' && FEEDBACK_SAMPLE_RATES.has(new URLSearchParams(body).get('AttributeName') ?? '')) {
    // The topic must still exist: fauxqs answers NotFound for a missing one, so ask it with a known attribute.
    const params = new URLSearchParams(body);
    const probe = new URLSearchParams({ Action: 'GetTopicAttributes', Version: params.get('Version') ?? '2010-03-31', TopicArn: params.get('TopicArn') ?? '' });
    const topic = await forward(probe.toString(), 'GetTopicAttributes');
    if (topic.statusCode !== 200) return topic;
    return {
      statusCode: 200,
      headers: { 'Content-Type': 'text/xml' },
      body:
        '<SetTopicAttributesResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">' +
        `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></SetTopicAttributesResponse>`,
    };
  }
  return forward(body);
};
