/** What the tests of the runtime's AWS services share about SDK calls: refused calls, and clients signing as a role session. */
import type { Credentials } from '@aws-sdk/client-sts';
import { sdkConfig } from './clients';

/** What the SDK makes of a refused call: its error name, HTTP status and message. */
export async function refusal(call: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  const error = (await call.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as { name: string; message: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!error) throw new Error('the call succeeded');
  return { name: error.name, status: error.$metadata?.httpStatusCode, message: error.message };
}

/** A role session's credentials, as STS issues them. */
export interface SessionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

/** The credentials of an AssumeRole answer. */
export function sessionCredentials(credentials: Credentials | undefined): SessionCredentials {
  const { AccessKeyId, SecretAccessKey, SessionToken } = credentials ?? {};
  if (!AccessKeyId || !SecretAccessKey || !SessionToken) throw new Error('AssumeRole answered no credentials');
  return { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, sessionToken: SessionToken };
}

/** An SDK client's configuration for the target at `url`, signing with a role session's credentials. */
export const sessionConfig = (url: string, credentials: SessionCredentials) => ({ ...sdkConfig(url), credentials });
