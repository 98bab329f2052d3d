/** The function host: what the Lambda control plane holds, run from its zip, handler, environment and role. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { CodeStore } from '../../offline/services/lambda/code';
import { FunctionHost, type FunctionSource, resolveHandler, ROLE_SESSION_SECONDS } from '../../offline/services/lambda/host';
import { harnessPath } from '../../offline/runtime/harness';
import type { DeployedFunction, LambdaChange } from '../../offline/services/lambda/model';
import type { Credentials } from '../../offline/services/sts';

let codeDir: string;
let code: CodeStore;
beforeAll(() => {
  codeDir = mkdtempSync(path.join(os.tmpdir(), 'function-host-'));
  code = new CodeStore(codeDir);
});
afterAll(async () => {
  await code.close();
  rmSync(codeDir, { recursive: true, force: true });
});

/** A stand-in zip: its files, as Terraform's archive of a bundle folder holds them. */
const zip = (files: Record<string, string>) => Buffer.from(zipSync(Object.fromEntries(Object.entries(files).map(([name, text]) => [name, strToU8(text)]))));

/** Reports what the function sees: its environment, its memory, a label of its code. */
const reporter = (label: string, sleepMs = 0) => `
  exports.handler = async (event) => {
    await new Promise((r) => setTimeout(r, event.sleepMs ?? ${sleepMs}));
    console.log('hello from ${label}');
    return { label: '${label}', env: process.env };
  };`;

let revision = 0;
/** The function as the control plane deploys it, its zip unpacked in the code store. */
async function deployed(name: string, zipped: Buffer, overrides: Partial<DeployedFunction> = {}): Promise<DeployedFunction> {
  revision += 1;
  // Unique per code, as the real SHA-256 is.
  const codeSha256 = `sha+/${name}${zipped.length}-${revision}=`;
  return {
    name,
    arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    runtime: 'nodejs22.x',
    handler: 'index.handler',
    role: `arn:aws:iam::000000000000:role/${name}Role`,
    description: '',
    timeout: 3,
    memorySize: 256,
    environment: { GREETING: 'hello' },
    architectures: ['x86_64'],
    ephemeralStorage: 512,
    tracingMode: 'PassThrough',
    logFormat: 'Text',
    logGroup: `/aws/lambda/${name}`,
    codeSize: zipped.length,
    codeDir: await code.hold(zipped, codeSha256),
    codeSha256,
    lastModified: '',
    revisionId: String(revision),
    ...overrides,
  };
}

