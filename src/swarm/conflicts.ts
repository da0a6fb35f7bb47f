// Conflict warnings while agents work (README "Conflict-aware scheduling"): each live branch (a task
// in current with commits) is compared with the base and with the other live branches by an
// off-tree merge (`git merge-tree --write-tree`, nothing is written to any checkout) when it
// changes — after the worker's turn and the swarm's commit, when a merge moves the base — never on
// a timer. A new prediction is a `conflict_predicted` event in the journal; the current ones are
// in `.swarm/tasks/<id>/conflicts.json`, read into the task's state as `predictedConflicts` for the
// Worktrees view, the task tooltip, the review panel and `swarm status`. With a git that has no
// `merge-tree --write-tree` (before 2.38), the files both sides changed are the prediction.
// The changed files it keeps per branch are what the scheduler (schedule.ts) checks too.

import { classifyGitError, type Git } from './git';
import type { StateStore } from './state';
import type { TaskStore } from './tasks';
import type { ConflictWarning, SwarmEvent } from './types';
import { Mutex, nowIso } from './util';
import { AFTER_WORK_TURN } from './status';
import { readChanges } from './policy';

export interface ConflictWatchDeps {
  git: Git;
  base: string;
  tasks: TaskStore;
  state: StateStore;
  emit(e: SwarmEvent): void;
}

interface Live {
  id: string;
  branch: string;
  tip: string;
}

export class ConflictWatch {
  private readonly queue = new Mutex();
  private pending = Promise.resolve();
  /** Files changed on a branch tip since it left the base, and that fork point, by tip (the base
   *  only moves forward by merges that do not contain a live tip, so neither changes). */
  private readonly changedCache = new Map<string, { mb: string | undefined; files: string[] }>();
  /** The base as the last merge left it: what the next merge brought is the diff from it. */
  private lastBase: string | undefined;
  /** What each task's check last saw (its tip, the base, the other live tips): unchanged → no new check. */
  private readonly lastSeen = new Map<string, string>();
  /** undefined: not known yet; false: this git has no `merge-tree --write-tree`. */
  private writeTree: boolean | undefined;

  constructor(private readonly deps: ConflictWatchDeps) {}

  /** The run's events: a status after the worker's turn, a merge, a task leaving current. */
  observe(e: SwarmEvent): void {
    if (e.type === 'task_status' && AFTER_WORK_TURN.has(e.status)) {
      // The worker's turn is over and its work committed.
      this.enqueue(() => this.check(e.taskId));
    } else if (e.type === 'task_status' && e.status === 'complete') {
      this.enqueue(() => this.forget(e.taskId));
    } else if (e.type === 'task_merged') {
      this.enqueue(() => this.forget(e.taskId).then(() => this.checkAllAgainstBase()));
    } else if (e.type === 'task_returned') {
      this.enqueue(() => this.forget(e.taskId));
    }
  }

  /** Resolves when every check asked for so far has run. */
  idle(): Promise<void> {
    return this.pending;
  }

  private enqueue(fn: () => Promise<void>): void {
    const p = this.queue.run(async () => {
      try {
        await fn();
      } catch (e) {
        this.deps.emit({ type: 'log', level: 'warn', message: `conflict check failed: ${(e as Error).message}` });
      }
    });
    this.pending = p;
  }

  /** Files changed on `tip` since it left the base (cached by tip). */
  async changedFiles(tip: string, baseTip?: string): Promise<string[]> {
    return (await this.forkOf(tip, baseTip)).files;
  }

  private async forkOf(tip: string, baseTip?: string): Promise<{ mb: string | undefined; files: string[] }> {
    const hit = this.changedCache.get(tip);
    if (hit) return hit;
    const base = baseTip ?? (await this.deps.git.readBranch(this.deps.base));
    if (!base) return { mb: undefined, files: [] };
    const mb = await this.deps.git.mergeBase(base, tip);
    // The review step reads the same diff of a new head (readChanges, shared by commit ids).
    const files = mb && mb !== tip ? (await readChanges(this.deps.git, mb, tip)).raw.map((r) => r.path) : [];
    if (this.changedCache.size > 2000) this.changedCache.clear();
    const out = { mb, files };
    this.changedCache.set(tip, out);
    return out;
  }

  /** Live branches: tasks in current, not complete, whose branch exists. */
  private async live(): Promise<Live[]> {
    const listing = await this.deps.tasks.list();
    const out: Live[] = [];
    for (const t of listing.current) {
      const st = await this.deps.state.readTask(t.id);
      const branch = st?.branch ?? t.branch;
      if (!branch) continue;
      const tip = await this.deps.git.readBranch(branch);
      if (tip) out.push({ id: t.id, branch, tip });
    }
    return out;
  }

