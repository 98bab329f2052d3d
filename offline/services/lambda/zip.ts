/**
 * Reads a function's zip as Lambda has to before unpacking it: the entries of its central
 * directory (names, declared sizes, file types) come first, so a zip is refused before a byte is
 * inflated; each entry's content then streams through zlib (off the main thread) and a check
 * that it inflates to exactly the size and CRC it declared, since a zip can lie about both.
 *
 * Refused as unsafe to unpack: entry names that leave the folder (absolute, a drive, or a `..`
 * segment, with `/` or `\` as separator) and symbolic links. Refused as unsupported: ZIP64,
 * encryption, and methods other than stored and deflated, none of which a function's zip needs.
 */
import { Readable, Transform } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';

/** Why a zip cannot be unpacked: Lambda's InvalidParameterValueException says it. */
export class ZipError extends Error {}

export interface ZipEntry {
  /** As the central directory names it, `/`-separated; a folder's ends with `/`. */
  name: string;
  folder: boolean;
  /** The size it declares once inflated. */
  size: number;
  crc: number;
  deflated: boolean;
  /** Where its (compressed) data lies in the zip. */
  start: number;
  end: number;
}

/** AWS's words for a zip it cannot read. */
export const UNREADABLE = 'Could not unzip uploaded file. Please check your file, then try to upload again.';

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const ZIP64_MARK = 0xffffffff;
const STORED = 0;
const DEFLATED = 8;
const ENCRYPTED = 0x1;
// The file type in the upper half of the external attributes, as Unix zip tools record st_mode.
const FILE_TYPE = 0o170000;
const SYMLINK = 0o120000;

const unreadable = () => new ZipError(UNREADABLE);

/** The zip's entries, from its central directory; throws a ZipError for a zip that must not be unpacked. */
export function zipEntries(zip: Buffer): ZipEntry[] {
  const end = endOfDirectory(zip);
  const count = zip.readUInt16LE(end + 10);
  const size = zip.readUInt32LE(end + 12);
  let offset = zip.readUInt32LE(end + 16);
  if (count === 0xffff || size === ZIP64_MARK || offset === ZIP64_MARK) throw new ZipError(`${UNREADABLE} (ZIP64 archives are not unpacked offline)`);
  if (offset + size > end) throw unreadable();
  const entries: ZipEntry[] = [];
  for (let index = 0; index < count; index += 1) {
    if (offset + 46 > end || zip.readUInt32LE(offset) !== DIRECTORY_ENTRY) throw unreadable();
    const nameLength = zip.readUInt16LE(offset + 28);
    const next = offset + 46 + nameLength + zip.readUInt16LE(offset + 30) + zip.readUInt16LE(offset + 32);
    if (next > end) throw unreadable();
    entries.push(readEntry(zip, offset, zip.toString('utf8', offset + 46, offset + 46 + nameLength)));
    offset = next;
  }
  checkLayout(entries);
  return entries;
}

function endOfDirectory(zip: Buffer): number {
  // The record is 22 bytes and may be followed by a comment of up to 65,535.
  for (let at = zip.length - 22; at >= Math.max(0, zip.length - 22 - 0xffff); at -= 1) {
    if (zip.readUInt32LE(at) === END_OF_DIRECTORY) return at;
  }
  throw unreadable();
}

function readEntry(zip: Buffer, offset: number, name: string): ZipEntry {
  const flags = zip.readUInt16LE(offset + 8);
  const method = zip.readUInt16LE(offset + 10);
  const compressed = zip.readUInt32LE(offset + 20);
  const size = zip.readUInt32LE(offset + 24);
  const mode = zip.readUInt32LE(offset + 38) >>> 16;
  const local = zip.readUInt32LE(offset + 42);
  checkName(name);
  if ((mode & FILE_TYPE) === SYMLINK)
    throw new ZipError(`The zip entry ${JSON.stringify(name)} is a symbolic link: the offline runtime unpacks files and folders only`);
  if (flags & ENCRYPTED || (method !== STORED && method !== DEFLATED)) throw unreadable();
  if (compressed === ZIP64_MARK || size === ZIP64_MARK || local === ZIP64_MARK) throw new ZipError(`${UNREADABLE} (ZIP64 archives are not unpacked offline)`);
  if (local + 30 > zip.length || zip.readUInt32LE(local) !== LOCAL_HEADER) throw unreadable();
  const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
  if (start + compressed > zip.length) throw unreadable();
  return { name, folder: name.endsWith('/'), size, crc: zip.readUInt32LE(offset + 16), deflated: method === DEFLATED, start, end: start + compressed };
}

/** Names that would be written outside the folder they are unpacked into. */
function checkName(name: string): void {
  const segments = name.split(/[\\/]/);
  const escapes = name === '' || name.includes('\0') || /^([\\/]|[a-zA-Z]:)/.test(name) || segments.includes('..');
  if (escapes) throw new ZipError(`The zip entry ${JSON.stringify(name)} would be unpacked outside the function's folder (an absolute path or a .. segment)`);
}

/** A name used both as a file and as a folder cannot be unpacked. */
function checkLayout(entries: ZipEntry[]): void {
  const normal = (name: string) => name.split('/').filter((segment) => segment !== '' && segment !== '.');
  const files = new Set(entries.filter((entry) => !entry.folder).map((entry) => normal(entry.name).join('/')));
  if (files.has('')) throw unreadable();
  for (const entry of entries) {
    const segments = normal(entry.name);
    const parents = entry.folder ? segments.length : segments.length - 1;
    for (let depth = 1; depth <= parents; depth += 1) if (files.has(segments.slice(0, depth).join('/'))) throw unreadable();
  }
}

/** The stages that turn an entry's data into its content: the data, zlib if deflated, the size and CRC check. */
export function contentOf(zip: Buffer, entry: ZipEntry): [Readable, ...Transform[]] {
  const data = Readable.from(pieces(zip.subarray(entry.start, entry.end)));
  let inflated = 0;
  let crc = 0;
  const check = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      inflated += chunk.length;
      // Past what it declared: stopped here, so a bomb never gets written whole.
      if (inflated > entry.size) return done(unreadable());
      crc = crc32(chunk, crc);
      done(null, chunk);
    },
    flush(done) {
      done(inflated === entry.size && crc === entry.crc ? null : unreadable());
    },
  });
  return entry.deflated ? [data, createInflateRaw(), check] : [data, check];
}

/** The data in pieces, so a large stored entry is checked and written a piece at a time, between other work. */
function* pieces(data: Buffer, size = 64 * 1024): Generator<Buffer> {
  for (let at = 0; at < data.length; at += size) yield data.subarray(at, at + size);
}

/** zlib's own errors (Z_DATA_ERROR, Z_BUF_ERROR) mean the data is damaged, not that the machine failed. */
export const isInflateError = (error: unknown): boolean =>
  typeof (error as { code?: unknown }).code === 'string' && /^Z_/.test((error as { code: string }).code);
