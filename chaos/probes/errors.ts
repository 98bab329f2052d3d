/**
 * How a probe fails when it cannot take its reading (the target is unreachable, a resource is
 * missing, the state file is unreadable): exit 2 with one `Error:` line, as for a wrong command
 * line, never 1, which means "the check did not hold".
 */
import { UsageError } from '../../shared/cli/command';

/** A probe that could not run. A UsageError, so `main` reports it on one line and exits 2. */
export class ProbeError extends UsageError {
  override name = 'ProbeError';
}

const CONNECTION_CODES = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ETIMEDOUT|EPIPE|UND_ERR_\w+)$/;

/** The network error code behind a failed call (fetch's `cause`, the SDK's `code`), if it is one. */
export function connectionCode(error: unknown): string | undefined {
  const { code, cause } = (error ?? {}) as { code?: unknown; cause?: { code?: unknown; errors?: Array<{ code?: unknown }> } };
  const codes = [cause?.code, cause?.errors?.[0]?.code, code].filter((value): value is string => typeof value === 'string');
  return codes.find((value) => CONNECTION_CODES.test(value));
}

/** One sentence for a failed call: unreachable (with the code), or what the service answered. */
export function describeFailure(error: unknown, what: string, endpoint: string): string {
  const code = connectionCode(error);
  if (code) return `Could not reach ${what} at ${endpoint} (${code}). Is LocalStack or the offline runtime (npm start) running?`;
  const { name, message } = error instanceof Error ? error : new Error(String(error));
  return `${what} at ${endpoint} failed: ${name}: ${message.replace(/\s+/g, ' ').trim()}`;
}

/** A ProbeError for `error`, unless it is one already (or a wrong command line). */
export function probeError(error: unknown, what: string, endpoint: string): UsageError {
  return error instanceof UsageError ? error : new ProbeError(describeFailure(error, what, endpoint));
}
