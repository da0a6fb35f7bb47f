// The swarm's worktrees as the views and `swarm cleanup` see them (Workspace.listWorktrees and
// Workspace.cleanup in workspace.ts): each with its task, what it changed, whether it is orphaned;
// and the safe removal of those no task uses (WorktreeManager.removeSafely archives unmerged work).

import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import type { CleanupReport } from './api';
import { SwarmError, WorktreeChangedError } from './errors';
import type { Git } from './git';
import type { StateStore } from './state';
import { STATUS } from './status';
import type { TaskStore } from './tasks';
import type { WorktreeInfo } from './types';
import { diskUsage, type WorktreeManager } from './worktrees';

/** What listing and cleaning up worktrees reads: the workspace's stores, and whether its own run is active. */
export interface WorktreeScope {
  git: Git;
  tasks: TaskStore;
  state: StateStore;
  worktrees: WorktreeManager;
  base: string;
  runActive: boolean;
}

export async function listWorktrees(s: WorktreeScope): Promise<WorktreeInfo[]> {
  const listing = await s.tasks.list();
  const current = new Map(listing.current.map((t) => [t.id, t]));
  const live = s.runActive || !!s.state.liveLock();
  const baseRef = `refs/heads/${s.base}`;
  const out: WorktreeInfo[] = [];
  for (const wt of await s.git.worktrees()) {
    const inDir = wt.path.startsWith(s.worktrees.dir + '/');
    if (!inDir && !wt.branch?.startsWith('refs/heads/swarm/')) continue;
    const branch = wt.branch?.replace(/^refs\/heads\//, '') ?? '(detached)';
    const taskId = inDir ? relative(s.worktrees.dir, wt.path).split('/')[0] : branch.split('/').pop();
    const task = taskId ? current.get(taskId) : undefined;
    const exists = existsSync(wt.path);
    const status = exists ? await s.git.status(wt.path).catch(() => []) : [];
    const mb = wt.head ? await s.git.mergeBase(baseRef, wt.head) : undefined;
    const committed = mb
      ? (await s.git.nameStatus(mb, wt.head)).map((l) => {
          const [s, ...p] = l.split('\t');
          return { path: p[p.length - 1], status: s };
        })
      : [];
    const seen = new Set(committed.map((c) => c.path));
    for (const l of status) {
      const p = l.slice(3);
      if (!seen.has(p)) committed.push({ path: p, status: l.slice(0, 2).trim() || 'M' });
    }
    const waiting = !task && listing.pending.some((t) => t.id === taskId && t.branch === branch);
    const orphaned = (!task && !waiting) || (!!task && !live && STATUS[task.status].inFlight);
    const st = task ? await s.state.readTask(task.id) : undefined; // its ports and predicted conflicts
    out.push({
      path: wt.path,
      branch,
      head: wt.head,
      taskId,
      workerId: task?.claimedBy,
      status: task?.status,
      ahead: wt.head ? await s.git.countAhead(baseRef, wt.head) : 0,
      changedFiles: committed,
      dirty: status.length > 0,
      orphaned,
      diskBytes: orphaned && exists ? await diskUsage(wt.path) : undefined,
      ...(st?.ports ? { ports: st.ports } : {}),
      ...(st?.predictedConflicts ? { conflicts: st.predictedConflicts } : {}),
    });
  }
  return out;
}

export async function cleanupWorktrees(s: WorktreeScope, options: { dryRun: boolean; worktree?: string }): Promise<CleanupReport> {
  const report: CleanupReport = { dryRun: options.dryRun, actions: [], freedBytes: 0 };
  if (!options.dryRun && !s.runActive && s.state.liveLock()) throw new SwarmError('a swarm is running on this repository; stop it before cleaning up', 'busy');
  const listing = await s.tasks.list();
  const current = new Map(listing.current.map((t) => [t.id, t]));
  const seenBranches = new Set<string>();
  const wts = await listWorktrees(s);
  for (const wt of wts) {
    if (options.worktree && wt.path !== options.worktree) continue;
    seenBranches.add(wt.branch);
    const task = wt.taskId ? current.get(wt.taskId) : undefined;
    if (task) {
      report.actions.push({ worktree: wt.path, branch: wt.branch, action: 'keep', reason: `task ${task.id} is ${task.status}` });
      continue;
    }
    if (listing.pending.some((t) => t.id === wt.taskId && t.branch === wt.branch)) {
      report.actions.push({ worktree: wt.path, branch: wt.branch, action: 'keep', reason: `task ${wt.taskId} is pending and continues on this branch` });
      continue;
    }
    let r: Awaited<ReturnType<WorktreeManager['removeSafely']>>;
    try {
      r = await s.worktrees.removeSafely(
        wt.taskId ?? wt.branch.replace(/\//g, '-'),
        wt.path,
        wt.branch === '(detached)' ? undefined : wt.branch,
        `refs/heads/${s.base}`,
        options.dryRun,
      );
    } catch (e) {
      // Issue 12 rule 1: a worktree that is no longer what the swarm made is left alone, and said.
      if (!(e instanceof WorktreeChangedError)) throw e;
      report.actions.push({ worktree: wt.path, branch: wt.branch, action: 'keep', reason: e.message });
      continue;
    }
    report.actions.push({
      worktree: wt.path,
      branch: wt.branch,
      action: r.archivedRef ? 'archive_and_remove' : 'remove',
      reason: r.reason,
      archivedRef: r.archivedRef,
      diskBytes: r.diskBytes,
    });
    report.freedBytes += r.diskBytes;
  }
  if (!options.worktree) {
    // Branches of the swarm with no worktree (e.g. after a crash during cleanup).
    const refs = await s.git.branchesUnder('refs/heads/swarm/');
    for (const b of refs) {
      if (seenBranches.has(b)) continue;
      const id = b.split('/').pop()!;
      if (current.has(id) || listing.pending.some((t) => t.branch === b)) {
        report.actions.push({ branch: b, action: 'keep', reason: `task ${id} still uses it` });
        continue;
      }
      const r = await s.worktrees.removeSafely(id, undefined, b, `refs/heads/${s.base}`, options.dryRun);
      report.actions.push({ branch: b, action: r.archivedRef ? 'archive_and_remove' : 'remove', reason: r.reason, archivedRef: r.archivedRef });
    }
  }
  return report;
}
