/**
 * Command-line plumbing shared by every script: commander parses, writes the help from the
 * options themselves (so help and options cannot drift) and suggests the nearest name for a
 * typo; here are the number checks, the hint for options npm kept for itself, and one way to end.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import path from 'node:path';

export { Command, InvalidArgumentError, Option };

/** A wrong command line: reported as one sentence and exit code 2. */
export class UsageError extends Error {}

/**
 * A command that throws its errors instead of exiting, so `main` reports them once. `print`
 * receives the help; tests pass their own to capture it.
 */
export function command(name: string, description: string, print: (text: string) => void = console.log): Command {
  return (
    new Command(name)
      .description(description)
      .exitOverride()
      .showSuggestionAfterError()
      // Help goes to `print` (also when shown for a missing command); errors are reported once, by `main`.
      .configureOutput({ writeOut: (text) => print(text.trimEnd()), writeErr: (text) => print(text.trimEnd()), outputError: () => undefined })
      .helpOption('-h, --help', 'show this help')
      .allowExcessArguments(false)
  );
}

function checked(raw: string, parsed: number, ok: boolean, expected: string): number {
  if (raw.trim() === '' || !Number.isFinite(parsed) || !ok) throw new InvalidArgumentError(`Expected ${expected}.`);
  return parsed;
}

/** A parser for a whole number in [min, max]. */
export function int(min: number, max = Number.MAX_SAFE_INTEGER): (raw: string) => number {
  const expected = max === Number.MAX_SAFE_INTEGER ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`;
  return (raw) => {
    const value = Number(raw);
    return checked(raw, value, Number.isInteger(value) && value >= min && value <= max, expected);
  };
}

/** A parser for any number in [min, max]. */
export function decimal(min: number, max: number): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    return checked(raw, value, value >= min && value <= max, `a number from ${min} to ${max}`);
  };
}

/**
 * `npm start --port 5000` without `--`: npm keeps `--port` as its own setting (it reaches the
 * script only as `npm_config_port`) and passes `5000` on as a stray argument. Say so. Only for
 * the program npm started (`entry` is in npm_lifecycle_script): a process that program starts
 * inherits npm's variables too, such as the npm_config_prefix npm always sets.
 */
export function npmHint(cmd: Command, env: NodeJS.ProcessEnv = process.env, entry = process.argv[1] ?? ''): string | undefined {
  const script = env.npm_lifecycle_event;
  if (!script || !entry || !env.npm_lifecycle_script?.includes(path.basename(entry))) return undefined;
  // npm files `--no-build` under npm_config_build, so a negated option is looked up without its `no-`.
  // A subcommand's options count too (`npm run chaos outage --service dynamodb`).
  const options = [...cmd.options, ...cmd.commands.flatMap((sub) => sub.options)];
  const taken = [...new Set(options.map((option) => option.long))].filter(
    (long): long is string => long !== undefined && env[`npm_config_${long.replace(/^--(no-)?/, '').replace(/-/g, '_')}`] !== undefined,
  );
  if (taken.length === 0) return undefined;
  const run = script === 'start' || script === 'test' ? `npm ${script}` : `npm run ${script}`;
  return `npm kept ${taken.join(', ')} for itself: options for the script go after --, as in \`${run} -- ${taken[0]} …\``;
}

/**
 * The message of a parse error, without commander's "error: " prefix, with the npm hint if it
 * applies. A bad value from an environment variable names the variable the user set, not the option.
 */
export function usageMessage(error: CommanderError, cmd: Command): string {
  const message = error.message
    .replace(/^error: /, '')
    .replace(/\n/g, ' ')
    .replace(/^option '[^']+' value '(.*)' from env '([^']+)' is invalid\./, "$2='$1' is invalid.");
  const hint = npmHint(cmd);
  return `${message[0]?.toUpperCase() ?? ''}${message.slice(1)}${hint ? `\n${hint}` : ''} (see --help)`;
}

/**
 * Parses `argv` (user arguments only). Returns undefined when help or a version was shown;
 * throws UsageError for a wrong command line.
 */
export async function parse(cmd: Command, argv: string[]): Promise<Command | undefined> {
  try {
    await cmd.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version') return undefined;
      throw new UsageError(usageMessage(error, cmd));
    }
    throw error;
  }
  // `npm run soak --writes=20` (no `--`) parses fine without the option: refuse rather than run without it.
  const hint = npmHint(cmd);
  if (hint) throw new UsageError(`${hint} (see --help)`);
  return cmd;
}

/**
 * Runs a script's main function and exits with its code: 2 for a wrong command line, 1 for any
 * other error, each reported as one line on stderr.
 */
// `void`: a main function that returns nothing means exit code 0.
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type
export function main(run: () => Promise<number | void>): void {
  run().then(
    (code) => process.exit(code ?? 0),
    (error: unknown) => {
      if (error instanceof UsageError) {
        console.error(`Error: ${error.message}`);
        process.exit(2);
      }
      console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}

/** Repeats of a stop signal closer together than this are the same key press. */
export const SIGNAL_REPEAT_MS = 1_000;

/**
 * Calls `first` on the first SIGINT or SIGTERM and `again` on a later one. Under `npm run`, one
 * Ctrl-C arrives twice: the terminal signals the whole process group and npm relays it to its
 * child as well. So a repeat within SIGNAL_REPEAT_MS counts as the same press. (The npm scripts
 * run `node --import tsx`, not tsx's CLI: that CLI relays signals once more and, given two close
 * together, kills its child with SIGKILL, which would skip the cleanup.)
 */
export function onStopSignal(first: (signal: NodeJS.Signals) => void, again: (signal: NodeJS.Signals) => void): void {
  let firstAt: number | undefined;
  const handle = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (firstAt === undefined) {
      firstAt = now;
      first(signal);
    } else if (now - firstAt >= SIGNAL_REPEAT_MS) {
      again(signal);
    }
  };
  process.on('SIGINT', handle);
  process.on('SIGTERM', handle);
}
