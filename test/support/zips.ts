/** Function zips for the Lambda code tests: real ones, ones that lie about their sizes, and ones holding what must not be unpacked. */
import { strToU8, zipSync, type ZipOptions } from 'fflate';

type Files = Record<string, string | Uint8Array | [string | Uint8Array, ZipOptions]>;

const bytes = (content: string | Uint8Array) => (typeof content === 'string' ? strToU8(content) : content);

/** The files zipped (deflated unless an entry's options say otherwise). */
export function zipOf(files: Files, options: ZipOptions = {}): Buffer {
  return Buffer.from(
    zipSync(
      Object.fromEntries(Object.entries(files).map(([name, content]) => [name, Array.isArray(content) ? [bytes(content[0]), content[1]] : bytes(content)])),
      options,
    ),
  );
}

/** A symbolic link entry pointing at `target`, as Info-ZIP records one from a Unix file system. */
export const symlink = (target: string): [string, ZipOptions] => [target, { os: 3, attrs: 0o120777 << 16, level: 0 }];

/** The zip with its central directory claiming `size` bytes unzipped for every entry, whatever the data inflates to. */
export function declaringSize(zip: Buffer, size: number): Buffer {
  const copy = Buffer.from(zip);
  const end = copy.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  let offset = copy.readUInt32LE(end + 16);
  for (let entry = 0; entry < copy.readUInt16LE(end + 10); entry += 1) {
    copy.writeUInt32LE(size, offset + 24);
    offset += 46 + copy.readUInt16LE(offset + 28) + copy.readUInt16LE(offset + 30) + copy.readUInt16LE(offset + 32);
  }
  return copy;
}
