// Builds the Lambda bundles once, before any suite synthesizes the stack that zips them.
import { buildAll } from '../../scripts/build';

export default async function globalSetup(): Promise<void> {
  await buildAll();
}
