// Coalescing of bursts: a file watcher on the task folders can fire hundreds of events a second
// (an agent writing tasks, `git checkout`, a planner's burst). Each refresh reads every task file,
// so the burst must become a few refreshes, not hundreds. The git extension does this with
// @debounce + @throttle decorators; here one small class does both, and takes its clock as a
// parameter so the unit tests can drive it without real waiting.

export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const systemClock: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

export interface DebouncerOptions {
  /** Quiet time after the last trigger before the action runs. */
  delayMs: number;
  /**
   * Longest a trigger may wait while triggers keep coming: a steady stream of events still
   * refreshes every `maxWaitMs` instead of never.
   */
  maxWaitMs?: number;
  clock?: Clock;
  /** Where a failing action's error goes (the action's own failures must not become unhandled rejections). */
  onError?: (error: unknown) => void;
}

/**
 * Runs `action` once after a burst of `trigger()` calls has gone quiet (trailing edge), at most
 * every `maxWaitMs` during a long burst, and never twice at the same time: a trigger that arrives
 * while the action runs schedules exactly one more run after it.
 */
export class Debouncer {
  private timer: unknown;
  private firstTriggerAt: number | undefined;
  private running: Promise<void> | undefined;
  private rerunRequested = false;
  private disposed = false;
  private readonly clock: Clock;
  /** How many times the action has started; the tests read it. */
  runs = 0;

  constructor(
    private readonly action: () => void | Promise<void>,
    private readonly options: DebouncerOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  trigger(): void {
    if (this.disposed) return;
    const now = this.clock.now();
    this.firstTriggerAt ??= now;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    const waited = now - this.firstTriggerAt;
    const maxWait = this.options.maxWaitMs ?? Number.POSITIVE_INFINITY;
    const delay = Math.max(0, Math.min(this.options.delayMs, maxWait - waited));
    this.timer = this.clock.setTimeout(() => this.fire(), delay);
  }

  /** Run now if a trigger is waiting; resolves when the action (and any rerun) has finished. */
  async flush(): Promise<void> {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.fire();
    }
    while (this.running) await this.running;
  }

  /** Resolves once nothing is scheduled or running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  get pending(): boolean {
    return this.timer !== undefined || this.running !== undefined;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    this.firstTriggerAt = undefined;
    if (this.disposed) return;
    if (this.running) {
      this.rerunRequested = true;
      return;
    }
    this.runs++;
    this.running = (async () => {
      try {
        await this.action();
      } catch (e) {
        this.options.onError?.(e);
      }
    })().finally(() => {
      this.running = undefined;
      if (this.rerunRequested && !this.disposed) {
        this.rerunRequested = false;
        this.fire();
      }
    });
  }
}

/**
 * At most one `action` per `frameMs`: the first trigger after a quiet frame runs it at once (a
 * user's click shows at once), the triggers within the frame after it run it once at the frame's
 * end (a run's stream of events redraws the views at most 1000/frameMs times a second, with the
 * latest state). The session's change notifications go through one (session.ts): each of them
 * re-renders every view's rows, the status bar and the context keys.
 */
export class Throttle {
  private timer: unknown;
  private lastRun = Number.NEGATIVE_INFINITY;
  private disposed = false;
  private readonly clock: Clock;
  /** How many times the action ran (tests). */
  runs = 0;

  constructor(
    private readonly action: () => void,
    private readonly options: { frameMs: number; clock?: Clock },
  ) {
    this.clock = options.clock ?? systemClock;
  }

  trigger(): void {
    if (this.disposed || this.timer !== undefined) return;
    const wait = this.lastRun + this.options.frameMs - this.clock.now();
    if (wait <= 0) this.run();
    else this.timer = this.clock.setTimeout(() => this.run(), wait);
  }

  /** Run now if a trigger is waiting for its frame's end. */
  flush(): void {
    if (this.timer !== undefined) this.run();
  }

  get pending(): boolean {
    return this.timer !== undefined;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private run(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.disposed) return;
    this.lastRun = this.clock.now();
    this.runs++;
    this.action();
  }
}
