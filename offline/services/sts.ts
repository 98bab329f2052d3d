/**
 * STS: who a caller is, and role sessions. The runtime gives each function its role's credentials
 * through assumeRole, as Lambda does, and maps an access key back to its principal with
 * principalOf, so IAM is enforced for exactly the keys STS issued. Trust policies are not
 * evaluated: any caller may assume any existing role.
 */
import { randomBytes } from 'node:crypto';
import type { PrincipalSource } from '../protocol/contracts';
import type { IamService } from './iam/iam';
import { optional, queryErrorResponse, queryHandler, queryOperation, required } from '../protocol/query';
import { AwsError, type AwsRequest, type AwsResponse, type AwsService, type Principal } from '../protocol/service';

const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export interface Credentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  /** ISO-8601. */
  Expiration: string;
}

interface Session {
  roleArn: string;
  roleName: string;
  /** `<RoleId>:<session name>`, the caller's UserId. */
  assumedRoleId: string;
  /** arn:aws:sts::<account>:assumed-role/<role>/<session> */
  arn: string;
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const accessKeyId = () => `ASIA${[...randomBytes(16)].map((byte) => KEY_ALPHABET[byte % KEY_ALPHABET.length]).join('')}`;

export class StsService implements AwsService, PrincipalSource {
  readonly names = ['sts'] as const;
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly iam: IamService) {}

  readonly operationOf = queryOperation;
  readonly errorResponse = (error: AwsError, requestId: string) => queryErrorResponse(XMLNS, error, requestId);

  readonly handle: (request: AwsRequest) => Promise<AwsResponse> = queryHandler(XMLNS, {
    GetCallerIdentity: (_params, request) => {
      const { principal, accountId } = request;
      const session = principal.kind === 'role' ? this.sessions.get(principal.accessKeyId) : undefined;
      if (session) return { UserId: session.assumedRoleId, Account: accountId, Arn: session.arn };
      return { UserId: accountId, Account: accountId, Arn: `arn:aws:iam::${accountId}:root` };
    },
    AssumeRole: (params) => {
      const duration = Number(optional(params, 'DurationSeconds') ?? 3600);
      if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
        throw new AwsError(
          'ValidationError',
          `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200`,
        );
      }
      const { credentials, session } = this.open(required(params, 'RoleArn'), required(params, 'RoleSessionName'), duration);
      return { Credentials: { ...credentials }, AssumedRoleUser: { AssumedRoleId: session.assumedRoleId, Arn: session.arn } };
    },
  });

  /** Credentials of a new session of the role, as Lambda gets them for a function. */
  assumeRole(roleArn: string, sessionName: string, durationSeconds = 3600): Credentials {
    return this.open(roleArn, sessionName, durationSeconds).credentials;
  }

  /** Who signs with this access key: a role session STS issued, else the user. */
  principalOf(accessKeyId: string): Principal {
    const session = this.sessions.get(accessKeyId);
    return session ? { kind: 'role', accessKeyId, roleArn: session.roleArn, roleName: session.roleName, arn: session.arn } : { kind: 'user', accessKeyId };
  }

  private open(roleArn: string, sessionName: string, durationSeconds: number): { credentials: Credentials; session: Session } {
    const role = this.iam.identityOf(roleArn);
    if (!role) throw new AwsError('AccessDenied', `User is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, 403);
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName))
      throw new AwsError('ValidationError', `Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint`);
    const account = roleArn.split(':')[4];
    const session: Session = {
      roleArn,
      roleName: role.name,
      assumedRoleId: `${role.id}:${sessionName}`,
      arn: `arn:aws:sts::${account}:assumed-role/${role.name}/${sessionName}`,
    };
    const credentials: Credentials = {
      AccessKeyId: accessKeyId(),
      SecretAccessKey: randomBytes(30).toString('base64'),
      SessionToken: randomBytes(64).toString('base64'),
      Expiration: new Date(Date.now() + durationSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    this.sessions.set(credentials.AccessKeyId, session);
    return { credentials, session };
  }
}