  private async check(taskId: string): Promise<void> {
    const baseTip = await this.deps.git.readBranch(this.deps.base);
    if (!baseTip) return;
    this.lastBase ??= baseTip;
    const live = await this.live();
    const me = live.find((l) => l.id === taskId);
    if (!me) return;
    const seen = `${me.tip} ${baseTip} ${live
      .filter((l) => l !== me)
      .map((l) => `${l.id}=${l.tip}`)
      .sort()
      .join(',')}`;
    if (this.lastSeen.get(taskId) === seen) return;
    this.lastSeen.set(taskId, seen);
    const others = live.filter((l) => l !== me);
    const fork = await this.forkOf(me.tip, baseTip);
    const mine = fork.files;
    const found = new Map<string, ConflictWarning>();
    // On top of the current base, nothing of the base can conflict.
    const baseFiles = fork.mb === baseTip ? [] : await this.conflicts(baseTip, me.tip, mine);
    if (baseFiles.length) found.set(this.deps.base, { with: this.deps.base, kind: 'base', files: baseFiles, at: nowIso() });
    for (const other of others) {
      const theirs = await this.changedFiles(other.tip, baseTip);
      const both = mine.filter((f) => theirs.includes(f));
      const files = both.length ? await this.conflicts(me.tip, other.tip, both) : [];
      await this.setPair(other.id, taskId, 'task', files); // the other side sees it too
      if (files.length) found.set(other.id, { with: other.id, kind: 'task', files, at: nowIso() });
    }
    await this.replace(taskId, [...found.values()]);
  }

  /** After a merge moved the base: each live branch that changed a file the merge brought, against the new base. */
  private async checkAllAgainstBase(): Promise<void> {
    const baseTip = await this.deps.git.readBranch(this.deps.base);
    if (!baseTip) return;
    const before = this.lastBase;
    this.lastBase = baseTip;
    const live = await this.live();
    if (!live.length) return;
    const brought = before && before !== baseTip ? new Set(await this.deps.git.changedPaths(before, baseTip)) : undefined;
    for (const l of live) {
      const mine = await this.changedFiles(l.tip, baseTip);
      if (brought && !mine.some((f) => brought.has(f))) continue; // nothing the merge brought touches it
      const files = await this.conflicts(baseTip, l.tip, mine);
      await this.setPair(l.id, this.deps.base, 'base', files);
    }
  }

  private async forget(taskId: string): Promise<void> {
    this.lastSeen.delete(taskId);
    await dropConflictsOf(this.deps, taskId);
  }

  /** Set (files non-empty) or clear the warning of `taskId` about `other`. */
  private async setPair(taskId: string, other: string, kind: ConflictWarning['kind'], files: string[]): Promise<void> {
    const cur = await this.deps.state.readConflicts(taskId);
    const rest = cur.filter((w) => w.with !== other);
    const old = cur.find((w) => w.with === other);
    if (!files.length) {
      if (old) await this.deps.state.writeConflicts(taskId, rest);
      return;
    }
    await this.replace(taskId, [...rest, { with: other, kind, files, at: old?.at ?? nowIso() }]);
  }

  /** Write a task's warnings; announce the ones that are new (or name new files). */
  private async replace(taskId: string, warnings: ConflictWarning[]): Promise<void> {
    const before = await this.deps.state.readConflicts(taskId);
    const out = warnings.map((w) => ({ ...w, at: before.find((b) => b.with === w.with)?.at ?? w.at }));
    await this.deps.state.writeConflicts(taskId, out);
    for (const w of out) {
      const old = before.find((b) => b.with === w.with);
      if (!old || w.files.some((f) => !old.files.includes(f)))
        this.deps.emit({ type: 'conflict_predicted', taskId, with: w.with, kind: w.kind, files: w.files });
    }
  }

  /**
   * Files an off-tree merge of `a` and `b` leaves conflicted. `candidates`: the files both sides
   * changed (nothing else can conflict): the answer when merge-tree --write-tree is missing.
   */
  private async conflicts(a: string, b: string, candidates: string[]): Promise<string[]> {
    if (!candidates.length || a === b) return [];
    if (this.writeTree !== false) {
      const r = await this.deps.git.mergeTree(a, b, { z: true });
      if (r.code === 0) {
        this.writeTree = true;
        return [];
      }
      if (r.code === 1) {
        this.writeTree = true;
        // "<tree>\0<path>\0<path>\0..." (a path appears once per conflicted stage set)
        const [, ...paths] = r.stdout.split('\0').filter(Boolean);
        return [...new Set(paths)].sort();
      }
      if (this.writeTree === undefined && classifyGitError(r.stderr) === 'UsageError') this.writeTree = false;
      else throw new Error(`git merge-tree: ${r.stderr.trim().split('\n')[0] ?? `exit ${r.code}`}`);
    }
    return [...candidates].sort();
  }
}

/**
 * A task left current (merged, back to pending): its warnings go, and every other task's warnings
 * about it. Also called by TaskFlow (flow.ts) for decisions applied while no run watches.
 */
export async function dropConflictsOf(deps: Pick<ConflictWatchDeps, 'state' | 'tasks'>, taskId: string): Promise<void> {
  await deps.state.writeConflicts(taskId, []);
  for (const t of (await deps.tasks.list()).current) {
    const cur = await deps.state.readConflicts(t.id);
    if (cur.some((w) => w.with === taskId))
      await deps.state.writeConflicts(
        t.id,
        cur.filter((w) => w.with !== taskId),
      );
  }
}
