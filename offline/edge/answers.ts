/** The edge's own answers, and how an answer goes out. */
import type { ServerResponse } from 'node:http';
import type { HttpAnswer } from '../protocol/http-api';
import type { AwsResponse } from '../protocol/service';

export const jsonAnswer = (statusCode: number, body: unknown): HttpAnswer => ({
  statusCode,
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

export const fromAws = ({ status, headers, body }: AwsResponse): HttpAnswer => ({ statusCode: status, headers, body });

export function sendAnswer(res: ServerResponse, answer: HttpAnswer): void {
  // Answered already (the runtime stopped before this request finished and said so).
  if (res.headersSent || res.writableEnded) return;
  res.writeHead(answer.statusCode, answer.headers);
  res.end(answer.body);
}
