/**
 * `npm run chaos -- <command>`: start and end outages, add or clear latency, and show what is
 * active, through the Chaos API of LocalStack or the offline runtime. Everything sent is checked
 * first as LocalStack checks it, so a command that works offline works on LocalStack too.
 * `redrive` moves what the dead-letter queues hold back to the product queue.
 */
import '../../shared/cli/quiet-sdk';
import { deadLetterQueues, localstack, names, region, tutorialFault } from '#spec';
import { checkRules, jsonEqual } from '../../shared/contracts/chaos-api-validate';
import { formatPath, type Problem } from '../../shared/contracts/chaos-api';
import { type Command, command, decimal, int, parse, UsageError } from '../../shared/cli/command';
import { ChaosClient, type FaultRule, regionProblem, serviceProblem } from '../api/chaos-client';
import { redrive } from '../api/redrive';
import { AppClient } from '../../shared/app-client/app-client';

export { UsageError };

type Print = (line: string) => void;

interface OutageOptions {
  service?: string;
  operation?: string;
  region?: string;
  probability?: number;
  status?: number;
  code?: string;
}

function describeRule(rule: FaultRule): string {
  const where = [rule.service ?? 'every service', rule.operation, rule.region].filter(Boolean).join(' ');
  const error = `${rule.error?.statusCode ?? 503} ${rule.error?.code ?? 'ServiceUnavailable'}`;
  return `${where}: ${Math.round((rule.probability ?? 1) * 100)}% of calls fail with ${error}`;
}

/** What is still on after a command, in one sentence. */
function remaining(rules: FaultRule[], latency: number): string {
  const faults = rules.length === 0 ? 'No fault rules remain' : `${rules.length} fault rule(s) remain: ${rules.map(describeRule).join('; ')}`;
  const delay = latency > 0 ? `latency of ${latency} ms is still on (chaos latency 0 or chaos reset clears it)` : 'no latency is on';
  return `${faults}; ${delay}.`;
}

// A schema problem in a rule, said in terms of the option that set the field.
const OPTIONS: Record<string, { option: string; value: (o: OutageOptions) => string | undefined; hint: string }> = {
  operation: { option: '--operation', value: (o) => o.operation, hint: 'an API operation name, letters only, e.g. PutItem' },
  'error.code': { option: '--code', value: (o) => o.code, hint: `an error code, letters and digits only, e.g. ${tutorialFault.error.code}` },
};

function optionProblem(problem: Problem, options: OutageOptions): string {
  const field = formatPath(problem.path.slice(1));
  const known = OPTIONS[field];
  if (!known) return `${field}: ${problem.message}.`;
  return `${known.option} ${JSON.stringify(known.value(options))} is not valid: ${problem.message} (${known.hint}).`;
}

async function outage(options: OutageOptions, endpoint: string, print: Print): Promise<void> {
  // Checked here rather than with requiredOption, so a misspelt option is reported first.
  if (options.service === undefined) throw new UsageError('outage needs --service NAME, e.g. --service dynamodb (see outage --help)');
  const { service, operation, region, probability, status, code } = options;
  const rule: FaultRule = {
    service,
    ...(operation !== undefined ? { operation } : {}),
    ...(region !== undefined ? { region } : {}),
    ...(probability !== undefined ? { probability } : {}),
    ...(status !== undefined || code !== undefined
      ? { error: { ...(status !== undefined ? { statusCode: status } : {}), ...(code !== undefined ? { code } : {}) } }
      : {}),
  };
  // Service and region must be AWS names, which is stricter than the schema's patterns.
  const problems = [
    serviceProblem(service),
    region === undefined ? undefined : regionProblem(region),
    ...checkRules([rule])
      .filter((p) => p.path[1] !== 'service' && p.path[1] !== 'region')
      .map((p) => optionProblem(p, options)),
  ].filter((p): p is string => p !== undefined);
  if (problems.length > 0) throw new UsageError(problems.join(' '));

  const client = new ChaosClient(endpoint);
  const served = await client.servedServices();
  if (served && !served.includes(service)) {
    throw new UsageError(`The target at ${endpoint} does not serve ${service}, so a rule for it would never fire. It serves ${served.join(', ')}.`);
  }
  if (probability === 0) print('Warning: --probability 0: this rule never fires (the Chaos API accepts it all the same).');
  const active = await client.getFaults();
  if (active.some((r) => jsonEqual(r, rule))) return print(`Already active, nothing sent: ${describeRule(rule)}. ${active.length} rule(s) active.`);
  const rules = await client.addFaults([rule]);
  print(`Outage started: ${describeRule(rule)}. ${rules.length} rule(s) active.`);
}

