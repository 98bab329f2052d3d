/**
 * Browser side of the dashboard's tests: Debian's Chromium driven headless by playwright-core
 * (no browser download: `.ci/run` installs the `chromium` package when it is missing), and the
 * small helpers the tests read the page with (its `data-testid` hooks).
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';
import { eventually } from './offline';

/** Debian's Chromium, where `apt-get install chromium` puts it. */
export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserSkipReason(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (apt-get install chromium; .ci/run does it on CI)`;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

/** A page's text for a test id, '' when the element is not there (yet). */
export async function textOf(page: Page, testId: string): Promise<string> {
  const locator = page.getByTestId(testId).first();
  return (await locator.count()) > 0 ? ((await locator.textContent()) ?? '').trim() : '';
}

/** The first whole number in an element's text (NaN when it shows none, e.g. "—" for a failed reading). */
export async function numberOf(page: Page, testId: string): Promise<number> {
  const match = /-?\d[\d,]*/.exec(await textOf(page, testId));
  return match ? Number(match[0].replace(/,/g, '')) : Number.NaN;
}

/** Waits until `check` holds for what the page shows; the error names what was last seen. */
export async function until<T>(page: Page, what: string, read: (page: Page) => Promise<T>, check: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  let last: T | undefined;
  try {
    return await eventually(
      what,
      async () => {
        last = await read(page);
        return check(last) ? { value: last } : undefined;
      },
      timeoutMs,
    ).then(({ value }) => value);
  } catch (error) {
    throw new Error(`${(error as Error).message}; the page last showed ${JSON.stringify(last)}`);
  }
}

/** `data-state` of a test id's element ("faulted", "healthy", ...). */
export async function stateOf(page: Page, testId: string): Promise<string | null> {
  const locator = page.getByTestId(testId).first();
  return (await locator.count()) > 0 ? locator.getAttribute('data-state') : null;
}

/** A tiny web server of another origin (a free loopback port) serving one page, as any site the user visits could. */
export async function foreignSite(html: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((_request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
