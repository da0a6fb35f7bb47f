// A spare engine process, forked before anyone presses Start (issue 17 item 3, docs/decisions.md
// "The engine in the extension host"). Forking copies the whole extension host's page tables and
// blocks its event loop meanwhile: tens of ms in a big host, more on a loaded machine. Done at a
// quiet moment (a while after the Swarm view opened, and again a while after a run that used the
// spare ended), the Start itself forks nothing: its run takes the spare (engineChild.ts ChildRun).
//
// The spare only waits for its start message (src/engineChild/serve.ts): no workspace, no git, no
// agent. It is killed when the extension deactivates (SIGKILL: it holds nothing), and it ends by
// itself when the extension host dies (its IPC channel closes: serve.ts), so it is never an orphan.
// A spare that died meanwhile is dropped, and that Start forks as before. No vscode import.

import type { ChildProcess } from 'node:child_process';
import { forkEngineChild, startEngineChild, type EngineChildOptions, type EngineChildStarter } from './engineChild';

export interface EngineSpareOptions {
  /** Fork one engine process (default: forkEngineChild, dist/engine-child.js). */
  fork?: () => ChildProcess;
  /** How long after prepare() the spare is forked (default 2 s: not inside activation, not inside a run's start). */
  delayMs?: number;
  /** Whether a start could come now (a repository with the engine process and no run yet); asked when the delay is over. */
  wanted?: () => boolean;
}

export class EngineSpare {
  private spare: ChildProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private disposed = false;
  private readonly fork: () => ChildProcess;
  private readonly delayMs: number;
  private readonly wanted: () => boolean;
  /** How many spares were forked, and how many starts took one (tests, the bench). */
  forked = 0;
  taken = 0;

  constructor(options: EngineSpareOptions = {}) {
    this.fork = options.fork ?? (() => forkEngineChild());
    this.delayMs = options.delayMs ?? 2000;
    this.wanted = options.wanted ?? (() => true);
  }

  /** The spare waiting now, if any (tests). */
  get current(): ChildProcess | undefined {
    return this.spare && usable(this.spare) ? this.spare : undefined;
  }

  /** Have a spare ready in a while (nothing when one is ready or coming). */
  prepare(): void {
    if (this.disposed || this.timer || this.current) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A run already going (started within the delay) prepares again when it ends: no spare beside it.
      if (this.disposed || this.current || !this.wanted()) return;
      const child = this.fork();
      this.forked++;
      this.spare = child;
      child.on('error', () => undefined); // a failed fork or channel: dropped below, the next Start forks
      child.once('exit', () => {
        if (this.spare === child) this.spare = undefined;
      });
    }, this.delayMs);
    this.timer.unref();
  }

  /** The spare, now this caller's (undefined: none ready; fork one). */
  take(): ChildProcess | undefined {
    const child = this.current;
    this.spare = undefined;
    if (child) this.taken++;
    return child;
  }

  /**
   * engineChild.ts's starter, with the spare when one is ready. A start that names its own entry
   * (tests with the sources) forks it. Once the run ends, a new spare is prepared for the next start.
   */
  readonly start: EngineChildStarter = (options: EngineChildOptions) => {
    const child = options.entry || options.child ? undefined : this.take();
    const run = startEngineChild(child ? { ...options, child } : options);
    void run.done.finally(() => this.prepare());
    return run;
  };

  /** Kill the spare (deactivate): a process that never got a start message holds nothing. */
  dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const child = this.spare;
    this.spare = undefined;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

function usable(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null && child.connected;
}
