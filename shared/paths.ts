/**
 * Where the project's folders are. One definition, so a file that moves does not have to count
 * its own `..` steps to the repository root again.
 */
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..');

/** The bundles (dist/<function>/index.js, dist/offline/, dist/dashboard/). */
export const DIST_DIR = path.join(REPO_ROOT, 'dist');

/** The experiment library and the reports folder, relative to the working directory, as users type them. */
export const EXPERIMENTS_DIR = 'experiments';
export const REPORTS_ROOT = 'reports';
