/** The dashboard server's contract, as the page reads it (see dashboard/server). */

export type ServiceName = 'apigateway' | 'lambda' | 'dynamodb' | 'sns' | 'sqs';
export type ArrowName = 'api-product' | 'product-dynamodb' | 'product-sns' | 'sns-sqs' | 'sqs-retry' | 'retry-dynamodb';
export type LogSourceName = 'aws' | 'product' | 'retry' | 'runtime';

/** A LocalStack fault rule, plus the offline runtime's own fields. */
export interface FaultRule {
  service?: string;
  region?: string;
  operation?: string;
  probability?: number;
  error?: { statusCode?: number; code?: string };
  description?: string;
  durationMs?: number;
  remainingMs?: number;
  seed?: number;
}

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

export interface FunctionStats {
  name: string;
  invocations: number;
  errors: number;
  coldStarts: number;
  fallback?: 'on' | 'off';
}

export interface Snapshot {
  at: number;
  target: { endpoint: string; kind: 'offline' | 'localstack' };
  services: Record<ServiceName, { faulted: boolean; rules: FaultRule[]; latencyMs: number }>;
  faults: FaultRule[];
  effects: { latency: number; jitterMs?: number; services?: Record<string, { latency: number; jitterMs?: number }> };
  lambdaFaults: unknown[] | null;
  queue: number | null;
  dlq: number | null;
  items: number | null;
  functions: Record<'product' | 'retry', FunctionStats>;
  mapping: { uuid: string; state: string } | null;
  arrows: Record<ArrowName, { calls: number; errors: number }>;
  traffic: { running: boolean; ratePerSecond: number; answers: Record<string, number> };
  timeline: TimelinePoint[];
  experiment: null | { file: string; running: boolean; lines: string[]; exitCode?: number; reportUrl?: string };
  products: Array<{ id: string; name: string; updatedAt: number; via: 'direct' | 'queue' | 'unknown' }>;
}

export interface TimelinePoint {
  t: number;
  answers: Record<string, number>;
  queue: number | null;
  dlq: number | null;
  items: number | null;
  faulted: boolean;
}

export interface LogLine {
  at: number;
  source: LogSourceName;
  text: string;
}

/** What every control answers. */
export interface ControlAnswer {
  ok: boolean;
  message: string;
  command: string;
  status?: number;
  body?: unknown;
}
