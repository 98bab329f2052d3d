/**
 * The JSONPath subset the Chaos Toolkit documentation's tolerance examples use (chaoslib itself
 * uses the jsonpath2 package, which reads the whole of Goessner's syntax).
 */
type Segment = { kind: 'key'; name: string } | { kind: 'index'; index: number } | { kind: 'any' };

/**
 * An optional `$`, then `.name`, `name` (first), `['name']`, `[n]`, `[*]` and `.*`. Left out,
 * and refused with a message: recursive descent `..`, filters `[?(…)]`, slices, unions and
 * negative indexes.
 */
export function parseJsonPath(path: string): Segment[] {
  const segments: Segment[] = [];
  let rest = path.trim().replace(/^\$/, '');
  if (rest === '' && path.trim() === '') throw new Error('is empty');
  if (/^[A-Za-z_]/.test(rest)) rest = `.${rest}`;
  while (rest !== '') {
    const match = /^\.\*|^\.([A-Za-z_][\w-]*)|^\[\*\]|^\[(\d+)\]|^\['([^']*)'\]|^\["([^"]*)"\]/.exec(rest);
    if (!match) throw new Error(`JSONPath ${JSON.stringify(path)}: "${rest}" is not supported (only .name, ['name'], [n], [*] and .*)`);
    const [whole, dotted, index, single, double] = match;
    if (index !== undefined) segments.push({ kind: 'index', index: Number(index) });
    else if (dotted !== undefined || single !== undefined || double !== undefined) segments.push({ kind: 'key', name: dotted ?? single ?? double ?? '' });
    else segments.push({ kind: 'any' });
    rest = rest.slice(whole.length);
  }
  return segments;
}

export function jsonPathValues(value: unknown, path: string): unknown[] {
  let current: unknown[] = [value];
  for (const segment of parseJsonPath(path)) {
    current = current.flatMap((node): unknown[] => {
      if (typeof node !== 'object' || node === null) return [];
      if (segment.kind === 'any') return Object.values(node);
      if (segment.kind === 'index') return Array.isArray(node) && segment.index < node.length ? [node[segment.index]] : [];
      return !Array.isArray(node) && Object.hasOwn(node, segment.name) ? [(node as Record<string, unknown>)[segment.name]] : [];
    });
  }
  return current;
}
