// Small concurrency helpers shared by the engine.

/** Runs callbacks one at a time, in call order. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** Sleep that ends early (resolving false) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A promise whose resolution can be triggered from outside (wakes idle workers). */
export class Signal {
  private waiters: (() => void)[] = [];
  private notified = 0;
  /** Counts notify() calls: pass it to wait() to not miss one that came while you were looking. */
  get seq(): number {
    return this.notified;
  }
  notify(): void {
    this.notified++;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  /** Until notify(), ms or the abort; at once when notify() was called since `since` (a seq). */
  wait(ms: number, signal?: AbortSignal, since?: number): Promise<void> {
    return new Promise((resolve) => {
      if (since !== undefined && since !== this.notified) return resolve();
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(t);
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      const t = setTimeout(finish, ms);
      signal?.addEventListener('abort', finish, { once: true });
      this.waiters.push(finish);
    });
  }
}

export function nowIso(): string {
  return new Date().toISOString();
}

/** What runIdNow makes (it names a folder under .swarm/runs). */
export const RUN_ID_RE = /^[0-9]{8}T[0-9]{6}Z-[a-z0-9]{1,8}$/;

export function runIdNow(): string {
  return `${new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${Math.random().toString(36).slice(2, 6)}`;
}
