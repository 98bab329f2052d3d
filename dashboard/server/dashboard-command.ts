/**
 * The command of `npm run dashboard -- --endpoint URL [--port 4567]`: the live dashboard on its
 * own port, for any target that speaks the Chaos API (LocalStack, or an offline runtime
 * elsewhere), read and driven through the Chaos API, the AWS APIs and the product API only. The
 * offline runtime serves the same page itself at http://localhost:4566/dashboard/.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { localstack } from '#spec';
import { command, type Command, int, InvalidArgumentError, onStopSignal, Option, parse, UsageError } from '../../shared/cli/command';
import { EXTRA_HOSTS_ENV, parseHosts } from '../../shared/http/origin';
import { createDashboard } from './index';

export const DEFAULT_DASHBOARD_PORT = 4567;

function endpointUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidArgumentError(`Expected a URL such as ${localstack.endpoint}.`);
  }
  if (!['http:', 'https:'].includes(url.protocol)) throw new InvalidArgumentError(`Expected an http(s) URL such as ${localstack.endpoint}.`);
  return url.origin;
}

export function dashboardCommand(print?: (text: string) => void): Command {
  return command(
    'npm run dashboard --',
    'Serves the live chaos dashboard on 127.0.0.1 for a target that speaks the Chaos API (LocalStack, or an offline runtime): the architecture with its faults, queue depths and calls, controls that break and heal it, traffic, a timeline, logs and the experiment library.',
    print,
  )
    .addOption(
      new Option('--endpoint <url>', 'the target: LocalStack, or an offline runtime').env('CHAOS_ENDPOINT').default(localstack.endpoint).argParser(endpointUrl),
    )
    .addOption(new Option('--port <N>', 'port to serve the page on (0: any free one)').default(DEFAULT_DASHBOARD_PORT).argParser(int(0, 65535)))
    .addHelpText(
      'after',
      `
The page reads the target about once a second, and only while a page is open:
with no page open the dashboard makes no call at all. Here the functions' counts,
the arrows' calls and "direct or through the queue" come from the functions'
CloudWatch log lines (best effort: one logged outcome counts as one call; the
SDK's own retries are not seen). The Lambda-level faults are the offline
runtime's only. The offline runtime (npm start) serves the same page at
http://localhost:${localstack.port}/dashboard/, with its own log as the source.

Only pages this server serves may use the controls; other origins get 403.
Requests must name a loopback host (localhost, 127.0.0.1, [::1]) or one listed
in ${EXTRA_HOSTS_ENV} (comma-separated); others get 403 (DNS rebinding).
Exit codes: 0 stopped with Ctrl-C; 1 could not serve (port taken); 2 a wrong command line.`,
    );
}

/** Runs `npm run dashboard` with these arguments; resolves with the exit code once stopped. */
export async function runDashboard(argv: string[]): Promise<number> {
  const cmd = await parse(dashboardCommand(), argv);
  if (!cmd) return 0;
  const { endpoint, port: wanted } = cmd.opts<{ endpoint: string; port: number }>();
  let allowedHosts: string[];
  try {
    allowedHosts = parseHosts(process.env[EXTRA_HOSTS_ENV]);
  } catch (error) {
    throw new UsageError(`${EXTRA_HOSTS_ENV}: ${(error as Error).message}`);
  }
  const server = http.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`Port ${wanted} on 127.0.0.1 is already in use; choose another with --port.`) : error),
    );
    server.listen(wanted, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const dashboard = createDashboard({ endpoint, port, allowedHosts });
  server.on('request', (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/' || path === '') {
      res.writeHead(302, { Location: '/dashboard/' });
      res.end();
      return;
    }
    dashboard.handle(req, res).then(
      (handled) => {
        if (handled) return;
        res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(`Not found: the dashboard is at /dashboard/\n`);
      },
      (error: unknown) => {
        console.error(`Dashboard error on ${req.method} ${req.url}: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Internal error in the dashboard\n');
      },
    );
  });
  console.log(`Dashboard for ${endpoint} on http://localhost:${port}/dashboard/  (Ctrl-C to stop)`);
  return new Promise<number>((resolve) => {
    const stop = () => {
      dashboard.close();
      server.closeAllConnections();
      server.close(() => resolve(0));
    };
    onStopSignal(stop, () => resolve(0));
  });
}
