/** Resource paths: how they are named and nested, and how a stage matches a request's path to one. */
import { badRequest, conflict, type Resource, type RestApi } from './model';

export function checkPathPart(pathPart: string): string {
  if (!/^(\{[a-zA-Z0-9._-]+\+?\}|[a-zA-Z0-9._:-]+)$/.test(pathPart))
    throw badRequest(
      "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace.",
    );
  return pathPart;
}

export function checkSiblings(api: RestApi, parentId: string, pathPart: string): void {
  for (const sibling of api.resources.values())
    if (sibling.parentId === parentId && sibling.pathPart === pathPart)
      throw conflict(`Another resource with the same parent already has this name: ${pathPart}`);
}

/** The resource and its ancestors, the resource first. */
export function ancestry(api: RestApi, resource: Resource): Resource[] {
  const chain: Resource[] = [];
  for (let at: Resource | undefined = resource; at; at = at.parentId === undefined ? undefined : api.resources.get(at.parentId)) chain.push(at);
  return chain;
}

/** A resource's full path, from its ancestors' path parts (they may be renamed). */
export function pathOf(api: RestApi, resource: Resource): string {
  const parts = ancestry(api, resource)
    .reverse()
    .flatMap((at) => (at.pathPart === undefined ? [] : [at.pathPart]));
  return `/${parts.join('/')}`;
}

export const splitPath = (path: string) => path.split('/').filter((segment) => segment !== '');

/**
 * How a resource path matches a request path: its path parameters, and a rank per segment
 * (0 literal, 1 `{param}`, 2 `{greedy+}`) so the most specific resource wins.
 */
export function matchPath(pattern: string[], segments: string[]): { params: Record<string, string>; rank: number[] } | undefined {
  const params: Record<string, string> = {};
  const rank: number[] = [];
  for (const [i, part] of pattern.entries()) {
    const variable = /^\{(.+?)(\+?)\}$/.exec(part);
    if (variable?.[1] && variable[2] === '+') {
      // A greedy variable is the last part and takes one or more segments.
      if (i !== pattern.length - 1 || segments.length <= i) return undefined;
      params[variable[1]] = segments.slice(i).join('/');
      rank.push(2);
      return { params, rank };
    }
    const segment = segments[i];
    if (segment === undefined) return undefined;
    if (variable?.[1]) {
      params[variable[1]] = segment;
      rank.push(1);
    } else if (part === segment) rank.push(0);
    else return undefined;
  }
  return pattern.length === segments.length ? { params, rank } : undefined;
}

export function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? -1) - (b[i] ?? -1);
    if (difference !== 0) return difference;
  }
  return 0;
}