async function end(service: string | undefined, endpoint: string, print: Print): Promise<void> {
  const problem = service === undefined ? undefined : serviceProblem(service);
  if (problem) throw new UsageError(problem);
  const client = new ChaosClient(endpoint);
  const [active, effects] = await Promise.all([client.getFaults(), client.getEffects()]);
  const ending = service === undefined ? active : active.filter((rule) => rule.service === service);
  if (ending.length === 0) {
    return print(`${service === undefined ? 'No fault rule is active.' : `No fault rule for ${service} is active.`} ${remaining(active, effects.latency)}`);
  }
  // DELETE removes every copy of a rule; the client sends each rule once.
  const left = service === undefined ? await client.setFaults([]) : await client.removeFaults(ending);
  print(`Ended ${active.length - left.length} rule(s). ${remaining(left, effects.latency)}`);
}

async function reset(endpoint: string, print: Print): Promise<void> {
  const client = new ChaosClient(endpoint);
  const [active, effects] = await Promise.all([client.getFaults(), client.getEffects()]);
  const [left, after] = [await client.setFaults([]), await client.setLatency(0)];
  const ended = [
    active.length > 0 ? `ended ${active.length} fault rule(s)` : undefined,
    effects.latency > 0 ? `cleared latency of ${effects.latency} ms` : undefined,
  ].filter(Boolean);
  print(`Reset: ${ended.length > 0 ? ended.join(' and ') : 'nothing was active'}. ${remaining(left, after.latency)}`);
}

async function status(endpoint: string, print: Print): Promise<void> {
  const client = new ChaosClient(endpoint);
  const [rules, effects] = await Promise.all([client.getFaults(), client.getEffects()]);
  print(
    rules.length === 0 ? 'No fault rules are active.' : `Fault rules (first match wins):\n${rules.map((r, i) => `  ${i + 1}. ${describeRule(r)}`).join('\n')}`,
  );
  print(effects.latency > 0 ? `Latency: ${effects.latency} ms on every AWS call (chaos latency 0 or chaos reset clears it).` : 'No latency.');
}

/** An SDK failure as one sentence: an unreachable target, a missing queue, or what SQS said. */
function sqsProblem(error: unknown, endpoint: string): Error {
  const { name, message, code } = error as { name?: string; message?: string; code?: string };
  if (name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue') {
    return new Error(
      `The target at ${endpoint} has no such queue (${message ?? name}): deploy the stack (npm run deploy) or start the offline runtime (npm start) first.`,
    );
  }
  const cause = (error as { cause?: { code?: string } }).cause?.code ?? code;
  if (cause && /^E[A-Z]+/.test(cause))
    return new Error(`Could not reach SQS at ${endpoint} (${cause}). Is LocalStack or the offline runtime (npm start) running?`);
  return new Error(`SQS at ${endpoint} refused the redrive: ${name ?? 'Error'}: ${message ?? String(error)}`);
}

async function redriveDeadLetters(dryRun: boolean, endpoint: string, print: Print): Promise<void> {
  const target = new AppClient(endpoint, { maxAttempts: 2 });
  const from = deadLetterQueues.join(' and ');
  if (dryRun) print(`Dry run: the messages in ${from} (nothing is moved):`);
  try {
    const { moved, total } = await redrive(target.sqs, { dryRun, print });
    const each = Object.entries(moved)
      .map(([name, n]) => `${n} from ${name}`)
      .join(', ');
    if (total === 0) return print(`Nothing to redrive: ${from} ${deadLetterQueues.length === 1 ? 'is' : 'are'} empty.`);
    if (dryRun) return print(`${total} message(s) would move to ${names.queue} (${each}). Run without --dry-run to move them.`);
    print(
      `Moved ${total} message(s) to ${names.queue} (${each}). The retry Lambda applies each write unless the table holds a newer one; one it cannot apply returns to the DLQ with its reason.`,
    );
  } catch (error) {
    throw sqsProblem(error, endpoint);
  } finally {
    target.sqs.destroy();
    target.dynamo.destroy();
  }
}

