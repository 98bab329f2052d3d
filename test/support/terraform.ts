import path from 'node:path';
import { Testing } from 'cdktf';
import type { ProductStack } from '../../infra/stack';
import { terraform as run } from '../../shared/terraform/terraform';
import { scaled } from './time-scale';

// Shared with `npm run bench` (its deploy section): one copy, in shared/terraform/terraform.ts.
export { terraformSkipReason } from '../../shared/terraform/terraform';

/** One terraform command in a synthesized stack folder (shared/terraform/terraform.ts), its timeout scaled (time-scale.ts). */
export const terraform = (dir: string, args: string[], timeoutMs = 240_000): Promise<string> => run(dir, args, scaled(timeoutMs));

/** Synthesizes the stack with its assets and returns the folder terraform runs in. */
export function synthToDir(stack: ProductStack): string {
  return path.join(Testing.fullSynth(stack), 'stacks', stack.node.id);
}
