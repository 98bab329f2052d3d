/** The log groups: create, describe and delete, their retention and their tags. */
import type { JsonInput } from '../../protocol/json';
import { AwsError, type Scope } from '../../protocol/service';
import { INVALID_PARAMETER, limitOf, type LogGroup, logGroupArn, type LogsStore, pageByToken } from './model';

/** The values PutRetentionPolicy accepts. */
const RETENTION_DAYS: readonly number[] = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const LOG_GROUP_CLASSES = ['STANDARD', 'INFREQUENT_ACCESS', 'DELIVERY'];

const bytes = (group: LogGroup) =>
  [...group.streams.values()].reduce((sum, stream) => sum + stream.events.reduce((n, event) => n + Buffer.byteLength(event.message), 0), 0);

export function createLogGroup(store: LogsStore, input: JsonInput, scope: Scope): void {
  const name = input.string('logGroupName');
  if (!/^[.\-_/#A-Za-z0-9]{1,512}$/.test(name))
    throw input.invalid('logGroupName', name, 'Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+');
  const logGroupClass = input.optionalString('logGroupClass') ?? 'STANDARD';
  if (!LOG_GROUP_CLASSES.includes(logGroupClass))
    throw input.invalid('logGroupClass', logGroupClass, `Member must satisfy enum value set: [${LOG_GROUP_CLASSES.join(', ')}]`);
  const groups = store.groups(scope);
  if (groups.has(name)) throw new AwsError('ResourceAlreadyExistsException', 'The specified log group already exists');
  const kmsKeyId = input.optionalString('kmsKeyId');
  store.addGroup(groups, name, {
    logGroupClass,
    tags: new Map(Object.entries(input.optionalStringMap('tags') ?? {})),
    ...(kmsKeyId === undefined ? {} : { kmsKeyId }),
  });
}

export const deleteLogGroup = (store: LogsStore, input: JsonInput, scope: Scope): void => void store.groups(scope).delete(store.groupNamed(input, scope).name);

export function describeLogGroups(store: LogsStore, input: JsonInput, scope: Scope) {
  const prefix = input.optionalString('logGroupNamePrefix');
  const pattern = input.optionalString('logGroupNamePattern')?.toLowerCase();
  if (prefix !== undefined && pattern !== undefined)
    throw new AwsError(INVALID_PARAMETER, 'LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.');
  const identifiers = input
    .optionalStrings('logGroupIdentifiers')
    ?.map((id) => (id.startsWith('arn:') ? id.replace(/^.*:log-group:([^:]+)(:\*)?$/, '$1') : id));
  const logGroupClass = input.optionalString('logGroupClass');
  const groups = [...store.groups(scope).values()]
    .filter(
      (group) =>
        (prefix === undefined || group.name.startsWith(prefix)) &&
        (pattern === undefined || group.name.toLowerCase().includes(pattern)) &&
        (identifiers === undefined || identifiers.includes(group.name)) &&
        (logGroupClass === undefined || group.logGroupClass === logGroupClass),
    )
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const { page, nextToken } = pageByToken(groups, limitOf(input, 50), input.optionalString('nextToken'));
  return {
    logGroups: page.map((group) => ({
      logGroupName: group.name,
      creationTime: group.creationTime,
      ...(group.retentionInDays === undefined ? {} : { retentionInDays: group.retentionInDays }),
      metricFilterCount: 0,
      arn: `${logGroupArn(scope, group.name)}:*`,
      storedBytes: bytes(group),
      ...(group.kmsKeyId === undefined ? {} : { kmsKeyId: group.kmsKeyId }),
      logGroupClass: group.logGroupClass,
      logGroupArn: logGroupArn(scope, group.name),
    })),
    ...(nextToken === undefined ? {} : { nextToken }),
  };
}

export function putRetentionPolicy(store: LogsStore, input: JsonInput, scope: Scope): void {
  const group = store.groupNamed(input, scope);
  const days = input.optionalNumber('retentionInDays');
  if (days === undefined) throw input.invalid('retentionInDays', undefined, 'Member must not be null');
  if (!RETENTION_DAYS.includes(days)) throw input.invalid('retentionInDays', days, `Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`);
  group.retentionInDays = days;
}

export const deleteRetentionPolicy = (store: LogsStore, input: JsonInput, scope: Scope): void => void delete store.groupNamed(input, scope).retentionInDays;

function requiredTags(input: JsonInput): Record<string, string> {
  const tags = input.optionalStringMap('tags');
  if (tags === undefined) throw input.invalid('tags', undefined, 'Member must not be null');
  return tags;
}

function tag(group: LogGroup, tags: Record<string, string>): void {
  for (const [key, value] of Object.entries(tags)) group.tags.set(key, value);
}

function untag(group: LogGroup, keys: readonly string[]): void {
  for (const key of keys) group.tags.delete(key);
}

// Tagging by group name (the older calls) and by ARN.
export const listTagsLogGroup = (store: LogsStore, input: JsonInput, scope: Scope) => ({ tags: Object.fromEntries(store.groupNamed(input, scope).tags) });
export const tagLogGroup = (store: LogsStore, input: JsonInput, scope: Scope) => tag(store.groupNamed(input, scope), requiredTags(input));
export const untagLogGroup = (store: LogsStore, input: JsonInput, scope: Scope) => untag(store.groupNamed(input, scope), input.optionalStrings('tags') ?? []);
export const listTagsForResource = (store: LogsStore, input: JsonInput, scope: Scope) => ({
  tags: Object.fromEntries(store.groupByArn(input.string('resourceArn'), scope).tags),
});
export const tagResource = (store: LogsStore, input: JsonInput, scope: Scope) => tag(store.groupByArn(input.string('resourceArn'), scope), requiredTags(input));
export const untagResource = (store: LogsStore, input: JsonInput, scope: Scope) =>
  untag(store.groupByArn(input.string('resourceArn'), scope), input.optionalStrings('tagKeys') ?? []);