/** The command line, built afresh for each run so tests can call it again and again. */
function program(print: Print): Command {
  const chaos = command('npm run chaos --', 'Start and end outages and latency through the Chaos API of LocalStack or the offline runtime.', print)
    .usage('<command> [options]')
    .option('--endpoint <url>', `LocalStack or the offline runtime (default $CHAOS_ENDPOINT or ${localstack.endpoint})`)
    .configureHelp({ showGlobalOptions: true })
    .helpCommand('help [command]', 'show help for a command')
    .addHelpText(
      'after',
      `
Examples:
  npm run chaos -- outage --service ${tutorialFault.service} --probability ${tutorialFault.probability} --status ${tutorialFault.error.statusCode} --code ${tutorialFault.error.code}
  npm run chaos -- latency 5000
  npm run chaos -- end
  npm run chaos -- reset
  npm run chaos -- redrive --dry-run`,
    );
  const endpoint = () => chaos.opts<{ endpoint?: string }>().endpoint ?? process.env.CHAOS_ENDPOINT ?? localstack.endpoint;

  chaos
    .command('outage')
    .description('start an outage: add a fault rule that makes matching AWS calls fail')
    .option('--service <name>', 'AWS service, as LocalStack names it: dynamodb, sqs, sns, lambda, events (required)')
    .option('--operation <name>', 'only this operation, e.g. PutItem')
    .option('--region <name>', `only this region, e.g. ${region}`)
    .option('--probability <p>', 'share of calls that fail, 0 to 1 (default 1; 0 never fires)', decimal(0, 1))
    .option('--status <code>', 'HTTP status of the fault, 400 to 599 (default 503)', int(400, 599))
    .option('--code <code>', 'error code, letters and digits (default ServiceUnavailable)')
    .addHelpText('after', '\nThe service must be an AWS service name and, when the target reports its services\n(GET /_localstack/health), one it serves.')
    .action((options: OutageOptions) => outage(options, endpoint(), print));

  chaos
    .command('end')
    .description('end outages: remove every fault rule, or only those of --service (latency stays; see reset)')
    .option('--service <name>', 'only the rules of this service')
    .action((options: { service?: string }) => end(options.service, endpoint(), print));

  chaos
    .command('latency')
    .description('add latency to every AWS call (0 clears it)')
    .argument('<ms>', 'milliseconds, a whole number of at least 0', int(0))
    .action(async (ms: number) => {
      await new ChaosClient(endpoint()).setLatency(ms);
      print(ms === 0 ? 'Latency cleared.' : `Every AWS call now takes ${ms} ms longer.`);
    });

  chaos
    .command('reset')
    .description('end every outage and clear the latency')
    .action(() => reset(endpoint(), print));

  chaos
    .command('status')
    .description('show the active fault rules and latency')
    .action(() => status(endpoint(), print));

  chaos
    .command('redrive')
    .description(`move every message in the dead-letter queue (${deadLetterQueues.join(', ')}) back to ${names.queue}, and say how many moved`)
    .option('--dry-run', 'list the messages (product id, receives, reason) and move nothing')
    .addHelpText(
      'after',
      `
Uses the SQS API at the endpoint with LocalStack's test credentials. An SNS envelope (a delivery
the topic's subscription dead-lettered) is unwrapped to the product JSON the retry Lambda reads.
Only messages already in the DLQ when the redrive starts are moved, so a write that goes back
to the DLQ meanwhile (a poison message) waits for the next redrive instead of looping.`,
    )
    .action((options: { dryRun?: boolean }) => redriveDeadLetters(options.dryRun ?? false, endpoint(), print));

  return chaos;
}

/** Runs the chaos CLI on `argv` (the user's arguments); `print` receives every line of output. */
export async function runChaosCli(argv: string[], print: Print = console.log): Promise<void> {
  await parse(program(print), argv);
}
