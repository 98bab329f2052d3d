/** The invariants a chaos schedule is judged by: answer classes, the table against the answers (planted items too), the log lines. */
import { names } from '#spec';
import { logMessages } from '../../spec/log-messages';
import { NOT_SAVED_MESSAGE, OUTCOME_UNKNOWN_MESSAGE } from '../../spec/api-messages';
import { type AnswerKind, checkLoggedWrites, checkTable, classifyAnswer, jsonLogEntries, type SentWrite } from '../../chaos/api/chaos-invariants';
import type { StoredValue } from '../../shared/app-client/app-client';

describe('classifyAnswer tells accepted, refused and unknown apart', () => {
  it.each([
    [200, 'Product added/updated successfully.', 'accepted'],
    [202, 'A DynamoDB error occurred. Message sent to queue.', 'accepted'],
    [503, JSON.stringify({ message: NOT_SAVED_MESSAGE }), 'refused'],
    [503, JSON.stringify({ message: OUTCOME_UNKNOWN_MESSAGE }), 'unknown'],
    [
      500,
      JSON.stringify({
        message: 'Internal server error',
        reason: `Lambda throttled ${names.productFunction} (429 TooManyRequestsException: Rate Exceeded.): ...`,
      }),
      'refused',
    ],
    [429, JSON.stringify({ message: 'Too Many Requests' }), 'refused'],
    // Honest answers only: anything else breaks the invariants by itself.
    [503, JSON.stringify({ message: 'Service unavailable' }), 'wrong'],
    [500, JSON.stringify({ message: 'Internal server error' }), 'wrong'],
    [504, JSON.stringify({ message: 'Endpoint request timed out' }), 'wrong'],
    [502, 'Bad Gateway', 'wrong'],
    [400, JSON.stringify({ message: 'name: must not be blank' }), 'wrong'],
    [0, '', 'wrong'],
  ])('%d %s → %s', (status, body, answer) => {
    expect(classifyAnswer(status, body)).toBe(answer);
  });
});

describe('checkTable: every product holds its newest accepted write, never a refused one, never a planted item over an accepted write', () => {
  const sent = (id: string, ...writes: Array<[name: string, answer: AnswerKind, status?: number]>): [string, SentWrite[]] => [
    id,
    writes.map(([name, answer, status = answer === 'accepted' ? 200 : 503]) => ({ id, name, status, answer })),
  ];
  const at = (name: string, updatedAt = 1): StoredValue => ({ name, updatedAt });
  const planted = new Map([
    ['r1-p', at('planted-microseconds', Date.now() * 1000)],
    ['r1-q', at('planted-day-ahead', Date.now() + 86_400_000)],
  ]);

  it('finds nothing wrong when the accepted writes replaced the planted items, or no write was accepted for one', () => {
    const lanes = new Map([sent('r1-a', ['a1', 'accepted'], ['a2', 'unknown']), sent('r1-p', ['p1', 'accepted', 202]), sent('r1-q', ['q1', 'refused'])]);
    const items = new Map([
      ['r1-a', at('a2')],
      ['r1-p', at('p1')],
      ['r1-q', planted.get('r1-q') as StoredValue],
    ]);
    expect(checkTable(lanes, items, planted)).toEqual({
      violations: [],
      tally: { lost: 0, stale: 0, refusedStored: 0, unknownLanded: 1, wrongAnswers: 0, plantedWon: 0, plantedKept: 1 },
    });
  });

  it('flags a planted item that outlived an accepted write, on the direct path (200) or the retry path (202)', () => {
    const lanes = new Map([sent('r1-p', ['p1', 'accepted'], ['p2', 'refused']), sent('r1-q', ['q1', 'unknown'], ['q2', 'accepted', 202])]);
    const { violations, tally } = checkTable(lanes, new Map(planted), planted);
    expect(tally).toMatchObject({ plantedWon: 2, plantedKept: 0 });
    expect(violations).toEqual([
      `r1-p: still holds the item planted with updatedAt ${planted.get('r1-p')?.updatedAt} (far in the future), though the write "p1" was accepted (200)`,
      `r1-q: still holds the item planted with updatedAt ${planted.get('r1-q')?.updatedAt} (far in the future), though the write "q2" was accepted (202)`,
    ]);
  });

  it('flags a planted item that is gone with no accepted write, and one kept by a product no write reached is fine', () => {
    const lanes = new Map([sent('r1-p', ['p1', 'refused'])]);
    expect(checkTable(lanes, new Map(), planted).violations).toEqual([
      'r1-p: the item planted as "planted-microseconds" is gone, and no write to it was accepted',
      'r1-q: the item planted as "planted-day-ahead" is gone, and no write to it was accepted',
    ]);
    expect(checkTable(new Map(), new Map(planted), planted)).toMatchObject({ violations: [], tally: { plantedKept: 2 } });
  });

  it('flags lost, stale, refused, unknown and wrong answers as before', () => {
    const lanes = new Map([
      sent('r1-lost', ['l1', 'accepted']),
      sent('r1-stale', ['s1', 'accepted'], ['s2', 'accepted']),
      sent('r1-refused', ['f1', 'accepted'], ['f2', 'refused']),
      sent('r1-wrong', ['w1', 'wrong', 504]),
      sent('r1-other', ['o1', 'accepted']),
    ]);
    const items = new Map([
      ['r1-stale', at('s1')],
      ['r1-refused', at('f2')],
      ['r1-other', at('planted-day-ahead')],
    ]);
    const { violations, tally } = checkTable(lanes, items, new Map());
    expect(tally).toEqual({ lost: 1, stale: 1, refusedStored: 1, unknownLanded: 0, wrongAnswers: 1, plantedWon: 0, plantedKept: 0 });
    expect(violations).toEqual([
      'r1-wrong: write "w1" answered 504, which is neither accepted (200/202), refused (503 not saved, throttled) nor unknown (503 outcome unknown)',
      'r1-lost: the newest accepted write is "l1" (200), the table holds nothing',
      'r1-stale: the newest accepted write is "s2", the table holds the older "s1" (accepted)',
      'r1-refused: holds "f2", a write the API refused (503)',
      'r1-other: holds "planted-day-ahead", which was never sent',
    ]);
  });
});

