/**
 * `npm run chaos -- <command>`: start and end outages, add or clear latency, and show what is
 * active, through the Chaos API of LocalStack or the offline runtime.
 */
import { parseArgs } from 'node:util';
import { localstack } from '../infra/spec';
import { ChaosApiError, ChaosClient, checkRule, type FaultRule } from './lib/chaos-client';

const usage = `Usage: npm run chaos -- <command> [options]

Commands:
  outage            start an outage: add a fault rule
                      --service NAME       AWS service, e.g. dynamodb (required)
                      --operation NAME     only this operation, e.g. PutItem
                      --region NAME        only this region, e.g. us-east-1
                      --probability P      share of calls that fail, 0 to 1 (default 1)
                      --status CODE        HTTP status of the fault, 400 to 599 (default 503)
                      --code CODE          error code, e.g. SomethingWentWrong (default ServiceUnavailable)
  end               end outages: remove every rule, or only those of --service NAME
  latency MS        add MS milliseconds to every AWS call (0 clears it)
  status            show the active fault rules and latency

Options:
  --endpoint URL    LocalStack or the offline runtime (default $CHAOS_ENDPOINT or ${localstack.endpoint})
  --help            show this help

Examples:
  npm run chaos -- outage --service dynamodb --probability 0.8 --status 500 --code SomethingWentWrong
  npm run chaos -- latency 5000
  npm run chaos -- end`;

export class UsageError extends Error {}

function number(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${name} must be a number, got "${raw}"`);
  return value;
}

function describeRule(rule: FaultRule): string {
  const where = [rule.service ?? 'every service', rule.operation, rule.region].filter(Boolean).join(' ');
  const error = `${rule.error?.statusCode ?? 503} ${rule.error?.code ?? 'ServiceUnavailable'}`;
  return `${where}: ${Math.round((rule.probability ?? 1) * 100)}% of calls fail with ${error}`;
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
    allowPositionals: true,
    options: {
      endpoint: { type: 'string' },
      service: { type: 'string' },
      operation: { type: 'string' },
      region: { type: 'string' },
      probability: { type: 'string' },
      status: { type: 'string' },
        code: { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message} (see --help)`);
  }
}

export async function runChaosCli(argv: string[], print: (line: string) => void = console.log): Promise<void> {
  const { values, positionals } = parse(argv);
  const [command, ...rest] = positionals;
  if (values.help || !command) return print(usage);
  const client = new ChaosClient(values.endpoint ?? process.env.CHAOS_ENDPOINT ?? localstack.endpoint);

  switch (command) {
    case 'outage': {
      if (!values.service) throw new UsageError('outage needs --service, e.g. --service dynamodb');
      const statusCode = number(values.status, '--status');
      const rule: FaultRule = {
        service: values.service,
        ...(values.operation ? { operation: values.operation } : {}),
        ...(values.region ? { region: values.region } : {}),
        ...(values.probability !== undefined ? { probability: number(values.probability, '--probability') } : {}),
        ...(statusCode !== undefined || values.code ? { error: { ...(statusCode !== undefined ? { statusCode } : {}), ...(values.code ? { code: values.code } : {}) } } : {}),
      };
      const problems = checkRule(rule);
      if (problems.length > 0) throw new UsageError(problems.join('; '));
      const rules = await client.addFaults([rule]);
      return print(`Outage started: ${describeRule(rule)}. ${rules.length} rule(s) active.`);
    }
    case 'end': {
      const active = await client.getFaults();
      const ending = values.service ? active.filter((rule) => rule.service === values.service) : active;
      if (ending.length === 0) return print(values.service ? `No outage of ${values.service} is active.` : 'No outage is active.');
      const left = values.service ? await client.removeFaults(ending) : await client.setFaults([]);
      return print(`Ended ${ending.length} rule(s); ${left.length} still active.`);
    }
    case 'latency': {
      const ms = number(rest[0], 'latency');
      if (ms === undefined || !Number.isInteger(ms) || ms < 0) throw new UsageError('latency needs a whole number of milliseconds, e.g. latency 5000 (0 clears it)');
      await client.setLatency(ms);
      return print(ms === 0 ? 'Latency cleared.' : `Every AWS call now takes ${ms} ms longer.`);
    }
    case 'status': {
      const [rules, effects] = await Promise.all([client.getFaults(), client.getEffects()]);
      print(rules.length === 0 ? 'No fault rules are active.' : `Fault rules (first match wins):\n${rules.map((r, i) => `  ${i + 1}. ${describeRule(r)}`).join('\n')}`);
      return print(effects.latency > 0 ? `Latency: ${effects.latency} ms on every AWS call.` : 'No latency.');
    }
    default:
      throw new UsageError(`Unknown command "${command}". Commands: outage, end, latency, status (see --help).`);
  }
}

if (require.main === module) {
  runChaosCli(process.argv.slice(2)).catch((error: unknown) => {
    if (error instanceof UsageError || error instanceof ChaosApiError) {
      console.error(`Error: ${(error as Error).message}`);
      process.exit(2);
    }
    console.error(error);
    process.exit(1);
  });
}
