import type { ReceivedAnswer } from './types';

/** Where the dashboard's API lives: the page is always served under /dashboard/. */
export const API = '/dashboard/api';

/** POST one control; a refused or unreachable call still answers a ReceivedAnswer, so the page can show it. */
export async function control(action: string, body: unknown): Promise<ReceivedAnswer> {
  try {
    const res = await fetch(`${API}/${action}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (parsed && typeof parsed === 'object' && 'ok' in parsed) return parsed as ReceivedAnswer;
    return { ok: false, message: `HTTP ${res.status}: ${text.slice(0, 300)}`, command: '' };
  } catch (err) {
    return { ok: false, message: `The dashboard server did not answer: ${String(err)}`, command: '' };
  }
}

export interface ExperimentFile {
  file: string;
  title: string;
}

/** GET /dashboard/api/experiments: a list of { file, title } (also accepted: { experiments: [...] } or plain file names). */
export async function fetchExperiments(): Promise<ExperimentFile[]> {
  const res = await fetch(`${API}/experiments`);
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const data: unknown = await res.json();
  const list = Array.isArray(data) ? data : data && typeof data === 'object' && 'experiments' in data ? (data as { experiments: unknown }).experiments : [];
  if (!Array.isArray(list)) return [];
  return list.flatMap((e: unknown): ExperimentFile[] => {
    if (typeof e === 'string') return [{ file: e, title: e }];
    if (e && typeof e === 'object' && 'file' in e && typeof e.file === 'string') {
      const title = 'title' in e && typeof e.title === 'string' ? e.title : e.file;
      return [{ file: e.file, title }];
    }
    return [];
  });
}
