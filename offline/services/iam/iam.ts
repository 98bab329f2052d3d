/**
 * IAM roles and their inline policies, the calls the Terraform AWS provider makes for
 * aws_iam_role and aws_iam_role_policy, answered as IAM answers them (query protocol, NoSuchEntity
 * 404, EntityAlreadyExists and DeleteConflict 409, documents URL-encoded). State is in memory.
 * The edge asks it whether a role session may make a call (authorize): the role's inline policies
 * decide (policy.ts).
 */
import { randomInt } from 'node:crypto';
import type { Authorizer } from '../../protocol/contracts';
import { authorizationOf, type AuthorizedCall } from './actions';
import { type Denial, firstDenial, policyProblem } from './policy';
import {
  list,
  optional,
  queryErrorResponse,
  queryHandler,
  queryOperation,
  required,
  type QueryParams,
  type QueryValue,
  type XmlValue,
} from '../../protocol/query';
import { AwsError, type AwsRequest, type AwsResponse, type AwsService, type RolePrincipal } from '../../protocol/service';

const XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';

interface Role {
  name: string;
  id: string;
  arn: string;
  path: string;
  created: string;
  assumeRolePolicy: string;
  description: string | undefined;
  maxSessionDuration: number;
  tags: Map<string, string>;
  /** Inline policies by name, documents as they were put. */
  policies: Map<string, string>;
}

