// Pause, resume and stop one worker of a run (README, "Watching the swarm work"; the Workers
// view's actions). A paused worker takes no new task and starts no new turn after its current one
// (the pause gate in pools.ts asks `paused()`); a stopped worker's signal aborts, which ends its
// turn the way a run stop does, for that worker only: the agent's process group is killed, its
// task is marked interrupted (recovery.ts markInterrupted) and is resumed by another worker of
// this run or by the next run. Each worker's signal also aborts when the run stops.

import type { RunContext } from './runContext';
import type { WorkerInfo } from './types';

type ControlHost = Pick<RunContext, 'infos' | 'setWorker' | 'emit' | 'wake' | 'signal'>;

export class WorkerControl {
  private readonly paused = new Set<string>();
  private readonly aborts = new Map<string, AbortController>();
  private readonly stopReasons = new Map<string, string>();

  constructor(private readonly run: ControlHost) {}

  /** The worker's signal: aborted when it is stopped or when the run stops. */
  signalFor(workerId: string): AbortSignal {
    let c = this.aborts.get(workerId);
    if (!c) {
      const ctl = new AbortController();
      c = ctl;
      this.aborts.set(workerId, ctl);
      if (this.run.signal.aborted) ctl.abort();
      else this.run.signal.addEventListener('abort', () => ctl.abort(), { once: true });
    }
    return c.signal;
  }

  isPaused(workerId: string): boolean {
    return this.paused.has(workerId);
  }

  /** A worker of this run that has not stopped, or an error naming the id. */
  private live(workerId: string): WorkerInfo {
    const w = this.run.infos.get(workerId);
    if (!w) throw new Error(`no worker "${workerId}" in this run`);
    return w;
  }

  /** Pause: it finishes its current turn, then takes no new task or turn. False when paused or stopped already. */
  pause(workerId: string): boolean {
    const w = this.live(workerId);
    if (this.paused.has(workerId) || w.state === 'stopped') return false;
    this.paused.add(workerId);
    this.run.setWorker(w, { paused: true });
    this.run.emit({
      type: 'log',
      level: 'info',
      message: `worker ${workerId} paused by you${w.state === 'running' || w.state === 'reviewing' || w.state === 'merging' ? ': it finishes its current turn, then takes nothing new' : ''}`,
    });
    this.run.wake.notify();
    return true;
  }

  /** False when it was not paused. */
  resume(workerId: string): boolean {
    const w = this.live(workerId);
    if (!this.paused.delete(workerId)) return false;
    this.run.setWorker(w, { paused: undefined });
    this.run.emit({ type: 'log', level: 'info', message: `worker ${workerId} resumed` });
    this.run.wake.notify();
    return true;
  }

  /** Stop it now: its turn is ended, its task interrupted (resumed later). False when it was stopped already. */
  stop(workerId: string, reason = 'stopped by you'): boolean {
    const w = this.live(workerId);
    const signal = this.signalFor(workerId);
    if (signal.aborted || w.state === 'stopped') return false;
    this.stopReasons.set(workerId, reason);
    this.paused.delete(workerId);
    if (w.paused) this.run.setWorker(w, { paused: undefined });
    this.run.emit({ type: 'log', level: 'info', message: `worker ${workerId} ${reason}${w.taskId ? `; ${w.taskId} is interrupted and resumes later` : ''}` });
    this.aborts.get(workerId)!.abort();
    this.run.wake.notify();
    return true;
  }

  /** Why the worker was stopped by itself (not the run), if it was. */
  stoppedBecause(workerId: string): string | undefined {
    return this.stopReasons.get(workerId);
  }
}

/**
 * The run as one worker sees it while it drives a task: everything is the run's, except the
 * signal, which is the worker's (WorkerControl.signalFor). The steps (drive.ts, work.ts,
 * review.ts) check `ctx.signal` before and after each turn: a stopped worker's drive ends there.
 */
export function workerScope(run: RunContext, signal: AbortSignal): RunContext {
  return {
    get runId() {
      return run.runId;
    },
    get runDir() {
      return run.runDir;
    },
    get deps() {
      return run.deps;
    },
    get flow() {
      return run.flow;
    },
    get signal() {
      return signal;
    },
    get wake() {
      return run.wake;
    },
    get infos() {
      return run.infos;
    },
    get metrics() {
      return run.metrics;
    },
    get summary() {
      return run.summary;
    },
    get owned() {
      return run.owned;
    },
    get mergeWaiters() {
      return run.mergeWaiters;
    },
    get pools() {
      return run.pools;
    },
    get turns() {
      return run.turns;
    },
    get ports() {
      return run.ports;
    },
    get budget() {
      return run.budget;
    },
    emit: (e) => run.emit(e),
    stop: (reason) => run.stop(reason),
    setWorker: (w: WorkerInfo, patch: Partial<WorkerInfo>) => run.setWorker(w, patch),
  };
}
