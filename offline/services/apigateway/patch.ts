/** The Update* operations' JSON-Patch operations, as API Gateway reads and applies them. */
import type { JsonInput } from '../../protocol/json';
import { badRequest, optionalMembers } from './model';

export interface PatchOperation {
  op: string;
  path: string;
  value?: string;
}

export function patchOperations(body: JsonInput): PatchOperation[] {
  return (body.optionalStructures('patchOperations') ?? []).map((operation) => {
    const op = operation.string('op');
    if (!['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(op)) throw badRequest(`Invalid patch operation specified: ${op}`);
    return { op, path: operation.string('path'), ...optionalMembers({ value: operation.optionalString('value') }) };
  });
}

type FieldKind = 'string' | 'boolean' | 'integer' | 'stringMap' | 'booleanMap' | 'set';

export const invalidPatch = (operation: PatchOperation, paths: string[]) =>
  badRequest(`Invalid patch path '${operation.path}' specified for op '${operation.op}'. Must be one of: [${paths.join(', ')}]`);

/**
 * One JSON-Patch operation on an entity, as API Gateway applies them: `/field` sets or removes a
 * scalar (values travel as strings), `/field/key` a map entry or a set member, with `/` in a key
 * escaped as `~1`.
 */
export function applyPatch(target: object, operation: PatchOperation, fields: Record<string, FieldKind>): void {
  const members = target as Record<string, unknown>;
  const match = /^\/([^/]+)(?:\/(.+))?$/.exec(operation.path);
  const field = match?.[1];
  const kind = field === undefined ? undefined : fields[field];
  const paths = Object.entries(fields).map(([name, type]) => (type === 'string' || type === 'boolean' || type === 'integer' ? `/${name}` : `/${name}/*`));
  if (!field || !kind || (operation.op !== 'add' && operation.op !== 'replace' && operation.op !== 'remove')) throw invalidPatch(operation, paths);
  const key = match[2]?.replaceAll('~1', '/').replaceAll('~0', '~');
  const { value } = operation;
  if (kind === 'string' || kind === 'boolean' || kind === 'integer') {
    if (key !== undefined) throw invalidPatch(operation, paths);
    if (operation.op === 'remove' || value === undefined || (kind === 'integer' && value === '')) {
      Reflect.deleteProperty(members, field);
      return;
    }
    if (kind === 'integer' && !/^-?\d+$/.test(value)) throw badRequest(`Invalid value for ${field}: ${value}`);
    members[field] = kind === 'string' ? value : kind === 'boolean' ? value === 'true' : Number(value);
    return;
  }
  if (key === undefined) throw invalidPatch(operation, paths);
  if (kind === 'set') {
    const items = (members[field] as string[] | undefined) ?? [];
    members[field] = operation.op === 'remove' ? items.filter((item) => item !== key) : items.includes(key) ? items : [...items, key];
    return;
  }
  const entries = Object.entries((members[field] as Record<string, unknown> | undefined) ?? {}).filter(([name]) => name !== key);
  if (operation.op !== 'remove') entries.push([key, kind === 'booleanMap' ? value === 'true' : (value ?? '')]);
  members[field] = Object.fromEntries(entries);
}
