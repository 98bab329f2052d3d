/** Which events a read returns: FilterLogEvents' filter pattern, and the reads' time window. */
import type { JsonInput } from '../../protocol/json';
import { AwsError } from '../../protocol/service';
import { INVALID_PARAMETER } from './model';

/**
 * FilterLogEvents' filterPattern, in the subset of AWS's term syntax the runtime supports: terms
 * separated by spaces must all occur in the message; a term in double quotes may hold spaces
 * and punctuation ("Task failed"); `?term`s match when any of them occurs; `-term` excludes.
 * Matching is case-sensitive, as on AWS. JSON (`{ $.level = ... }`), space-delimited
 * (`[ip, user, ...]`) and regular-expression (`%...%`) patterns are refused.
 */
export function filterPatternMatcher(pattern: string | undefined): (message: string) => boolean {
  if (pattern === undefined || pattern.trim() === '') return () => true;
  if (/^\s*[{[%]/.test(pattern))
    throw new AwsError(INVALID_PARAMETER, 'Invalid filter pattern: the offline runtime supports term patterns only (terms, "quoted terms", ?any, -excluded).');
  const all: string[] = [];
  const any: string[] = [];
  const none: string[] = [];
  for (const [, sign, quoted, bare] of pattern.matchAll(/([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g)) {
    const term = quoted === undefined ? (bare ?? '') : quoted.replace(/\\(.)/g, '$1');
    (sign === '?' ? any : sign === '-' ? none : all).push(term);
  }
  return (message) =>
    all.every((term) => message.includes(term)) &&
    (any.length === 0 || any.some((term) => message.includes(term))) &&
    !none.some((term) => message.includes(term));
}

/** startTime is inclusive; endTime is exclusive for GetLogEvents and inclusive for FilterLogEvents, as AWS documents them. */
export function timeWindow(input: JsonInput, endInclusive: boolean): (timestamp: number) => boolean {
  const start = input.optionalNumber('startTime');
  const end = input.optionalNumber('endTime');
  return (timestamp) => (start === undefined || timestamp >= start) && (end === undefined || timestamp < end || (endInclusive && timestamp === end));
}
