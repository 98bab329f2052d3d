/**
 * The contract of the thin shims in front of the emulators the runtime proxies (dynalite for
 * DynamoDB, fauxqs for SNS and SQS): where an emulator lacks a call the Terraform AWS provider
 * makes, or answers it in a shape the provider cannot use, its shim answers (or rewrites) that
 * call in the service's own wire format; every other call goes to the emulator unchanged.
 */
import type { HttpAnswer } from '../apigateway/serve';
import type { AwsCall } from '../../protocol/aws-wire';

/** Sends a body to the emulator; `operation` replaces the call's (its X-Amz-Target or Action) for a look-up of the shim's own. */
export type Forward = (body: string, operation?: string) => Promise<HttpAnswer>;

/** One service's shim: answers the call itself, or through `forward`, possibly more than once. */
export type EmulatorShim = (call: AwsCall, body: string, forward: Forward) => Promise<HttpAnswer>;

export const bodyText = (answer: HttpAnswer): string => (typeof answer.body === 'string' ? answer.body : answer.body.toString('utf8'));
