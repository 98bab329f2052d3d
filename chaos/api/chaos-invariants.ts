/**
 * The invariants a randomized chaos schedule is judged by, once its faults have cleared: what
 * each answer to a write means, what the table must then hold, and what the functions' log
 * lines must agree with. Pure: chaos/api/chaos-schedule.ts gathers the readings.
 *
 * Every answer to a write is one of:
 * - accepted: 200 or 202. It must end in the table unless a later write to the product supersedes it.
 * - refused: a 503 whose message is NOT_SAVED_MESSAGE, or Lambda's throttling answer (API
 *   Gateway's 500 for a 429 TooManyRequestsException, or a 429). It must never appear.
 * - unknown: a 503 whose message is OUTCOME_UNKNOWN_MESSAGE. It may appear, but only in order: the
 *   table may hold it only if no accepted write was sent after it.
 * Anything else (another status, another 503, no answer) breaks the invariants by itself.
 *
 * A planted item (put straight into the table with a stamp far in the future, as an import or a
 * writer with a wrong clock would) is no accepted write: an accepted write must replace it, and
 * only a product no write was accepted for may still hold it.
 */
import { logMessages } from '../../spec/log-messages';
import { NOT_SAVED_MESSAGE, OUTCOME_UNKNOWN_MESSAGE } from '../../spec/api-messages';
import type { StoredValue } from '../../shared/app-client/app-client';

export type AnswerKind = 'accepted' | 'refused' | 'unknown' | 'wrong';

/** A write the schedule sent, and the kind of answer it got. */
export interface SentWrite {
  id: string;
  name: string;
  status: number;
  answer: AnswerKind;
}

/** What a schedule's check found, counted (the violations say it in words). */
export interface CheckTally {
  /** Accepted products whose newest accepted write is not in the table, and no newer write either. */
  lost: number;
  /** Products holding an older write than their newest accepted one. */
  stale: number;
  /** Products holding a refused write. */
  refusedStored: number;
  /** Unknown answers whose write is what the table holds (allowed: it was newest). */
  unknownLanded: number;
  /** Valid writes of this run found in a DLQ. */
  deadLettered: number;
  /** Writes answered neither accepted, refused nor unknown (a 504, a 502, another 503, no answer). */
  wrongAnswers: number;
  /** Reads answered other than 200, 404 or 503. */
  wrongReads: number;
  /** Planted items still held although a write to their product was accepted. */
  plantedWon: number;
  /** Planted items still held, no write to their product having been accepted (allowed). */
  plantedKept: number;
}

/** What an answer to a write means, from its status and body. */
export function classifyAnswer(status: number, body: string): AnswerKind {
  if (status === 200 || status === 202) return 'accepted';
  if (status === 429) return 'refused';
  let message: unknown;
  let reason: unknown;
  try {
    ({ message, reason } = JSON.parse(body) as { message?: unknown; reason?: unknown });
  } catch {
    message = body;
  }
  if (status === 503 && message === NOT_SAVED_MESSAGE) return 'refused';
  if (status === 503 && message === OUTCOME_UNKNOWN_MESSAGE) return 'unknown';
  // API Gateway's answer when Lambda throttles the function: 500 "Internal server error" (the runtime says why in `reason`).
  if (status === 500 && message === 'Internal server error' && typeof reason === 'string' && reason.includes('TooManyRequestsException')) return 'refused';
  return 'wrong';
}

type TableTally = Pick<CheckTally, 'lost' | 'stale' | 'refusedStored' | 'unknownLanded' | 'wrongAnswers' | 'plantedWon' | 'plantedKept'>;

/**
 * The table after the schedule settled, against the answers: `lanes` holds each product's writes
 * in the order they were sent (one after another per product), `planted` the items put into the
 * table before the first of them.
 */