/** What other services may know of a role (STS names its sessions with it). */
export interface RoleIdentity {
  name: string;
  id: string;
  arn: string;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const randomId = (prefix: string, length: number) => prefix + Array.from({ length }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join('');

// IAM's timestamps have no milliseconds.
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export class IamService implements AwsService, Authorizer {
  readonly names = ['iam'] as const;
  // Keyed by lower-cased name: IAM names are unique regardless of case.
  private readonly roles = new Map<string, Role>();
  private readonly started = now();

  readonly operationOf = queryOperation;
  readonly errorResponse = (error: AwsError, requestId: string) => queryErrorResponse(XMLNS, error, requestId);

  readonly handle: (request: AwsRequest) => Promise<AwsResponse> = queryHandler(XMLNS, {
    // The provider's account id look-up: the caller, who is the account's root user (users are not emulated).
    GetUser: (params, { principal, accountId }) => {
      const name = optional(params, 'UserName');
      if (name !== undefined) throw new AwsError('NoSuchEntity', `The user with name ${name} cannot be found.`, 404);
      if (principal.kind === 'role') throw validation('Must specify userName when calling with non-User credentials');
      return { User: { UserId: accountId, Arn: `arn:aws:iam::${accountId}:root`, CreateDate: this.started } };
    },
    CreateRole: (params, request) => ({ Role: render(this.create(params, request.accountId)) }),
    GetRole: (params) => ({ Role: render(this.role(params)) }),
    UpdateRole: (params) => {
      const role = this.role(params);
      role.description = optional(params, 'Description') ?? role.description;
      role.maxSessionDuration = sessionDuration(params) ?? role.maxSessionDuration;
      return {};
    },
    UpdateRoleDescription: (params) => {
      const role = this.role(params);
      role.description = required(params, 'Description');
      return { Role: render(role) };
    },
    UpdateAssumeRolePolicy: (params) => {
      this.role(params).assumeRolePolicy = document(params, 'PolicyDocument', 'trust');
    },
    DeleteRole: (params) => {
      const role = this.role(params);
      if (role.policies.size > 0) throw new AwsError('DeleteConflict', 'Cannot delete entity, must delete policies first.', 409);
      this.roles.delete(role.name.toLowerCase());
    },
    ListRoles: (params) => {
      const prefix = optional(params, 'PathPrefix') ?? '/';
      const roles = [...this.roles.values()].filter((role) => role.path.startsWith(prefix)).sort((a, b) => a.name.localeCompare(b.name));
      // ListRoles leaves out each role's tags, as IAM does.
      return { Roles: roles.map((role) => ({ ...render(role), Tags: undefined })), IsTruncated: false };
    },
    TagRole: (params) => {
      const role = this.role(params);
      for (const [key, value] of tags(params)) role.tags.set(key, value);
    },
    UntagRole: (params) => {
      const role = this.role(params);
      for (const key of list(params, 'TagKeys')) if (typeof key === 'string') role.tags.delete(key);
    },
    ListRoleTags: (params) => ({ Tags: tagList(this.role(params)), IsTruncated: false }),
    PutRolePolicy: (params) => {
      this.role(params).policies.set(required(params, 'PolicyName'), document(params, 'PolicyDocument', 'identity'));
    },
    GetRolePolicy: (params) => {
      const role = this.role(params);
      const name = required(params, 'PolicyName');
      return { RoleName: role.name, PolicyName: name, PolicyDocument: encodeURIComponent(this.policy(role, name)) };
    },
    DeleteRolePolicy: (params) => {
      const role = this.role(params);
      const name = required(params, 'PolicyName');
      this.policy(role, name);
      role.policies.delete(name);
    },
    ListRolePolicies: (params) => ({ PolicyNames: [...this.role(params).policies.keys()].sort(), IsTruncated: false }),
    // Managed policies and instance profiles are not emulated: a role has none.
    ListAttachedRolePolicies: (params) => {
      this.role(params);
      return { AttachedPolicies: [], IsTruncated: false };
    },
    ListInstanceProfilesForRole: (params) => {
      this.role(params);
      return { InstanceProfiles: [], IsTruncated: false };
    },
  });

  /** The inline policy documents of the role with this ARN; none for a role that does not exist. */
  policiesOf(roleArn: string): string[] {
    const role = this.byArn(roleArn);
    return role ? [...role.policies.values()] : [];
  }

  /**
   * Whether a role session may make the call: its role's inline policies as they are now (so a
   * put-role-policy applies to the next call) decide each action and resource the call needs.
   */
  authorize(principal: RolePrincipal, call: AuthorizedCall): Denial | undefined {
    return firstDenial(this.policiesOf(principal.roleArn), principal.arn, authorizationOf(call), `${call.service} ${call.method ?? 'POST'} ${call.path}`);
  }

  /** The role with this ARN, if it exists. */
  identityOf(roleArn: string): RoleIdentity | undefined {
    const role = this.byArn(roleArn);
    return role && { name: role.name, id: role.id, arn: role.arn };
  }

  private byArn(roleArn: string): Role | undefined {
    return [...this.roles.values()].find((role) => role.arn === roleArn);
  }

  private create(params: QueryParams, accountId: string): Role {
    const name = required(params, 'RoleName');
    if (!/^[\w+=,.@-]{1,64}$/.test(name))
      throw validation(`The specified value for roleName is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-`);
    if (this.roles.has(name.toLowerCase())) throw new AwsError('EntityAlreadyExists', `Role with name ${name} already exists.`, 409);
    const path = optional(params, 'Path') ?? '/';
    if (!/^\/([\x21-\x7e]*\/)?$/.test(path))
      throw validation('The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.');
    const role: Role = {
      name,
      id: randomId('AROA', 17),
      arn: `arn:aws:iam::${accountId}:role${path}${name}`,
      path,
      created: now(),
      assumeRolePolicy: document(params, 'AssumeRolePolicyDocument', 'trust'),
      description: optional(params, 'Description'),
      maxSessionDuration: sessionDuration(params) ?? 3600,
      tags: tags(params),
      policies: new Map(),
    };
    this.roles.set(name.toLowerCase(), role);
    return role;
  }

  private role(params: QueryParams): Role {
    const name = required(params, 'RoleName');
    const role = this.roles.get(name.toLowerCase());
    if (!role) throw new AwsError('NoSuchEntity', `The role with name ${name} cannot be found.`, 404);
    return role;
  }

  private policy(role: Role, name: string): string {
    const document = role.policies.get(name);
    if (document === undefined) throw new AwsError('NoSuchEntity', `The role policy with name ${name} cannot be found.`, 404);
    return document;
  }
}

const validation = (message: string) => new AwsError('ValidationError', message);

function document(params: QueryParams, name: string, kind: 'identity' | 'trust'): string {
  const text = required(params, name);
  const problem = policyProblem(text, kind);
  if (problem) throw new AwsError('MalformedPolicyDocument', problem);
  return text;
}

function sessionDuration(params: QueryParams): number | undefined {
  const text = optional(params, 'MaxSessionDuration');
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 3600 || seconds > 43200) {
    throw validation(
      `1 validation error detected: Value '${text}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and 43200`,
    );
  }
  return seconds;
}

function tags(params: QueryParams): Map<string, string> {
  const field = (tag: QueryValue, key: string) => (typeof tag === 'object' && !Array.isArray(tag) && typeof tag[key] === 'string' ? tag[key] : undefined);
  return new Map(list(params, 'Tags').map((tag) => [field(tag, 'Key') ?? '', field(tag, 'Value') ?? '']));
}

const tagList = (role: Role) => [...role.tags].map(([Key, Value]) => ({ Key, Value }));

function render(role: Role): Record<string, XmlValue> {
  return {
    Path: role.path,
    RoleName: role.name,
    RoleId: role.id,
    Arn: role.arn,
    CreateDate: role.created,
    AssumeRolePolicyDocument: encodeURIComponent(role.assumeRolePolicy),
    Description: role.description,
    MaxSessionDuration: role.maxSessionDuration,
    Tags: role.tags.size > 0 ? tagList(role) : undefined,
    RoleLastUsed: {},
  };
}
