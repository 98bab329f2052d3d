/**
 * IAM's evaluation of identity policies, as the runtime enforces them for calls signed with a
 * function's role: an explicit Deny wins, else an Allow grants, else the call is implicitly
 * denied. Action/NotAction and Resource/NotResource match with `*` and `?` wildcards, actions
 * case-insensitively (`DynamoDB:putitem`), resources case-sensitively, as AWS matches them.
 *
 * Not evaluated: Condition blocks (a statement with one is read conservatively: its Allow never
 * grants, its Deny always applies), policy variables (`${aws:username}` is matched literally),
 * permissions boundaries, SCPs, session policies and resource-based policies.
 */
import type { Authorization } from './actions';
import { wildcardMatch } from './wildcard';

export interface Statement {
  Sid?: string;
  Effect?: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: unknown;
}

export interface PolicyDocument {
  Version?: string;
  Statement?: Statement | Statement[];
}

export type Decision = { result: 'allowed'; statement: Statement } | { result: 'explicitly-denied'; statement: Statement } | { result: 'implicitly-denied' };

/** The decision for `action` (e.g. `dynamodb:PutItem`) on the resource ARN under these policies. */
export function evaluate(policies: readonly (string | PolicyDocument)[], action: string, resource: string): Decision {
  const statements = policies.flatMap((policy) => statementsOf(typeof policy === 'string' ? (JSON.parse(policy) as PolicyDocument) : policy));
  const applies = (statement: Statement) => matches(statement, action, resource);
  const deny = statements.find((statement) => statement.Effect === 'Deny' && applies(statement));
  if (deny) return { result: 'explicitly-denied', statement: deny };
  const allow = statements.find((statement) => statement.Effect === 'Allow' && statement.Condition === undefined && applies(statement));
  if (allow) return { result: 'allowed', statement: allow };
  return { result: 'implicitly-denied' };
}

/** What IAM says when it refuses a call, for the service's AccessDenied error. */
export function deniedMessage(principalArn: string, action: string, resource: string, decision: Decision): string {
  const why =
    decision.result === 'explicitly-denied'
      ? 'with an explicit deny in an identity-based policy'
      : `because no identity-based policy allows the ${action} action`;
  return `User: ${principalArn} is not authorized to perform: ${action} on resource: ${resource} ${why}`;
}

/** A call IAM refuses: what the service answers, and what the edge logs. */
export interface Denial {
  /** The service's AccessDenied message, as deniedMessage words it. */
  message: string;
  /** The action and resource refused and why, e.g. `sqs:SendMessage on arn:... (no identity-based policy allows it)`. */
  summary: string;
}

/**
 * The first of a call's authorizations (actions.ts) these policies refuse, or undefined when
 * they allow them all. No policies (a role deleted, or given none) refuse everything. An action
 * without a name (`lambda:`: the service's router did not know the call) is refused whatever the
 * policies say: a wildcard grant must not let a role make a call nobody can tell it was granted.
 */
export function firstDenial(
  policies: readonly (string | PolicyDocument)[],
  principalArn: string,
  authorizations: readonly Authorization[],
  call: string,
): Denial | undefined {
  for (const { action, resource } of authorizations) {
    if (action.endsWith(':')) {
      return {
        message: `User: ${principalArn} is not authorized to perform: ${call}: the offline runtime cannot name the IAM action it needs, so a role session may not make it`,
        summary: `${call} (no IAM action names it)`,
      };
    }
    const decision = evaluate(policies, action, resource);
    if (decision.result !== 'allowed') {
      const why = decision.result === 'explicitly-denied' ? 'an identity-based policy denies it' : 'no identity-based policy allows it';
      return { message: deniedMessage(principalArn, action, resource, decision), summary: `${action} on ${resource} (${why})` };
    }
  }
  return undefined;
}

/**
 * Why IAM would refuse the document (MalformedPolicyDocument), or undefined when it is well formed.
 * A trust policy names principals, not resources.
 */
export function policyProblem(document: string, kind: 'identity' | 'trust'): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    return 'Syntax errors in policy.';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'Syntax errors in policy.';
  const statements = statementsOf(parsed as PolicyDocument);
  if (statements.length === 0) return 'Policy document must contain at least one statement.';
  for (const statement of statements) {
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') return 'Invalid effect: the effect must be Allow or Deny.';
    if (statement.Action === undefined && statement.NotAction === undefined) return 'Policy statement must contain actions.';
    if (kind === 'identity' && statement.Resource === undefined && statement.NotResource === undefined) return 'Policy statement must contain resources.';
  }
  return undefined;
}

function statementsOf(document: PolicyDocument): Statement[] {
  const { Statement: statement } = document;
  if (statement === undefined) return [];
  return Array.isArray(statement) ? statement : [statement];
}

// A statement with a Condition matches, so that its Deny applies; evaluate() keeps its Allow from granting.
function matches(statement: Statement, action: string, resource: string): boolean {
  return (
    element(statement.Action, statement.NotAction, (pattern) => wildcardMatch(pattern.toLowerCase(), action.toLowerCase())) &&
    element(statement.Resource, statement.NotResource, (pattern) => wildcardMatch(pattern, resource))
  );
}

// Action or NotAction (Resource or NotResource): a statement with neither is malformed and matches nothing.
function element(positive: string | string[] | undefined, negative: string | string[] | undefined, test: (pattern: string) => boolean): boolean {
  if (positive !== undefined) return [positive].flat().some(test);
  if (negative !== undefined) return ![negative].flat().some(test);
  return false;
}
