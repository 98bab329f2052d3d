/** What kind of target an endpoint is: the offline runtime says so in its health check. */
import { OFFLINE_EDITION, type TargetKind } from '../contracts/offline-api';

/** GET /_localstack/health: `"edition": "offline"` is the offline runtime, anything else LocalStack. Throws when it cannot be reached. */
export async function targetKind(endpoint: string, timeoutMs = 10_000): Promise<TargetKind> {
  const url = `${endpoint.replace(/\/$/, '')}/_localstack/health`;
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    throw new Error(`the target at ${endpoint} cannot be reached (${cause?.code ?? (error as Error).message}): start it (npm start) or pass --endpoint`);
  }
  if (!response.ok) throw new Error(`the target at ${endpoint} answered its health check ${url} with ${response.status}`);
  const health = (await response.json().catch(() => ({}))) as { edition?: unknown };
  return health.edition === OFFLINE_EDITION ? 'offline' : 'localstack';
}
