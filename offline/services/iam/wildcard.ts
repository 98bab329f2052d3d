/**
 * IAM's wildcard match of an Action or Resource element: `*` matches any run of characters (none
 * too, `/` and `:` included), `?` exactly one, everything else itself.
 *
 * Greedy, going back only to the last `*` seen when the rest fails: a later star can absorb
 * whatever an earlier one would have, so earlier choices never need revisiting. At worst
 * O(pattern × text) steps, never the exponential backtracking of a regex built of `.*` (a
 * resource `arn:*********Z` froze the runtime for minutes). Not a glob library: minimatch and
 * picomatch read `/` as a path separator that `*` does not cross, which an ARN's `*` does.
 */
export function wildcardMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  // The last star seen, and the text position it currently absorbs up to.
  let star = -1;
  let absorbed = 0;
  while (t < text.length) {
    if (pattern[p] === '*') {
      star = p;
      absorbed = t;
      p += 1;
    } else if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p += 1;
      t += 1;
    } else if (star >= 0) {
      // The star takes one more character; the pattern after it starts again from there.
      absorbed += 1;
      t = absorbed;
      p = star + 1;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p += 1;
  return p === pattern.length;
}
