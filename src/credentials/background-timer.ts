/** The two timer calls the background refresher needs; tests pass their own to fire passes by hand. */
export interface TimerApi {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** setTimeout with unref: a pending background pass never keeps the process alive. */
export const unrefTimers: TimerApi = {
  set: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Runs an async pass every `intervalMs`, the next one scheduled only after the previous one has finished. */
export class BackgroundTimer {
  private handle: unknown;
  private running = false;

  constructor(private readonly timers: TimerApi = unrefTimers) {}

  /** Schedules the first pass `intervalMs` from now; a second start replaces the first. */
  start(intervalMs: number, pass: () => Promise<void>): void {
    this.stop();
    this.running = true;
    const tick = (): void => {
      pass()
        .catch(() => undefined)
        .finally(() => {
          if (this.running) this.handle = this.timers.set(tick, intervalMs);
        });
    };
    this.handle = this.timers.set(tick, intervalMs);
  }

  /** Cancels the pending pass; one already running finishes but schedules no other. */
  stop(): void {
    this.running = false;
    if (this.handle !== undefined) this.timers.clear(this.handle);
    this.handle = undefined;
  }
}
