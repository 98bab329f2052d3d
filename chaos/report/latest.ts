import { cpSync, lstatSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';

/**
 * Points `<root>/latest` at `dir` (a folder inside root): a relative symlink, swapped in by a
 * rename so a reader never sees it missing; a directory junction on Windows; and where neither
 * can be made, a copy of the folder. Returns which it made.
 */
export function linkLatest(root: string, dir: string, link: typeof symlinkSync = symlinkSync): 'symlink' | 'copy' {
  const latest = path.join(root, 'latest');
  const temporary = path.join(root, `.latest-${process.pid}`);
  const isWindows = process.platform === 'win32';
  // A copy left by an earlier fallback is a real folder: a rename cannot replace it.
  const existing = (() => {
    try {
      return lstatSync(latest);
    } catch {
      return undefined;
    }
  })();
  try {
    rmSync(temporary, { force: true, recursive: true });
    link(isWindows ? path.resolve(dir) : path.relative(root, path.resolve(dir)), temporary, isWindows ? 'junction' : 'dir');
    if (existing?.isDirectory()) rmSync(latest, { recursive: true, force: true });
    renameSync(temporary, latest);
    return 'symlink';
  } catch {
    rmSync(temporary, { force: true, recursive: true });
    rmSync(latest, { recursive: true, force: true });
    cpSync(dir, latest, { recursive: true });
    return 'copy';
  }
}
