/**
 * Lambda's data plane for what was deployed: one runnable LocalFunction per function of the
 * control plane (offline/services/lambda/control.ts), built from its unpacked code, handler, environment,
 * timeout, memory, concurrency and role. Driven only by the control plane's state: an update
 * takes effect on the next invocation (a new LocalFunction; the old one stops once what it runs
 * has ended), a deleted function stops. Functions are built on their first invocation, as
 * Lambda starts an environment only when one is needed. Lambda faults injected through the Chaos
 * API (offline only) are looked up here, per invocation, by the function's name.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { FUNCTION_NOT_FOUND, type InvokeResult, LocalFunction, STOPPING_ERROR } from './function';
import type { CodeStore } from './code';
import type { DeployedFunction, LambdaChange } from './model';
import type { InvocationFault } from '../../chaos/chaos';
import type { Credentials } from '../sts';

/** What the host reads of the Lambda control plane (LambdaService has it). */
export interface FunctionSource {
  functions(): DeployedFunction[];
  /** Throws on a malformed name, as the Lambda API refuses one. */
  function(nameOrArn: string): DeployedFunction | undefined;
  onChange(listener: (change: LambdaChange) => void): () => void;
}

export interface FunctionHostOptions {
  source: FunctionSource;
  /** The bundled worker harness (services/lambda/worker.ts). */
  harness: string;
  /** Where the deployed code is unpacked: each LocalFunction holds its folder until it has stopped. */
  code: Pick<CodeStore, 'retain' | 'release'>;
  /** The runtime's URL: AWS_ENDPOINT_URL, as LocalStack injects it, so the SDK calls the runtime. */
  endpointUrl: string;
  /** The limit of a function without reserved concurrency: the account's unreserved pool, scaled down. */
  defaultConcurrency: number;
  /** Credentials of a session of the function's role (STS AssumeRole), for ROLE_SESSION_SECONDS. */
  credentialsFor(roleArn: string, functionName: string): Credentials;
  /** Each log line of a function: its environments' output, START, END and throttles. */
  onLog(functionName: string, line: string): void;
  /** The injected fault for this invocation of the function, if any (the Chaos API's Lambda faults). */
  invocationFault?(functionName: string): InvocationFault | undefined;
}

/** Role sessions last STS's longest, 12 h; they are renewed within RENEW_BEFORE_MS of expiring. */
export const ROLE_SESSION_SECONDS = 43_200;
const RENEW_BEFORE_MS = 5 * 60_000;

/** How the health check reports a function. */
export interface FunctionHealth {
  concurrencyLimit: number;
  running: number;
  throttles: number;
}

/** Credentials as the SDK takes them. */
export interface RoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

interface Hosted {
  fn: LocalFunction;
  credentials: Credentials;
  /** The code it runs, held until it has stopped. */
  codeDir: string;
}

/** The handler setting `dir/file.export` as a file of the unpacked code (.js, .cjs or .mjs, as present) and an export. */
export function resolveHandler(codeDir: string, handler: string): { file: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  const base = path.join(codeDir, dot < 0 ? handler : handler.slice(0, dot));
  const exportName = dot < 0 ? '' : handler.slice(dot + 1);
  // Lambda's Node.js runtime tries these in this order; a missing file fails at init (Runtime.ImportModuleError).
  const file = ['.js', '.mjs', '.cjs'].map((extension) => base + extension).find((candidate) => existsSync(candidate)) ?? `${base}.js`;
  return { file, exportName };
}

export class FunctionHost {
  /** By unqualified ARN: the LocalFunction new invocations go to. */
  private readonly hosted = new Map<string, Hosted>();
  /** Replaced or deleted functions still finishing their invocations. */
  private readonly retiring = new Set<Hosted>();
  /** Throttles of the functions' replaced LocalFunctions, so the health check counts them all. */
  private readonly pastThrottles = new Map<string, number>();
  private readonly unsubscribe: () => void;
  private stopping = false;

  constructor(private readonly options: FunctionHostOptions) {
    this.unsubscribe = options.source.onChange((change) => {
      // A new function is built on its first invocation; an update or deletion retires the running one.
      if (change.kind === 'function' && change.change !== 'created') this.retire(change.function.arn);
    });
  }

  /** Runs the function a name or ARN names, as deployed now. */
  async invoke(nameOrArn: string, event: unknown): Promise<InvokeResult> {
    if (this.stopping) {
      return { ok: false, errorType: STOPPING_ERROR, errorMessage: `${nameOrArn} is not invoked: the offline runtime is stopping`, requestId: randomUUID() };
    }
    const deployed = this.deployed(nameOrArn);
    if (!deployed) return { ok: false, errorType: FUNCTION_NOT_FOUND, errorMessage: `Function not found: ${nameOrArn}`, requestId: randomUUID() };
    let hosted: Hosted;
    try {
      hosted = this.current(deployed);
    } catch (error) {
      // The role cannot be assumed (deleted?): Lambda fails the invocation.
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      return { ok: false, errorType: name, errorMessage: message, requestId: randomUUID() };
    }
    return hosted.fn.invoke(event, this.options.invocationFault?.(deployed.name));
  }

