/**
 * SNS's step in front of fauxqs: while a fault fails SQS's SendMessage (the topic's delivery to
 * the queue), a publish is accepted, as SNS accepts it, and its delivery is held back and retried
 * (held-deliveries.ts) instead of being lost with the fault.
 */
import { randomUUID } from 'node:crypto';
import type { Chaos } from '../../chaos/chaos';
import { errorCode } from '../../protocol/aws-wire';
import type { LogLevel } from '../../protocol/contracts';
import type { EmulatorStep, ForwardRequest } from '../../protocol/emulator';
import type { HttpAnswer } from '../../protocol/http-api';
import { HeldDeliveries } from './held-deliveries';

export interface PublishHoldOptions {
  chaos: Pick<Chaos, 'faultFor'>;
  /** Sends a held publish to fauxqs. */
  forward: (request: ForwardRequest, body: string) => Promise<HttpAnswer>;
  log: (line: string, level?: LogLevel) => void;
}

/** The held deliveries, and the step that holds a publish back while its delivery is faulted. */
export function publishHold({ chaos, forward, log }: PublishHoldOptions): { held: HeldDeliveries; step: EmulatorStep } {
  const faulted = (region: string) => chaos.faultFor({ service: 'sqs', region, operation: 'SendMessage' }) !== undefined;
  const held = new HeldDeliveries({
    faulted,
    release: async (request, body) => {
      const answer = await forward(request, body);
      return answer.statusCode < 400 ? undefined : `${answer.statusCode} (${errorCode(answer)})`;
    },
    log,
  });
  const step: EmulatorStep = (emulatorCall, next) => {
    const { call, request, body } = emulatorCall;
    if (call.service !== 'sns' || call.operation !== 'Publish' || !faulted(call.region)) return next();
    // The topic accepts the message, but its delivery to the queue is faulted: hold it back and retry.
    held.hold(request, body, call.region);
    emulatorCall.log(`AWS sns.Publish => 200 (delivery to SQS held back by a fault; ${held.pending} pending)`);
    return Promise.resolve(publishAccepted());
  };
  return { held, step };
}

function publishAccepted(): HttpAnswer {
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'text/xml' },
    body:
      '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>' +
      `<MessageId>${randomUUID()}</MessageId></PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
  };
}
