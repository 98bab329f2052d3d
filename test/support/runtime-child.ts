/**
 * Starts the offline runtime for the end-to-end tests: port and timings from argv (JSON), one
 * JSON line {"url","port","emulatorPorts"} on stdout once it is ready, then its log lines. Stops on SIGTERM.
 */
import { dashboardMount } from '../../dashboard/server/mount';
import { startRuntime, type RuntimeOptions } from '../../offline/runtime/compose';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as Pick<RuntimeOptions, 'port' | 'timings' | 'environmentOverrides' | 'empty'>;
  // jest's global set-up has built the bundles; rebuilding them here would race the other suites.
  const runtime = await startRuntime({
    port: options.port ?? 0,
    timings: options.timings,
    environmentOverrides: options.environmentOverrides,
    empty: options.empty,
    build: false,
    mounts: (context) => [dashboardMount(context)],
    log: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`${JSON.stringify({ url: runtime.url, port: runtime.port, emulatorPorts: runtime.emulatorPorts })}\n`);
  process.on('SIGTERM', () => void runtime.stop().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
