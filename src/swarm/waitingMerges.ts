// Decisions and waiting merges, applied beside the workers: decision files written by another
// process (the CLI while the extension runs the swarm, or the other way round), decisions made in
// this process, and merges waiting for the user's own uncommitted changes on the base checkout,
// retried when the base head or that checkout changes.

import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { TaskFlow } from './flow';
import type { RunContext } from './runContext';
import { mergeWaits, stepOf } from './status';
import { baseFingerprint } from './base';
import { sleep } from './util';
import type { SwarmEvent } from './types';

export class WaitingMerges {
  /** Files git named as in the way of each waiting merge (from merge_waiting events). */
  private readonly waitingFiles = new Map<string, string[]>();

  constructor(private readonly run: Pick<RunContext, 'deps' | 'flow' | 'emit' | 'wake' | 'owned' | 'mergeWaiters' | 'summary' | 'signal'>) {}

  /** Passes over decisions or waiting merges in flight: the run ends after them, never under them. */
  private readonly passes = new Set<Promise<void>>();
  private track(p: Promise<void>): Promise<void> {
    const settled = p.catch(() => undefined);
    this.passes.add(settled);
    void settled.finally(() => this.passes.delete(settled));
    return p;
  }
  /**
   * Resolves when no pass is in flight, or after `boundMs` (a git call stuck that long is not
   * waited for): the run's end waits for it, so nothing of a run writes after it ended.
   */
  async settled(boundMs: number): Promise<void> {
    const bound = new AbortController();
    const all = (async () => {
      while (this.passes.size) await Promise.all([...this.passes]);
    })();
    await Promise.race([all, sleep(boundMs, bound.signal)]);
    bound.abort();
  }

  /** Every event of the run passes here first. */
  observe(e: SwarmEvent): void {
    if (e.type === 'merge_waiting') this.waitingFiles.set(e.taskId, e.files);
  }

  /** A pass over the decision files is running. */
  private decisionsBusy = false;
  /** Apply the decision files another process wrote (state.takeDecisions). */
  applyDecisionFiles(): Promise<void> {
    return this.track(this.applyDecisionFilesNow());
  }
  private async applyDecisionFilesNow(): Promise<void> {
    // A decision taken from the inbox is applied (it is never dropped); none is taken once the run stops.
    if (this.decisionsBusy || this.run.signal.aborted) return;
    this.decisionsBusy = true;
    try {
      // One decision at a time: once the run stops, the rest stay in the inbox for the next run.
      while (!this.run.signal.aborted) {
        const { accepted, refused } = await this.run.deps.state.takeDecisions(1);
        // Only decisions signed by the extension or the CLI apply (docs/security.md, human decisions).
        for (const x of refused) this.run.emit({ type: 'decision_refused', taskId: x.taskId, source: x.file, reason: `not applied: ${x.why}` });
        const d = accepted[0];
        if (!d) break;
        const r = await this.applyDecision(d.taskId, d.kind, d.sha, d.text, d.by, d.nonce);
        if (!r.ok)
          this.run.emit({ type: 'human_decision', taskId: d.taskId, decision: d.kind, sha: d.sha, text: d.text, applied: false, detail: JSON.stringify(r) });
      }
    } catch (e) {
      this.run.emit({ type: 'log', level: 'error', message: `applying decisions: ${(e as Error).message}` });
    } finally {
      this.decisionsBusy = false;
    }
  }

  /** A human decision, applied here unless a worker holds the task (flow.ts decides). */
  async applyDecision(
    taskId: string,
    kind: Parameters<TaskFlow['decide']>[1],
    sha: string,
    text?: string,
    by?: string,
    nonce?: string,
  ): ReturnType<TaskFlow['decide']> {
    if (this.run.owned.has(taskId)) return { ok: false, reason: 'not_awaiting', detail: `task ${taskId} is being worked on` };
    this.run.owned.add(taskId);
    try {
      const r = await this.run.flow.decide(taskId, kind, sha, text, by, nonce);
      if (r.ok && r.applied === 'merged') this.run.summary.merged.push(taskId);
      if (r.ok && r.applied === 'completed_without_change') this.run.summary.completedWithoutChange!.push(taskId);
      const st = await this.run.deps.state.readTask(taskId);
      if (st && mergeWaits(st.status, st.resumeStep)) this.run.mergeWaiters.add(taskId);
      return r;
    } finally {
      this.run.owned.delete(taskId);
      this.run.wake.notify();
    }
  }

  private retryingMerges = false;
  /** Base head + the base checkout's status at the last retry: nothing changed, nothing to retry. */
  private lastMergeFingerprint = '';

  private async mergeFingerprint(): Promise<string> {
    const { git, base } = this.run.deps;
    const head = (await git.readBranch(base)) ?? '';
    const checkout = (await git.worktrees()).find((w) => w.branch === `refs/heads/${base}`);
    const status = checkout ? (await git.status(checkout.path).catch(() => [])).join('\n') : '';
    // The files git named as in the way: an ignored file the user removes shows in no status.
    const blockers = checkout
      ? [...this.run.mergeWaiters]
          .flatMap((id) => this.waitingFiles.get(id) ?? [])
          .map((f) => {
            try {
              const s = statSync(join(checkout.path, f));
              return `${f}:${s.size}:${s.mtimeMs}`;
            } catch {
              return `${f}:-`;
            }
          })
      : [];
    // And a slow safety net for anything else that changes out of sight.
    const epoch = Math.floor(Date.now() / 30_000);
    const baseState = await baseFingerprint(git, base, this.run.deps.merges.watch); // the user's operation ends, the base is accepted
    return `${head}\n${status}\n${blockers.join('\n')}\n${epoch}\n${[...this.run.mergeWaiters].sort().join(',')}\n${baseState}`;
  }

  /** Retry the waiting merges when the base or the user's checkout changed since the last try. */
  retry(): Promise<void> {
    return this.track(this.retryNow());
  }
  private async retryNow(): Promise<void> {
    if (this.retryingMerges || !this.run.mergeWaiters.size || this.run.signal.aborted) return;
    this.retryingMerges = true;
    try {
      const fp = await this.mergeFingerprint();
      if (fp === this.lastMergeFingerprint) return;
      this.lastMergeFingerprint = fp;
      for (const id of [...this.run.mergeWaiters]) {
        if (this.run.signal.aborted) return; // a stopped run starts no merge; the next run retries it
        if (this.run.owned.has(id)) continue;
        const task = await this.run.deps.tasks.read(id, 'current').catch(() => undefined);
        const st = await this.run.deps.state.readTask(id);
        // Only a merge still waiting is retried: a task you asked changes on, rejected or that a
        // worker took up again has left the queue, whatever approval it once had (a merge a
        // restart found in flight is resumed here too).
        if (!task || !st || !(mergeWaits(st.status, st.resumeStep) || stepOf(st.status, st.resumeStep) === 'merge')) {
          this.run.mergeWaiters.delete(id);
          continue;
        }
        this.run.owned.add(id);
        try {
          const r = await this.run.flow.merge(task, st);
          if (r !== 'waiting') this.run.mergeWaiters.delete(id);
          if (r === 'merged') this.run.summary.merged.push(id);
        } finally {
          this.run.owned.delete(id);
        }
      }
    } catch (e) {
      this.run.emit({ type: 'log', level: 'error', message: `retrying merges: ${(e as Error).message}` });
    } finally {
      this.retryingMerges = false;
      this.run.wake.notify();
    }
  }
}
