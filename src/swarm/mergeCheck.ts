// The merge check (README, "Merge checks"): the project's own command, run on an exact merge result
// before the base may point at it. It runs in a scratch checkout the swarm makes for it under
// .swarm/check/ (detached at the result, prepared like a task worktree: prepareWorktreeEnv), never in
// the user's checkout, with the SWARM_* environment plus SWARM_MERGE_SHA. With the sandbox on it
// runs in it like an agent turn, and may write only its checkout and temp (sandbox.ts, role
// `check`). Its output goes to the run's logs; the record keeps the tail. A timeout or a stop kills
// its whole process tree (procKill.ts: process group, then everything carrying the turn's token).
// The check runs the branch's code, so for the base watch (base.ts) it counts as an agent turn: a
// base move while it runs is not taken as the user's without asking.

import { scrubAgentEnv } from './decisionKey';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { BaseWatch } from './base';
import { runAgentProcess } from './proc';
import type { AgentSandbox } from './sandbox';
import type { MergeCheckRecord } from './types';
import { nowIso } from './util';
import type { WorktreeManager } from './worktrees';

export interface MergeCheckSettings {
  command: string[];
  timeoutS: number;
  /** How many waiting changes one check may hold (merge.ts batches them). */
  batch: number;
}

export interface MergeCheckRun {
  /** The tasks whose changes the result holds, in merge order. */
  taskIds: string[];
  runId?: string;
  /** Where the output goes (the run's logs/); default .swarm/check-logs/. */
  logDir?: string;
  /** The run stops: the check is killed and its merge is left to do. */
  signal?: AbortSignal;
}

/** Lines of output kept in the task's state (the rest is in the log file). */
export const CHECK_TAIL_LINES = 40;

export function tailLines(text: string, n = CHECK_TAIL_LINES): string {
  const lines = text.replace(/\s+$/, '').split('\n');
  return lines.slice(-n).join('\n');
}

export class MergeChecker {
  private seq = 0;
  private swept = false;

  constructor(
    readonly settings: MergeCheckSettings,
    private readonly o: { root: string; tasksDir: string; base: string; worktrees: WorktreeManager; sandbox?: AgentSandbox; watch?: BaseWatch },
  ) {}

  get batch(): number {
    return this.settings.batch;
  }

  /** Folder of the scratch checkouts: inside .swarm/, which no agent is given. */
  get dir(): string {
    return join(this.o.root, '.swarm', 'check');
  }

  /** Scratch checkouts a stopped or crashed run left behind: removed before the first check. */
  private async sweep(): Promise<void> {
    if (this.swept) return;
    this.swept = true;
    for (const n of await fs.readdir(this.dir).catch(() => [] as string[]))
      await this.o.worktrees.removeReviewCheckout(join(this.dir, n)).catch(() => undefined);
  }

  /** Check the merge result `sha`; 'aborted' when the run stopped meanwhile. */
  async run(sha: string, r: MergeCheckRun): Promise<MergeCheckRecord | 'aborted'> {
    await this.sweep();
    const n = ++this.seq;
    const label = `${sha.slice(0, 12)}-${process.pid}-${n}`;
    const logDir = r.logDir ?? join(this.o.root, '.swarm', 'check-logs');
    const logFile = join(logDir, `merge-check-${r.taskIds.join('+').slice(0, 80)}-${label}.log`);
    await fs.mkdir(logDir, { recursive: true });
    const started = Date.now();
    const record = (ok: boolean, exitCode: number | null, timedOut: boolean, tail: string): MergeCheckRecord => ({
      sha,
      ok,
      exitCode,
      timedOut,
      durationMs: Date.now() - started,
      batch: r.taskIds,
      tail,
      logFile,
      at: nowIso(),
    });
    const cwd = await this.o.worktrees.addScratchCheckout(this.dir, label, sha);
    try {
      await fs.appendFile(logFile, `# merge check of ${sha} (${r.taskIds.join(', ')})\n`);
      const env = await this.o.worktrees.prepareWorktreeEnv(cwd, logFile, undefined, 'check');
      if (!env.ok) return record(false, null, false, env.message);
      if (r.signal?.aborted) return 'aborted';
      const childEnv: NodeJS.ProcessEnv = {
        ...scrubAgentEnv({ ...process.env }),
        SWARM_ROLE: 'check',
        SWARM_TASK_ID: r.taskIds[r.taskIds.length - 1] ?? '',
        SWARM_MERGE_TASKS: r.taskIds.join(','),
        SWARM_TASKS_DIR: this.o.tasksDir,
        SWARM_WORKTREE: cwd,
        SWARM_BASE: this.o.base,
        SWARM_RUN_ID: r.runId ?? '',
        SWARM_MERGE_SHA: sha,
      };
      await fs.appendFile(logFile, `$ ${this.settings.command.join(' ')}\n`);
      const prepared = await this.o.sandbox?.prepare({ role: 'check', cwd, harness: 'check', env: childEnv }, this.settings.command);
      await this.o.watch?.turnStarted();
      let res;
      try {
        res = await runAgentProcess({
          argv: prepared?.argv ?? this.settings.command,
          cwd,
          env: childEnv,
          timeoutMs: this.settings.timeoutS * 1000,
          logFile,
          signal: r.signal,
          tailBytes: 64 * 1024,
          killGraceMs: 1000,
        });
      } finally {
        await this.o.watch?.turnEnded();
        await prepared?.dispose();
      }
      if (res.aborted) return 'aborted';
      let tail = tailLines(`${res.stdoutTail}${res.stderrTail ? `\n${res.stderrTail}` : ''}`);
      if (res.spawnError) tail = `the check could not be started: ${res.spawnError.message}`;
      if (res.timedOut)
        tail = `${tail}\n(the check ran longer than merge_check.timeout_s = ${this.settings.timeoutS} s and was killed with its whole process tree)`;
      const ok = !res.timedOut && !res.spawnError && res.exitCode === 0;
      await fs
        .appendFile(
          logFile,
          `\n# ${ok ? 'passed' : 'FAILED'}: exit ${res.exitCode ?? res.signal}${res.timedOut ? ' (timed out)' : ''} after ${res.durationMs} ms\n`,
        )
        .catch(() => undefined);
      return record(ok, res.exitCode, res.timedOut, tail);
    } finally {
      await this.o.worktrees.removeReviewCheckout(cwd).catch(() => undefined);
    }
  }
}