/** The control plane, reduced to what the host reads: the functions, and their changes. */
class Source implements FunctionSource {
  readonly byName = new Map<string, DeployedFunction>();
  private readonly listeners = new Set<(change: LambdaChange) => void>();
  functions = () => [...this.byName.values()];
  function = (nameOrArn: string) => this.byName.get(nameOrArn.split(':').pop() ?? '');
  onChange(listener: (change: LambdaChange) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  put(fn: DeployedFunction, change: 'created' | 'code' | 'configuration') {
    this.byName.set(fn.name, fn);
    for (const listener of this.listeners) listener({ kind: 'function', change, function: fn });
  }
  delete(name: string) {
    const fn = this.byName.get(name)!;
    this.byName.delete(name);
    for (const listener of this.listeners) listener({ kind: 'function', change: 'deleted', function: fn });
  }
}

const session = (validForMs: number): Credentials => ({
  AccessKeyId: `ASIA${Math.random().toString(36).slice(2, 10).toUpperCase()}`,
  SecretAccessKey: 'secret',
  SessionToken: 'token',
  Expiration: new Date(Date.now() + validForMs).toISOString(),
});

function hostOf(source: Source, { validForMs = ROLE_SESSION_SECONDS * 1000, lines = [] as string[], sessions = [] as [string, string][] } = {}) {
  return new FunctionHost({
    source,
    harness: harnessPath,
    code,
    endpointUrl: 'http://127.0.0.1:4566',
    defaultConcurrency: 3,
    credentialsFor: (roleArn, functionName) => {
      sessions.push([roleArn, functionName]);
      return session(validForMs);
    },
    onLog: (functionName, line) => lines.push(`${functionName}: ${line}`),
  });
}

type Reported = { label: string; env: Record<string, string> };
const resultOf = (outcome: Awaited<ReturnType<FunctionHost['invoke']>>) => {
  if (!outcome.ok) throw new Error(`${outcome.errorType}: ${outcome.errorMessage}`);
  return outcome.result as Reported;
};

it('resolves the handler setting to the file present (.js, .mjs or .cjs) and its export', () => {
  expect(resolveHandler('/code', 'index.handler')).toEqual({ file: '/code/index.js', exportName: 'handler' });
  expect(resolveHandler('/code', 'src/app.main')).toEqual({ file: '/code/src/app.js', exportName: 'main' });
});

it('runs the zip with the deployed handler, environment, memory, AWS_ENDPOINT_URL and the role’s credentials', async () => {
  const source = new Source();
  const sessions: [string, string][] = [];
  const lines: string[] = [];
  const host = hostOf(source, { sessions, lines });
  try {
    source.put(
      await deployed('Esm', zip({ 'src/app.mjs': 'export const main = async () => ({ label: "esm", env: process.env });' }), { handler: 'src/app.main' }),
      'created',
    );
    source.put(await deployed('Cjs', zip({ 'lib/main.cjs': reporter('cjs') }), { handler: 'lib/main.handler', memorySize: 512 }), 'created');
    expect(resultOf(await host.invoke('Esm', {})).label).toBe('esm');
    const { label, env } = resultOf(await host.invoke('arn:aws:lambda:us-east-1:000000000000:function:Cjs', {}));
    expect(label).toBe('cjs');
    expect(env).toMatchObject({
      GREETING: 'hello',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      AWS_ACCESS_KEY_ID: expect.stringMatching(/^ASIA/) as unknown,
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
      AWS_LAMBDA_FUNCTION_NAME: 'Cjs',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    });
    expect(sessions).toEqual([
      ['arn:aws:iam::000000000000:role/EsmRole', 'Esm'],
      ['arn:aws:iam::000000000000:role/CjsRole', 'Cjs'],
    ]);
    expect(lines).toEqual(expect.arrayContaining(['Cjs: hello from cjs', expect.stringMatching(/^Cjs: START RequestId: /) as unknown]));
  } finally {
    await host.stop();
  }
});

it('answers a missing export, a missing file and an unknown function clearly', async () => {
  const source = new Source();
  const host = hostOf(source);
  try {
    source.put(await deployed('NoExport', zip({ 'index.js': 'exports.other = async () => 1;' })), 'created');
    source.put(await deployed('NoFile', zip({ 'main.js': reporter('main') })), 'created');
    expect(await host.invoke('NoExport', {})).toMatchObject({
      ok: false,
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: 'handler is undefined or not exported',
    });
    expect(await host.invoke('NoFile', {})).toMatchObject({ ok: false, errorType: 'Runtime.ImportModuleError' });
    expect(await host.invoke('Nobody', {})).toMatchObject({ ok: false, errorType: 'ResourceNotFoundException', errorMessage: 'Function not found: Nobody' });
  } finally {
    await host.stop();
  }
});

it('takes an update on the next invocation, lets the running one finish on the old code, and stops a deleted function', async () => {
  const source = new Source();
  const host = hostOf(source);
  try {
    source.put(await deployed('Fn', zip({ 'index.js': reporter('v1') })), 'created');
    const running = host.invoke('Fn', { sleepMs: 300 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    source.put(await deployed('Fn', zip({ 'index.js': reporter('v2') })), 'code');
    expect(resultOf(await host.invoke('Fn', {})).label).toBe('v2');
    expect(resultOf(await running).label).toBe('v1');

    source.put({ ...source.byName.get('Fn')!, environment: { GREETING: 'bonjour' }, revisionId: 'new' }, 'configuration');
    expect(resultOf(await host.invoke('Fn', {})).env.GREETING).toBe('bonjour');

    source.delete('Fn');
    expect(await host.invoke('Fn', {})).toMatchObject({ ok: false, errorType: 'ResourceNotFoundException' });
    expect(host.running).toBe(0);
  } finally {
    await host.stop();
  }
});

it('limits concurrency to the reserved concurrency, else the default, and reports it in the health check', async () => {
  const source = new Source();
  const host = hostOf(source);
  try {
    source.put(await deployed('Reserved', zip({ 'index.js': reporter('r', 300) }), { reservedConcurrency: 1 }), 'created');
    source.put(await deployed('Pool', zip({ 'index.js': reporter('p', 300) })), 'created');
    const reserved = await Promise.all([host.invoke('Reserved', {}), host.invoke('Reserved', {})]);
    expect(reserved.filter((outcome) => !outcome.ok).map((outcome) => !outcome.ok && outcome.errorType)).toEqual(['TooManyRequestsException']);
    expect(host.health()).toEqual({
      Pool: { concurrencyLimit: 3, running: 0, throttles: 0 },
      Reserved: { concurrencyLimit: 1, running: 0, throttles: 1 },
    });
    expect(host.concurrencyLimit('Reserved')).toBe(1);
  } finally {
    await host.stop();
  }
});

it('renews the role’s credentials when they expire within five minutes', async () => {
  const source = new Source();
  const sessions: [string, string][] = [];
  const host = hostOf(source, { sessions, validForMs: 4 * 60_000 });
  try {
    source.put(await deployed('Short', zip({ 'index.js': reporter('s') })), 'created');
    const first = resultOf(await host.invoke('Short', {})).env.AWS_ACCESS_KEY_ID;
    const second = resultOf(await host.invoke('Short', {})).env.AWS_ACCESS_KEY_ID;
    expect(sessions).toHaveLength(2);
    expect(second).not.toBe(first);
  } finally {
    await host.stop();
  }
});

it('refuses new invocations once stopping', async () => {
  const source = new Source();
  const host = hostOf(source);
  source.put(await deployed('Fn', zip({ 'index.js': reporter('x') })), 'created');
  host.beginStop();
  expect(await host.invoke('Fn', {})).toMatchObject({ ok: false, errorType: 'Runtime.Stopping' });
  await host.stop();
});
