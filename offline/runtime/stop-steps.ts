/**
 * How the runtime stops, in phases each part adds its steps to: refuse new work at once
 * (beginStop), wait a bounded time for what is under way (drain), act on what is still open
 * (drained), then clean up in the reverse order of start.
 */
export class StopSteps {
  readonly beginStop: Array<() => void> = [];
  readonly drain: Array<(timeoutMs: number) => Promise<unknown>> = [];
  readonly drained: Array<() => void> = [];
  readonly cleanup: Array<() => Promise<unknown>> = [];
  private stopped: Promise<void> | undefined;

  /** Runs the phases once, however often it is called; the drain steps share `graceMs`. */
  run(graceMs: number): Promise<void> {
    return (this.stopped ??= (async () => {
      for (const step of this.beginStop) step();
      const until = Date.now() + graceMs;
      for (const step of this.drain) await step(Math.max(0, until - Date.now())).catch(() => undefined);
      for (const step of this.drained) step();
      for (const step of this.cleanup.reverse()) await step().catch(() => undefined);
    })());
  }
}