export function checkTable(
  lanes: Map<string, SentWrite[]>,
  items: Map<string, StoredValue>,
  planted: Map<string, StoredValue>,
): { violations: string[]; tally: TableTally } {
  const violations: string[] = [];
  const tally: TableTally = { lost: 0, stale: 0, refusedStored: 0, unknownLanded: 0, wrongAnswers: 0, plantedWon: 0, plantedKept: 0 };
  for (const w of [...lanes.values()].flat().filter((record) => record.answer === 'wrong')) {
    tally.wrongAnswers += 1;
    violations.push(
      `${w.id}: write "${w.name}" answered ${w.status || 'nothing'}, which is neither accepted (200/202), refused (503 not saved, throttled) nor unknown (503 outcome unknown)`,
    );
  }
  for (const id of new Set([...lanes.keys(), ...planted.keys()])) {
    const lane = lanes.get(id) ?? [];
    const plant = planted.get(id);
    const held = items.get(id);
    const acceptedAt = lane.findLastIndex((w) => w.answer === 'accepted');
    const newest = lane[acceptedAt];
    if (held === undefined) {
      if (newest) {
        tally.lost += 1;
        violations.push(`${id}: the newest accepted write is "${newest.name}" (${newest.status}), the table holds nothing`);
      } else if (plant) violations.push(`${id}: the item planted as "${plant.name}" is gone, and no write to it was accepted`);
      continue;
    }
    if (plant && held.name === plant.name && held.updatedAt === plant.updatedAt) {
      if (newest) {
        tally.plantedWon += 1;
        violations.push(
          `${id}: still holds the item planted with updatedAt ${plant.updatedAt} (far in the future), though the write "${newest.name}" was accepted (${newest.status})`,
        );
      } else tally.plantedKept += 1;
      continue;
    }
    const heldAt = lane.findIndex((w) => w.name === held.name);
    const heldWrite = lane[heldAt];
    if (!heldWrite) {
      violations.push(`${id}: holds "${held.name}", which was never sent`);
    } else if (heldWrite.answer === 'refused') {
      tally.refusedStored += 1;
      violations.push(`${id}: holds "${held.name}", a write the API refused (${heldWrite.status})`);
    } else if (heldAt < acceptedAt) {
      tally.stale += 1;
      violations.push(`${id}: the newest accepted write is "${newest?.name}", the table holds the older "${held.name}" (${heldWrite.answer})`);
    } else if (heldWrite.answer === 'unknown') {
      tally.unknownLanded += 1;
    }
  }
  return { violations, tally };
}

/** The functions' JSON log lines (Powertools Logger), each after the runtime's `[FunctionName] ` prefix; other lines are skipped. */
export function jsonLogEntries(lines: string[]): Array<Record<string, unknown>> {
  return lines.flatMap((line) => {
    const start = line.indexOf('{');
    if (start < 0) return [];
    try {
      const entry: unknown = JSON.parse(line.slice(start));
      return entry && typeof entry === 'object' ? [entry as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

/**
 * What the functions logged for this run, against what the table holds: a write logged as stored
 * or queued must be held, or a newer one. Accepted writes with no such line are a violation too,
 * so a renamed message or key cannot leave nothing to check.
 */
export function checkLoggedWrites(
  lines: string[],
  runId: string,
  items: Map<string, StoredValue>,
  acceptedWrites: number,
): { violations: string[]; staleDropped: number } {
  const mine = jsonLogEntries(lines).filter((entry) => typeof entry.productId === 'string' && entry.productId.startsWith(`${runId}-`));
  const accepted = mine.filter((entry) => entry.message === logMessages.stored || entry.message === logMessages.queued);
  const violations: string[] = [];
  for (const { message, productId, updatedAt } of accepted) {
    const item = items.get(productId as string);
    if (!item || typeof updatedAt !== 'number' || item.updatedAt < updatedAt)
      violations.push(
        `${String(productId)}: the runtime logged "${String(message)}" at ${String(updatedAt)}, the table holds ${item ? item.updatedAt : 'nothing'}`,
      );
  }
  if (acceptedWrites > 0 && accepted.length === 0) {
    violations.push(
      `${acceptedWrites} write(s) were accepted, but no log line of this run says "${logMessages.stored}" or "${logMessages.queued}" with a productId and updatedAt`,
    );
  }
  return { violations, staleDropped: mine.filter((entry) => entry.message === logMessages.stale).length };
}
