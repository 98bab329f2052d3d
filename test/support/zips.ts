/** Function zips for the Lambda code tests: real ones, ones that lie about their sizes, and ones holding what must not be unpacked. */
import { crc32 } from 'node:zlib';
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

/** A zip holding one stored (uncompressed) file, written out byte by byte: no zip library made it. */
export function storedZip(file: string, text: string): Buffer {
  const data = Buffer.from(text);
  const fileName = Buffer.from(file);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  const centralOffset = local.length + fileName.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, fileName, data, central, fileName, end]);
}
