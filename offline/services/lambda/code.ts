/**
 * Function code on disk. Each zip Lambda accepts is checked against Lambda's limits and unpacked
 * into a folder named by its SHA-256 (functions deployed with the same code share it), written
 * entry by entry as it inflates. A folder is kept while something holds it: the control plane for
 * each function deployed with that code, the function host for each LocalFunction still running
 * it. The last release deletes it, so a replaced or deleted function's code goes once the
 * invocations still running it have ended.
 *
 * The folders live in one folder of this runtime's own, `<codeDir>/runtime-<pid>-<random>`,
 * removed when it stops: runtimes side by side (the test suites start several) share dist/, and
 * one deleting its code must not pull it from under another. A runtime that was killed leaves its
 * folder behind; the next one to start removes it.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { awsLimits } from '#spec';
import { AwsError } from '../../protocol/service';
import { contentOf, isInflateError, UNREADABLE, ZipError, zipEntries } from './zip';

const INVALID_PARAMETER_VALUE = 'InvalidParameterValueException';
/** Beside a folder being unpacked; renamed to it once whole. */
const STAGING = '.unpacking';

// Base64 has / and +; a folder name may not.
const folderName = (codeSha256: string) => codeSha256.replaceAll('/', '_').replaceAll('+', '-').replaceAll('=', '');

export class CodeStore {
  private readonly root: string;
  private readonly holds = new Map<string, number>();
  /** The last unpack or delete queued on each folder: they run one after the other. */
  private readonly work = new Map<string, Promise<void>>();
  private readonly swept: Promise<void>;

  constructor(codeDir: string) {
    this.root = path.join(codeDir, `runtime-${process.pid}-${randomBytes(4).toString('hex')}`);
    this.swept = removeAbandoned(codeDir);
  }

  /**
   * Checks the zip as Lambda does and unpacks it, unless the same code is already; the caller
   * holds the folder until it releases it. A zip Lambda refuses throws its
   * InvalidParameterValueException, and leaves nothing on disk.
   */
  async hold(zip: Buffer, codeSha256: string): Promise<string> {
    const dir = path.join(this.root, folderName(codeSha256));
    this.retain(dir);
    try {
      await this.queue(dir, () => (existsSync(dir) ? Promise.resolve() : unpack(zip, dir)));
    } catch (error) {
      this.release(dir);
      throw error;
    }
    return dir;
  }

  /** Holds again a folder that is held already (a deployed function's, for a LocalFunction running it). */
  retain(dir: string): void {
    this.holds.set(dir, (this.holds.get(dir) ?? 0) + 1);
  }

  /** Lets go of a folder; the last release deletes it. */
  release(dir: string): void {
    const left = (this.holds.get(dir) ?? 0) - 1;
    if (left > 0) {
      this.holds.set(dir, left);
      return;
    }
    this.holds.delete(dir);
    // One that cannot be deleted now goes with the whole folder at close().
    this.queue(dir, () => rm(dir, { recursive: true, force: true })).catch(() => undefined);
  }

  /** Deletes every folder, once what is queued on them has run. */
  async close(): Promise<void> {
    await Promise.all([this.swept, ...this.work.values()]);
    await rm(this.root, { recursive: true, force: true });
  }

  private queue(dir: string, operation: () => Promise<void>): Promise<void> {
    const done = (this.work.get(dir) ?? Promise.resolve()).then(operation);
    // The next operation waits for this one, whatever its outcome.
    const settled = done.catch(() => undefined);
    this.work.set(dir, settled);
    void settled.then(() => this.work.get(dir) === settled && this.work.delete(dir));
    return done;
  }
}

/** Unpacks the zip into `dir`, or throws Lambda's refusal of it; written beside it and renamed, so `dir` is never half there. */
async function unpack(zip: Buffer, dir: string): Promise<void> {
  const limit = awsLimits.lambdaUnzippedLimitBytes;
  let entries;
  try {
    entries = zipEntries(zip);
  } catch (error) {
    throw error instanceof ZipError ? new AwsError(INVALID_PARAMETER_VALUE, error.message) : error;
  }
  // As declared: nothing is inflated for a zip that says it is too big. contentOf() holds each entry to what it declared.
  if (entries.reduce((sum, entry) => sum + entry.size, 0) >= limit)
    throw new AwsError(INVALID_PARAMETER_VALUE, `Unzipped size must be smaller than ${limit} bytes`);
  const staging = dir + STAGING;
  try {
    for (const entry of entries) {
      const target = path.join(staging, entry.name);
      await mkdir(entry.folder ? target : path.dirname(target), { recursive: true });
      if (!entry.folder) await pipeline([...contentOf(zip, entry), createWriteStream(target)]);
    }
    await mkdir(staging, { recursive: true });
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error instanceof ZipError
      ? new AwsError(INVALID_PARAMETER_VALUE, error.message)
      : isInflateError(error)
        ? new AwsError(INVALID_PARAMETER_VALUE, UNREADABLE)
        : error;
  }
}

/** Removes the folders of runtimes no longer running: `runtime-<pid>-<random>` of a pid that is gone. */
async function removeAbandoned(codeDir: string): Promise<void> {
  const names = await readdir(codeDir).catch(() => []);
  const abandoned = names.filter((name) => {
    const pid = /^runtime-(\d+)-[0-9a-f]{8}$/.exec(name)?.[1];
    return pid !== undefined && !running(Number(pid));
  });
  await Promise.all(abandoned.map((name) => rm(path.join(codeDir, name), { recursive: true, force: true }).catch(() => undefined)));
}

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
