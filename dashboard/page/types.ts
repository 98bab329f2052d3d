/**
 * The page's side of the dashboard's contract: the server's own types (dashboard/server/types.ts
 * imports nothing from Node, so the page bundles it too), and what only the page names.
 */
import type { ControlAnswer as ServerAnswer, LogLine } from '../server/types';

export type { ArrowName, FaultRule, FunctionState as FunctionStats, LogLine, ServiceName, Snapshot, TimelinePoint } from '../server/types';

export type LogSourceName = LogLine['source'];

/** A control's answer; `send` also carries the product API's status and body. */
export type ControlAnswer = ServerAnswer & { status?: number; body?: unknown };

/** A Lambda fault as the page builds it: AWS FIS's shape (see README, "Offline-only extensions"). */
export interface LambdaFault {
  functionName: string;
  action: 'aws:lambda:invocation-error' | 'aws:lambda:invocation-add-delay';
  invocationPercentage?: number;
  preventExecution?: boolean;
  startupDelayMilliseconds?: number;
  durationMs?: number;
  remainingMs?: number;
  seed?: number;
}