describe("checkLoggedWrites reads the functions' JSON log lines", () => {
  // As the runtime prints them: the function's name, then Powertools Logger's JSON line.
  const line = (fn: string, message: string, keys: Record<string, unknown>) =>
    `[${fn}] ${JSON.stringify({ level: 'INFO', message, timestamp: '2026-01-01T00:00:00.000Z', service: 'product', ...keys })}`;
  const lines = [
    `[${names.productFunction}] START RequestId: 1`,
    line(names.productFunction, logMessages.stored, { productId: 'r1-a', updatedAt: 5 }),
    line(names.productFunction, logMessages.queued, { productId: 'r1-b', updatedAt: 7, messageId: 'm' }),
    line(names.productFunction, logMessages.stored, { productId: 'r2-a', updatedAt: 9 }),
    line(names.retryFunction, logMessages.stale, { productId: 'r1-b', updatedAt: 6, requestId: 'q', messageId: 'm' }),
    `[${names.productFunction}] END RequestId: 1 Duration: 3 ms`,
  ];

  it('skips lines that are not JSON', () => {
    expect(jsonLogEntries(lines).map((entry) => entry.message)).toEqual([logMessages.stored, logMessages.queued, logMessages.stored, logMessages.stale]);
  });

  it("finds this run's stored and queued writes and checks them against the table", () => {
    const held = new Map([
      ['r1-a', { name: 'a', updatedAt: 5 }],
      ['r1-b', { name: 'b', updatedAt: 6 }],
    ]);
    expect(checkLoggedWrites(lines, 'r1', held, 2)).toEqual({
      violations: [`r1-b: the runtime logged "${logMessages.queued}" at 7, the table holds 6`],
      staleDropped: 1,
    });
    held.set('r1-b', { name: 'b', updatedAt: 7 });
    expect(checkLoggedWrites(lines, 'r1', held, 2)).toEqual({ violations: [], staleDropped: 1 });
  });

  it('reports accepted writes with no matching log line, so a renamed message cannot pass unnoticed', () => {
    const renamed = [line(names.productFunction, 'Product saved', { productId: 'r1-a', updatedAt: 5 })];
    expect(checkLoggedWrites(renamed, 'r1', new Map([['r1-a', { name: 'a', updatedAt: 5 }]]), 1).violations).toEqual([
      `1 write(s) were accepted, but no log line of this run says "${logMessages.stored}" or "${logMessages.queued}" with a productId and updatedAt`,
    ]);
    expect(checkLoggedWrites([], 'r1', new Map(), 0).violations).toEqual([]);
  });
});
