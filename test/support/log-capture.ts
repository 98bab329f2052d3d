/**
 * The Lambdas' JSON log lines in unit tests: Powertools logs are silent there (env.ts) unless a
 * test captures them. Each capture is undone by restoreLogs, which a suite runs after each test.
 */
let restore: (() => void) | undefined;

export function restoreLogs(): void {
  restore?.();
  restore = undefined;
}

/** Captures stdout and stderr at INFO level from now until restoreLogs; `lines()` parses the JSON lines so far. */
export function captureLogs(): { lines: () => Array<Record<string, unknown>> } {
  restoreLogs();
  const previous = process.env.POWERTOOLS_LOG_LEVEL;
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  const written: string[] = [];
  const capture = (chunk: unknown) => {
    written.push(String(chunk));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  restore = () => {
    out.mockRestore();
    err.mockRestore();
    process.env.POWERTOOLS_LOG_LEVEL = previous;
  };
  return {
    lines: () =>
      written
        .flatMap((chunk) => chunk.split('\n'))
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
