// Builds the Lambda bundles and the offline runtime's worker harness once, before any suite
// synthesizes the stack that zips them or starts a runtime that runs them.
import { buildHarness } from '../../offline/runtime/harness';
import { buildAll } from '../../shared/build/lambda-bundles';

export default async function globalSetup(): Promise<void> {
  await Promise.all([buildAll(), buildHarness()]);
}