  /** The function's credentials, as its code gets them: for calls Lambda makes on its behalf (the event source's polls). */
  credentials(functionArn: string): RoleCredentials {
    const deployed = this.deployed(functionArn);
    if (!deployed) throw new Error(`Function not found: ${functionArn}`);
    const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = this.current(deployed).credentials;
    return { accessKeyId: AccessKeyId, secretAccessKey: SecretAccessKey, sessionToken: SessionToken, expiration: new Date(Expiration) };
  }

  /** Every deployed function's limit, running invocations and throttles, by name. */
  health(): Record<string, FunctionHealth> {
    return Object.fromEntries(
      this.options.source.functions().map((deployed) => {
        const fn = this.hosted.get(deployed.arn)?.fn;
        const old = [...this.retiring].filter((retired) => retired.fn.name === deployed.name).map((retired) => retired.fn);
        const running = [fn, ...old].reduce((sum, each) => sum + (each?.running ?? 0), 0);
        const throttles = (this.pastThrottles.get(deployed.arn) ?? 0) + (fn?.throttles ?? 0);
        return [deployed.name, { concurrencyLimit: this.limitOf(deployed), running, throttles }];
      }),
    );
  }

  /** The function's concurrency limit as deployed now; 0 for an unknown function. */
  concurrencyLimit(nameOrArn: string): number {
    const deployed = this.deployed(nameOrArn);
    return deployed ? this.limitOf(deployed) : 0;
  }

  /** Invocations running now, in every function. */
  get running(): number {
    return this.all().reduce((sum, fn) => sum + fn.running, 0);
  }

  /** Refuses every invocation from now on; those running go on. */
  beginStop(): void {
    this.stopping = true;
    for (const fn of this.all()) fn.beginStop();
  }

  /** Resolves once no invocation is running, or after `timeoutMs`. */
  async idle(timeoutMs: number): Promise<void> {
    await Promise.all(this.all().map((fn) => fn.idle(timeoutMs)));
  }

  /** Stops every environment; an invocation still running fails. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.unsubscribe();
    const all = [...this.hosted.values(), ...this.retiring];
    this.hosted.clear();
    this.retiring.clear();
    await Promise.all(all.map((hosted) => this.end(hosted)));
  }

  /** The function a name or ARN names, as deployed now; undefined for a malformed name too. */
  private deployed(nameOrArn: string): DeployedFunction | undefined {
    try {
      return this.options.source.function(nameOrArn);
    } catch {
      return undefined;
    }
  }

  private limitOf(deployed: DeployedFunction): number {
    return deployed.reservedConcurrency ?? this.options.defaultConcurrency;
  }

  private all(): LocalFunction[] {
    return [...this.hosted.values(), ...this.retiring].map((hosted) => hosted.fn);
  }

  /** The LocalFunction for new invocations: built now if there is none, or if its role session is about to expire. */
  private current(deployed: DeployedFunction): Hosted {
    const hosted = this.hosted.get(deployed.arn);
    if (hosted && Date.parse(hosted.credentials.Expiration) - Date.now() > RENEW_BEFORE_MS) return hosted;
    if (hosted) this.retire(deployed.arn);
    const built = this.build(deployed);
    this.hosted.set(deployed.arn, built);
    return built;
  }

  /** New invocations get a new LocalFunction; this one stops once its running invocations end. */
  private retire(arn: string): void {
    const hosted = this.hosted.get(arn);
    if (!hosted) return;
    this.hosted.delete(arn);
    const { fn } = hosted;
    this.pastThrottles.set(arn, (this.pastThrottles.get(arn) ?? 0) + fn.throttles);
    this.retiring.add(hosted);
    fn.beginStop();
    void (async () => {
      while (!(await fn.idle(60_000)));
      // Stopped by stop() meanwhile, which ends it.
      if (!this.retiring.delete(hosted)) return;
      await this.end(hosted);
    })();
  }

  /** Stops its environments, then lets go of its code: no file goes from under a running invocation. */
  private async end({ fn, codeDir }: Hosted): Promise<void> {
    await fn.stop();
    this.options.code.release(codeDir);
  }

  private build(deployed: DeployedFunction): Hosted {
    const { harness, endpointUrl, credentialsFor, onLog } = this.options;
    const { file, exportName } = resolveHandler(deployed.codeDir, deployed.handler);
    const credentials = credentialsFor(deployed.role, deployed.name);
    const fn = new LocalFunction({
      name: deployed.name,
      bundle: file,
      exportName,
      harness,
      // Only what Lambda would set: the deployed variables and the runtime's own, not this shell's.
      environment: {
        ...deployed.environment,
        AWS_ENDPOINT_URL: endpointUrl,
        AWS_ACCESS_KEY_ID: credentials.AccessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.SecretAccessKey,
        AWS_SESSION_TOKEN: credentials.SessionToken,
        // The functions run on nodejs22.x when deployed; here they share this machine's Node.
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      timeoutSeconds: deployed.timeout,
      memoryMb: deployed.memorySize,
      region: deployed.arn.split(':')[3] ?? '',
      maxConcurrency: this.limitOf(deployed),
      log: (line) => onLog(deployed.name, line),
    });
    // Held while it may start environments: the control plane may let go of it first (an update, a deletion).
    this.options.code.retain(deployed.codeDir);
    return { fn, credentials, codeDir: deployed.codeDir };
  }
}
