/**
 * Where a terraform command's time went, read from the provider's own debug log (TF_LOG=DEBUG):
 * each "HTTP Response Received" entry carries the call's `http.duration`, so the same figures hold
 * for every target: the calls, the sum of their durations as the provider saw them (the server's
 * answer plus the loopback hop), terraform's time before the changes (the provider launched 3 or
 * 4 times, validate, plan, refresh), and the changes themselves split into the time a call was in
 * flight and the rest: the provider waiting on its own timers (the SQS attribute waiters' 6 polls
 * 5 s apart, Lambda's 5 s delay).
 */

/** One terraform command, read back from its debug log. */
export interface DeployPhase {
  seconds: number;
  /** HTTP calls the provider made (responses it logged). */
  calls: number;
  /** Sum of the calls' durations as the provider measured them (server time plus the loopback hop). */
  answeringSeconds: number;
  /** Wall time during which at least one call was in flight (the union of the calls' intervals). */
  inFlightSeconds: number;
  /**
   * Terraform before the apply (or destroy) proper: its start, the provider's launches (3 or 4,
   * each a few seconds), validate, plan and refresh, up to the first call of the last provider launch.
   */
  beforeSeconds: number;
  /** The apply (or destroy) proper: from the last provider launch's first call to the end. */
  properSeconds: number;
  /** Of which at least one call in flight. */
  properInFlightSeconds: number;
  /** Of which no call in flight: the provider waiting on its own timers (and terraform's bookkeeping). */
  properIdleSeconds: number;
  /** Calls per `Service.Operation`. */
  operations: Record<string, number>;
  /** Calls the provider got a 5xx for, per operation. */
  serverErrors: Record<string, number>;
  /** Calls the server's own log lists (the offline runtime only). */
  serverCalls?: number;
}

const stamp = (line: string): number | undefined => {
  const raw = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(Z|[+-]\d\d:?\d\d)?\s/.exec(line);
  if (!raw) return undefined;
  const zone = raw[2] === undefined || raw[2] === 'Z' ? 'Z' : raw[2].replace(/^([+-]\d\d)(\d\d)$/, '$1:$2');
  return Date.parse(`${raw[1]}${zone}`);
};

const attribute = (line: string, key: string): string | undefined => {
  const match = new RegExp(`(?:^|\\s)${key.replace(/\./g, '\\.')}=("[^"]*"|\\S+)`).exec(line);
  return match?.[1]?.replace(/^"|"$/g, '');
};

/**
 * The log's entries: each starts with a timestamp; a multi-line value (a request or response
 * body) continues on the lines after it, and the entry's other attributes follow the value.
 */
function logEntries(logText: string): string[] {
  const entries: string[] = [];
  for (const line of logText.split('\n')) {
    if (stamp(line) !== undefined || entries.length === 0) entries.push(line);
    // A body's lines (`  | …`) are left out: only the attributes are read.
    else if (!/^\s*\|/.test(line)) entries[entries.length - 1] += `\n${line}`;
  }
  return entries;
}

/** The figures of one terraform command from its TF_LOG=DEBUG file; `started`/`ended` are Date.now() around it. */
export function readPhase(logText: string, started: number, ended: number): DeployPhase {
  const intervals: Array<[number, number]> = [];
  const operations: Record<string, number> = {};
  const serverErrors: Record<string, number> = {};
  // The first call of the last provider launch: where the apply (or destroy) proper begins.
  let lastLaunch: number | undefined;
  let properFrom: number | undefined;
  let answeringMs = 0;
  for (const line of logEntries(logText)) {
    if (/plugin started/.test(line) && line.includes('terraform-provider-aws')) {
      lastLaunch = stamp(line);
      properFrom = undefined;
      continue;
    }
    if (line.includes('HTTP Request Sent')) {
      properFrom ??= stamp(line) ?? lastLaunch;
      continue;
    }
    if (!line.includes('HTTP Response Received')) continue;
    const at = stamp(line);
    const duration = Number(attribute(line, 'http.duration') ?? NaN);
    if (at === undefined || !Number.isFinite(duration)) continue;
    answeringMs += duration;
    intervals.push([at - duration, at]);
    const name = `${attribute(line, 'rpc.service') ?? '?'}.${attribute(line, 'rpc.method') ?? '?'}`;
    operations[name] = (operations[name] ?? 0) + 1;
    if (Number(attribute(line, 'http.status_code')) >= 500) serverErrors[name] = (serverErrors[name] ?? 0) + 1;
  }
  intervals.sort((a, b) => a[0] - b[0]);
  /** The time at least one call was in flight from `since` on. */
  const inFlight = (since: number) => {
    let ms = 0;
    let reach = since;
    for (const [from, to] of intervals) {
      if (to <= reach) continue;
      ms += to - Math.max(from, reach);
      reach = to;
    }
    return ms;
  };
  const proper = Math.min(Math.max(properFrom ?? started, started), ended);
  const properInFlight = inFlight(proper);
  const s = (ms: number) => Math.round(ms / 10) / 100;
  return {
    seconds: s(ended - started),
    calls: intervals.length,
    answeringSeconds: s(answeringMs),
    inFlightSeconds: s(inFlight(-Infinity)),
    beforeSeconds: s(proper - started),
    properSeconds: s(ended - proper),
    properInFlightSeconds: s(properInFlight),
    properIdleSeconds: s(Math.max(0, ended - proper - properInFlight)),
    operations,
    serverErrors,
  };
}
