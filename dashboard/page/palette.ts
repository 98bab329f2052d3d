/**
 * Okabe–Ito colours, as the experiment reports use them (chaos/report/chart.ts): colour-blind
 * safe, and every colour on the page is also said in words.
 */
export const OK = '#009E73'; // bluish green: healthy, 200 stored
export const WARN = '#E69F00'; // orange: latency, 202 queued, queue depth
export const BAD = '#D55E00'; // vermillion: faulted, errors, other answers
export const BLUE = '#0072B2'; // items in the table
export const PINK = '#CC79A7'; // the DLQ (dashed)
export const SKY = '#56B4E9';
export const GREY = '#6b6b6b';

/** The answer classes of the reports. */
export function answerClass(status: string): { label: string; colour: string } {
  if (status === '200') return { label: '200 stored', colour: OK };
  if (status === '202') return { label: '202 queued', colour: WARN };
  return { label: `${status} refused or failed`, colour: BAD };
}

export const num = (n: number | null | undefined): string => (n === null || n === undefined || Number.isNaN(n) ? 'n/a' : String(n));
export const rate = (n: number): string => (n >= 10 || Number.isInteger(n) ? String(Math.round(n)) : n.toFixed(1));
export const time = (ms: number): string => new Date(ms).toLocaleTimeString([], { hour12: false });
