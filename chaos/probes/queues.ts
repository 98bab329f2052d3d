/** `probe queues`: the depths of the product queue and the DLQ against the bounds given, polled until they hold. */
import { pollUntil } from './poll';

export interface QueueBounds {
  queueMax?: number;
  queueMin?: number;
  dlqMax?: number;
}

export interface QueueDepths {
  /** Messages in ProductEventsQueue: visible, in flight and delayed. */
  queue: number;
  /** The same in the DLQ. */
  dlq: number;
}

export function withinBounds({ queue, dlq }: QueueDepths, bounds: QueueBounds): boolean {
  return (
    (bounds.queueMax === undefined || queue <= bounds.queueMax) &&
    (bounds.queueMin === undefined || queue >= bounds.queueMin) &&
    (bounds.dlqMax === undefined || dlq <= bounds.dlqMax)
  );
}

export async function queuesWithin(
  readDepths: (signal: AbortSignal) => Promise<QueueDepths>,
  bounds: QueueBounds,
  withinMs: number,
): Promise<{ depths?: QueueDepths; held: boolean; error?: unknown }> {
  const polled = await pollUntil(readDepths, (depths) => withinBounds(depths, bounds), { withinMs });
  return { depths: polled.value, held: polled.held, error: polled.value ? undefined : polled.error };
}
