/**
 * JSON request bodies, as the edge (the Chaos API, /_offline/*, the AWS APIs), the control
 * planes' JSON services and the dashboard read them. JSON.parse takes any depth, but what reads
 * the value after it (schema checks, deep equality, JSON.stringify, the emulators' validation)
 * recurses, so a body nested thousands of levels deep overflowed the stack there: a 500, or in
 * the DynamoDB emulator the end of the process. Such a body is refused here, with a 400 that says so.
 */
import { offline } from '#spec';

/** A body that is not JSON, or nests too deeply; the message names the problem. */
export class InvalidJson extends Error {}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPENERS = new Set([0x5b, 0x7b]); // [ {
const CLOSERS = new Set([0x5d, 0x7d]); // ] }

/** How deeply a text nests arrays and objects: one pass over it, skipping strings, so a deep text is measured without recursion. */
function depthOf(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === BACKSLASH) i += 1;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) inString = true;
    else if (OPENERS.has(code)) deepest = Math.max(deepest, (depth += 1));
    else if (CLOSERS.has(code)) depth -= 1;
  }
  return deepest;
}

/** Why a body is refused for its nesting, or undefined when it nests no deeper than offline.maxJsonDepth. */
export function nestingProblem(text: string): string | undefined {
  const depth = depthOf(text);
  return depth > offline.maxJsonDepth
    ? `JSON body nested ${depth} levels deep; at most ${offline.maxJsonDepth} levels of arrays and objects are accepted`
    : undefined;
}

/** The value of a JSON body; InvalidJson naming the problem when it is not JSON or nests too deeply. */
export function parseJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidJson(`Invalid JSON body: ${(error as Error).message}`);
  }
  const problem = nestingProblem(text);
  if (problem) throw new InvalidJson(problem);
  return value;
}
