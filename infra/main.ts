/**
 * The CDKTF app that `cdktf synth|diff|deploy|destroy` run (see cdktf.json). It bundles the
 * Lambdas first, so the stack always zips the current code, even on a fresh clone.
 */
import { App } from 'cdktf';
import { buildAll } from '../shared/build/lambda-bundles';
import { ProductStack } from './stack';
import { targetFromEnv } from './deploy-target';

async function main(): Promise<void> {
  const target = targetFromEnv();
  for (const { name, bytes } of await buildAll()) console.log(`bundled ${name} (${(bytes / 1024).toFixed(0)} KiB)`);
  const app = new App();
  new ProductStack(app, 'product-service', target);
  app.synth();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
