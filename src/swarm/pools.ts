// Pools and back-off: agent turns are grouped by harness and model (a pool); rate limits and
// bursts of failures pause a pool, a paused run pauses every worker, and at most
// `maxConcurrentWorkers` turns run at once (slots).

import type { AgentFailure } from './harness/types';
import type { RunContext } from './runContext';
import type { WorkerInfo } from './types';
import { sleep } from './util';
import type { WorkerControl } from './workerControl';

interface PoolState {
  failures: number[];
  pausedUntil: number;
  reason?: string;
}

/** A CLI that went missing mid-run (uninstalled, moved) pauses its pool this long at most, then the
 *  same turn is tried again: short, so a reinstall is picked up soon; never a failed task. */
export const MISSING_CLI_PAUSE_MS = 30_000;

type PoolHost = Pick<RunContext, 'deps' | 'signal' | 'wake' | 'emit' | 'setWorker' | 'budget'> & {
  readonly paused: boolean;
  budgetWait?(reason: string): void;
  readonly control?: WorkerControl;
};

export class Pools {
  private readonly pools = new Map<string, PoolState>();
  private slotsFree: number;
  private readonly slotWaiters: (() => void)[] = [];

  constructor(
    private readonly run: PoolHost,
    maxConcurrentWorkers: number | undefined,
  ) {
    this.slotsFree = maxConcurrentWorkers ?? Number.MAX_SAFE_INTEGER;
  }

  key(harness: string, model: string | undefined): string {
    return model ? `${harness}:${model}` : harness;
  }

  /** Wait while the run or the worker is paused, the run's budget is spent, or the worker's pool is backing off: no new turn starts. */
  async gate(info: WorkerInfo, pool: string | undefined): Promise<void> {
    const { wake } = this.run;
    const signal = this.run.control?.signalFor(info.id) ?? this.run.signal; // a stopped worker leaves the gate too
    while (!signal.aborted) {
      const byYou = this.run.control?.isPaused(info.id);
      if (this.run.paused || byYou) {
        this.run.setWorker(info, { state: 'paused', waitReason: byYou ? 'paused by you' : 'the run is paused' });
        await wake.wait(1000, signal);
        continue;
      }
      const over = this.run.budget.runReached();
      if (over) {
        this.run.setWorker(info, { state: 'paused', waitReason: over });
        this.run.budgetWait?.(over);
        await wake.wait(1000, signal);
        continue;
      }
      const p = pool ? this.pools.get(pool) : undefined;
      if (p && p.pausedUntil > Date.now()) {
        this.run.setWorker(info, { state: 'paused', waitReason: `${p.reason ?? 'paused'} (pool ${pool})`, waitUntil: p.pausedUntil });
        await sleep(Math.min(1000, p.pausedUntil - Date.now()), signal);
        if (p.pausedUntil <= Date.now()) {
          p.pausedUntil = 0;
          p.failures = [];
          this.run.emit({ type: 'pool_resumed', pool: pool! });
        }
        continue;
      }
      return;
    }
  }

  /** Count a failure against the pool; rate limits and bursts of failures pause it. */
  recordFailure(pool: string, failure: AgentFailure): void {
    const lim = this.run.deps.config.limits;
    const p = this.pools.get(pool) ?? { failures: [], pausedUntil: 0 };
    this.pools.set(pool, p);
    const now = Date.now();
    p.failures = p.failures.filter((t) => now - t < lim.backoffWindowMs);
    p.failures.push(now);
    let pauseMs = 0;
    let reason = '';
    if (failure.kind === 'rate_limit') {
      pauseMs = failure.retryAfterMs ?? lim.rateLimitPauseMs;
      reason = `rate limited: ${failure.message}`;
    }
    if (failure.kind === 'missing_cli') {
      pauseMs = Math.min(MISSING_CLI_PAUSE_MS, lim.backoffPauseMs);
      reason = `the agent CLI is missing: ${failure.message} (tried again every ${Math.round(pauseMs / 1000)} s)`;
    } else if (p.failures.length >= lim.backoffFailures) {
      pauseMs = Math.max(pauseMs, lim.backoffPauseMs);
      reason = `${p.failures.length} failures within ${lim.backoffWindowMs / 1000} s (last: ${failure.message})`;
    }
    if (pauseMs > 0 && p.pausedUntil < now + pauseMs) {
      p.pausedUntil = now + pauseMs;
      p.reason = reason;
      this.run.emit({ type: 'pool_paused', pool, untilMs: p.pausedUntil, reason });
    }
  }

  /** A slot for one task or planner turn (maxConcurrentWorkers). */
  async acquireSlot(): Promise<void> {
    while (this.slotsFree <= 0) await new Promise<void>((r) => this.slotWaiters.push(r));
    this.slotsFree--;
  }

  releaseSlot(): void {
    this.slotsFree++;
    this.slotWaiters.shift()?.();
  }
}
