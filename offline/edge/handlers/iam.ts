/**
 * IAM enforcement, as LocalStack's ENFORCE_IAM: a call signed with a role session's key that its
 * role's policies do not allow is refused as AWS refuses it (the service's AccessDenied, with
 * IAM's message) and never reaches the service. It comes before the Chaos API's faults, so only a
 * call IAM lets through can meet a fault, as on AWS, where authorization happens at the front
 * door, before the service does anything. LocalStack does not document the order of its IAM
 * enforcement and Chaos API (both are request handlers of its Pro image). The user's keys (any key
 * STS did not issue) are not restricted.
 */
import { accessDenied } from '../../protocol/aws-wire';
import type { Authorizer } from '../../protocol/contracts';
import type { HttpAnswer } from '../../protocol/http-api';
import type { CallContext, Handler } from '../chain';

export const iam =
  (authorizer: Authorizer | undefined): Handler<CallContext, HttpAnswer> =>
  async (context, next) => {
    const { principal } = context;
    // What IAM evaluates is built only for a role session's call.
    const denial = principal.kind === 'role' && authorizer?.authorize(principal, context.authorized());
    if (!denial) return next();
    const fault = accessDenied(context.call.service);
    context.logRefusal(`${fault.statusCode} (${fault.code}): AccessDenied for role ${principal.roleName}, ${denial.summary}`);
    return context.refuse(fault, denial.message);
  };
