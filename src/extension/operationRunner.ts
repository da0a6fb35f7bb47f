// One runner for every user action on a repository, after the git extension's
// `Repository.run(operation, fn)`: actions are serialized (an Approve and a Clean up never
// interleave), what is in progress is known (the status bar and tests read it), and a second
// click on the same action for the same task joins the first instead of running it twice.

export type OperationKind =
  'start' | 'stop' | 'restoreQuarantined' | 'pause' | 'resume' | 'decide' | 'answer' | 'acceptBase' | 'retry' | 'createTask' | 'cleanup' | 'initialize';

export interface Operation {
  kind: OperationKind;
  /** What the operation is about (a task id, a worktree path), for de-duplication. */
  target?: string;
}

export class OperationRunner {
  private tail: Promise<unknown> = Promise.resolve();
  private readonly inFlight = new Map<string, Promise<unknown>>();
  private readonly listeners = new Set<() => void>();

  /** Operations queued or running, oldest first. */
  get operations(): Operation[] {
    return [...this.inFlight.keys()].map((key) => {
      const [kind, target] = key.split('\u0000');
      return { kind: kind as OperationKind, target: target || undefined };
    });
  }

  isRunning(kind: OperationKind, target?: string): boolean {
    return this.inFlight.has(keyOf({ kind, target }));
  }

  onDidChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Run `fn` after every queued operation. `parallel` skips the queue (still tracked and
   * de-duplicated): Stop and Pause must act at once, even behind a long clean-up.
   */
  run<T>(operation: Operation, fn: () => Promise<T>, options: { parallel?: boolean } = {}): Promise<T> {
    const key = keyOf(operation);
    const existing = this.inFlight.get(key);
    if (existing) return existing as Promise<T>;
    let result: Promise<T>;
    if (options.parallel) {
      result = Promise.resolve().then(fn);
    } else {
      result = this.tail.then(fn, fn);
      // The queue continues whether this operation succeeded or not.
      this.tail = result.catch(() => undefined);
    }
    this.inFlight.set(key, result);
    this.changed();
    const done = () => {
      this.inFlight.delete(key);
      this.changed();
    };
    result.then(done, done);
    return result;
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

function keyOf(op: Operation): string {
  return `${op.kind}\u0000${op.target ?? ''}`;
}
