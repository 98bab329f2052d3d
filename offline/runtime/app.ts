/**
 * The app deployed into the runtime at start (unless it starts empty), as the tutorial's init
 * hook has it: created through the control plane, as a deploy does.
 */
import { awsLimits, env, names, timing } from '#spec';
import { DIST_DIR } from '../../shared/paths';
import { provisionApp } from './provision';

/** The timings the runtime may scale, named as the functions' environment variables name them. */
const variables = {
  backoffBaseSeconds: env.backoffBaseSeconds,
  backoffCapSeconds: env.backoffCapSeconds,
  breakerCooldownMs: env.breakerCooldownMs,
  maxReceiveCount: env.maxReceiveCount,
};

export async function deployApp(
  endpoint: string,
  queue: { visibilityTimeoutSeconds: number; maxReceiveCount: number },
  /** The timings the caller scaled; the others are the stack's own. */
  scaledTimings: Partial<Record<keyof typeof variables, number>>,
  overrides: { product?: Record<string, string>; retry?: Record<string, string> },
): Promise<void> {
  if (timing.productTimeoutSeconds * 1000 >= awsLimits.apiGatewayIntegrationTimeoutMs) {
    // Then an invocation API Gateway gave up on could still store its write unseen.
    throw new Error(
      `${names.productFunction}'s timeout (${timing.productTimeoutSeconds} s) must be shorter than API Gateway's ${awsLimits.apiGatewayIntegrationTimeoutMs / 1000} s`,
    );
  }
  // Only the timings a caller scaled become variables: the defaults are the stack's own, so the
  // functions get exactly what a deploy gives them.
  const scaled = Object.fromEntries(
    Object.entries(variables).flatMap(([key, name]) => {
      const value = scaledTimings[key as keyof typeof variables];
      return value === undefined ? [] : [[name, String(value)]];
    }),
  );
  await provisionApp({
    endpoint,
    distDir: DIST_DIR,
    visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
    maxReceiveCount: queue.maxReceiveCount,
    environment: { product: { ...scaled, ...overrides.product }, retry: { ...scaled, ...overrides.retry } },
  });
}
