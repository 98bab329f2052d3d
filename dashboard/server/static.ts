/**
 * The page (index.html and the esbuild bundle, kept in memory) and the experiment reports,
 * read-only, from the reports/ folder: no path outside it is ever served, symbolic links
 * included (reports/latest points inside it).
 */
import { readFileSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { buildDashboardPage } from './page-bundle';
import { REPO_ROOT } from '../../shared/paths';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.md': 'text/markdown; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.jsonl': 'application/x-ndjson; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export const typeOf = (file: string) => TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';

/** The page may load only what this server serves; no other site may frame it (the controls would be clickable there). */
export const PAGE_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export function send(res: ServerResponse, status: number, type: string, body: string | Uint8Array, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(body);
}

export class PageFiles {
  private bundle: Promise<Map<string, Uint8Array> | undefined> | undefined;

  constructor(private readonly root = REPO_ROOT) {}

  /** The page's index.html (dashboard/page/index.html). */
  index(): string {
    return readFileSync(path.join(this.root, 'dashboard', 'page', 'index.html'), 'utf8');
  }

  /** A file of the bundle (app.js, app.css, app.js.map), built on the first request; undefined if there is none such. */
  async file(name: string): Promise<Uint8Array | undefined> {
    this.bundle ??= buildDashboardPage().catch((error: unknown) => {
      this.bundle = undefined; // the next request tries again (the page's code may have been fixed meanwhile)
      throw error;
    });
    return (await this.bundle)?.get(name);
  }
}

/**
 * A file under `root` named by the URL path after /dashboard/reports/, or undefined when it is
 * not one (missing, a folder without index.html, or outside the folder by `..` or a link).
 */
export async function reportFile(root: string, urlPath: string): Promise<string | undefined> {
  let relative: string;
  try {
    relative = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (relative.includes('\0')) return undefined;
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    return undefined;
  }
  const inside = (file: string) => {
    const rel = path.relative(realRoot, file);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  };
  let file = path.resolve(realRoot, `.${path.posix.sep}${relative}`);
  if (!inside(file)) return undefined;
  try {
    file = await realpath(file);
    if (!inside(file)) return undefined;
    if ((await stat(file)).isDirectory()) {
      file = await realpath(path.join(file, 'index.html'));
      if (!inside(file)) return undefined;
    }
    return (await stat(file)).isFile() ? file : undefined;
  } catch {
    return undefined;
  }
}

export async function serveReport(res: ServerResponse, root: string, urlPath: string): Promise<void> {
  const file = await reportFile(root, urlPath);
  if (!file) return send(res, 404, 'text/plain; charset=utf-8', `No such report file: ${urlPath}\n`);
  // Reports are self-contained pages: no CSP here, but never framed by another site.
  send(res, 200, typeOf(file), await readFile(file), { 'Content-Security-Policy': "frame-ancestors 'self'" });
}
