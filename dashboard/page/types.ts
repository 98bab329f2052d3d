/**
 * The page's side of the dashboard's contract: the server's own types (dashboard/wire.ts
 * imports nothing from Node, so the page bundles it too), and what only the page names.
 */
import type { ControlAnswer, LogLine } from '../wire';

export type { LambdaFault, OfflineFaultRule } from '../../shared/contracts/chaos-api';

export type { ArrowName, FunctionState as FunctionStats, LogLine, ServiceName, Snapshot, TimelinePoint } from '../wire';

export type LogSourceName = LogLine['source'];

/** A control's answer; `send` also carries the product API's status and body. */
export type ReceivedAnswer = ControlAnswer & { status?: number; body?: unknown };
