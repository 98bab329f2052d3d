/**
 * The dashboard's wire format: what `GET /dashboard/api/state` answers and `event: state` carries,
 * the `event: log` lines, and the controls' answers. No Node imports: the page may import these types.
 */
import type { OfflineEffects, OfflineFaultRule } from '../shared/contracts/chaos-api';

export const SERVICES = ['apigateway', 'lambda', 'dynamodb', 'sns', 'sqs'] as const;
export type ServiceName = (typeof SERVICES)[number];

export const ARROWS = ['api-product', 'product-dynamodb', 'product-sns', 'sns-sqs', 'sqs-retry', 'retry-dynamodb'] as const;
export type ArrowName = (typeof ARROWS)[number];

export type FunctionKey = 'product' | 'retry';

export interface FunctionState {
  name: string;
  invocations: number;
  errors: number;
  coldStarts: number;
  fallback?: 'on' | 'off';
}

export interface TimelinePoint {
  t: number;
  answers: Record<string, number>;
  queue: number | null;
  dlq: number | null;
  items: number | null;
  faulted: boolean;
}

export interface ExperimentState {
  file: string;
  running: boolean;
  lines: string[];
  exitCode?: number;
  reportUrl?: string;
}

export interface ProductRow {
  id: string;
  name: string;
  updatedAt: number;
  via: 'direct' | 'queue' | 'unknown';
}

export interface Snapshot {
  /** Epoch ms. */
  at: number;
  target: { endpoint: string; kind: 'offline' | 'localstack' };
  services: Record<ServiceName, { faulted: boolean; rules: OfflineFaultRule[]; latencyMs: number }>;
  /** GET /_localstack/chaos/faults as is. */
  faults: OfflineFaultRule[];
  effects: OfflineEffects;
  /** GET /_offline/chaos/lambda-faults; null on LocalStack. */
  lambdaFaults: unknown[] | null;
  /** null: the reading failed. */
  queue: number | null;
  dlq: number | null;
  items: number | null;
  functions: Record<FunctionKey, FunctionState>;
  mapping: { uuid: string; state: string } | null;
  /** Per second, over the last 5 s. */
  arrows: Record<ArrowName, { calls: number; errors: number }>;
  /** The dashboard's own writes (steady load and single sends), by answer status, cumulative. */
  traffic: { running: boolean; ratePerSecond: number; answers: Record<string, number> };
  /** One point per second, last 5 minutes. */
  timeline: TimelinePoint[];
  experiment: ExperimentState | null;
  /** Newest 50 by updatedAt. */
  products: ProductRow[];
}

export interface LogLine {
  at: number;
  source: 'aws' | 'product' | 'retry' | 'runtime';
  text: string;
}

/** Every control's answer. */
export interface ControlAnswer {
  ok: boolean;
  message: string;
  /** The equivalent curl or CLI command. */
  command: string;
  [extra: string]: unknown;
}

export interface ExperimentEntry {
  file: string;
  title: string;
  /** Runs only on the offline runtime (extensions.requires includes "offline"). */
  offlineOnly: boolean;
}
