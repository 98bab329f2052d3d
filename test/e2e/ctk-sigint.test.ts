/**
 * Ctrl-C through the real signal path: a child process runs an experiment with the runner, its
 * signal wired to onStopSignal as a script would; SIGINT during the method still rolls back, and
 * the process ends with exit code 130 and an `interrupted` journal.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { REPO_ROOT } from '../../shared/paths';

const script = `
const { runExperiment } = require('./chaos/runner/run.ts');
const { exitCode } = require('./chaos/runner/journal.ts');
const { onStopSignal } = require('./shared/cli/command.ts');
const controller = new AbortController();
onStopSignal(() => controller.abort(), () => process.exit(99));
runExperiment(JSON.parse(process.env.CTK_EXPERIMENT), { signal: controller.signal }).then((journal) => {
  process.stdout.write(JSON.stringify(journal));
  process.exitCode = exitCode(journal);
});
`;

it('SIGINT during the method: rollbacks run, the journal says interrupted, exit 130', async () => {
  const seen: string[] = [];
  let onHang: () => unknown = () => undefined;
  const server = createServer((request, response) => {
    seen.push(request.url ?? '');
    if (request.url === '/hang') onHang();
    else response.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const experiment = {
    title: 'interrupted',
    description: 'the method hangs until Ctrl-C',
    method: [
      { type: 'action', name: 'inject', provider: { type: 'http', url: `${base}/inject` } },
      { type: 'action', name: 'hangs', provider: { type: 'http', url: `${base}/hang` } },
    ],
    rollbacks: [{ type: 'action', name: 'undo', provider: { type: 'http', url: `${base}/undo` } }],
  };
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: REPO_ROOT,
      env: { ...process.env, CTK_EXPERIMENT: JSON.stringify(experiment) },
    });
    onHang = () => child.kill('SIGINT');
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(130);
    expect(seen).toEqual(['/inject', '/hang', '/undo']);
    expect(JSON.parse(stdout)).toMatchObject({ status: 'interrupted', rollbacks: [{ status: 'succeeded' }] });
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
