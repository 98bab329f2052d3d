/**
 * Where the stack goes. LocalStack is the default (every endpoint at one URL, test credentials,
 * no account look-ups); `DEPLOY_TARGET=aws` uses the normal AWS credential chain and endpoints.
 */
import { localstack, region as defaultRegion } from '#spec';

export interface DeployTarget {
  kind: 'localstack' | 'aws';
  region: string;
  /** Endpoint for every AWS service; only for LocalStack (or any emulator speaking its API). */
  endpoint?: string;
}

/** Services the stack calls, by their provider endpoint keys. */
export const endpointServices = ['apigateway', 'logs', 'dynamodb', 'iam', 'lambda', 'sns', 'sqs', 'sts'] as const;

export function targetFromEnv(source: Record<string, string | undefined> = process.env): DeployTarget {
  const kind = (source.DEPLOY_TARGET ?? 'localstack').toLowerCase();
  const region = source.AWS_REGION ?? source.AWS_DEFAULT_REGION ?? defaultRegion;
  if (kind === 'aws') return { kind: 'aws', region };
  if (kind === 'localstack') return { kind: 'localstack', region, endpoint: source.LOCALSTACK_ENDPOINT ?? localstack.endpoint };
  throw new Error(`DEPLOY_TARGET must be "localstack" or "aws", got "${source.DEPLOY_TARGET}"`);
}
