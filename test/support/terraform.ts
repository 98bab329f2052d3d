import path from 'node:path';
import { Testing } from 'cdktf';
import type { ProductStack } from '../../infra/stack';

// Shared with `npm run bench` (its deploy section): one copy, in scripts/lib/terraform.ts.
export { terraform, terraformSkipReason } from '../../scripts/lib/terraform';

/** Synthesizes the stack with its assets and returns the folder terraform runs in. */
export function synthToDir(stack: ProductStack): string {
  return path.join(Testing.fullSynth(stack), 'stacks', stack.node.id);
}
