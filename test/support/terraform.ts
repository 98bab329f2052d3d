import path from 'node:path';
import { Testing } from 'cdktf';
import type { ProductStack } from '../../infra/stack';
import { terraform as run } from '../../scripts/lib/terraform';
import { scaled } from './time-scale';

// Shared with `npm run bench` (its deploy section): one copy, in scripts/lib/terraform.ts.
export { terraformSkipReason } from '../../scripts/lib/terraform';

/** One terraform command in a synthesized stack folder (scripts/lib/terraform.ts), its timeout scaled (time-scale.ts). */
export const terraform = (dir: string, args: string[], timeoutMs = 240_000): Promise<string> => run(dir, args, scaled(timeoutMs));

/** Synthesizes the stack with its assets and returns the folder terraform runs in. */
export function synthToDir(stack: ProductStack): string {
  return path.join(Testing.fullSynth(stack), 'stacks', stack.node.id);
}
