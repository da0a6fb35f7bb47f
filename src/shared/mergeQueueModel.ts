// The merge queue as the user sees it (the Merge queue view, src/extension/mergeQueueTree.ts):
// what is queued, being merged or checked (README, "Merge checks"), waiting for the user's local
// changes (with the files) or for the base branch, and why. Derived from what the engine already
// says: the tasks' statuses (src/swarm/status.ts) and the merge events (merge_started,
// merge_waiting, merge_check_started, merge_check). Pure: no vscode.

import type { MergeCheckRecord, SwarmEvent, Task } from '../swarm/types';
import { STATUS } from '../swarm/status';

export type MergeQueueKind = 'merging' | 'checking' | 'queued' | 'waiting_local_changes' | 'waiting_base';

export interface MergeQueueEntry {
  taskId: string;
  title: string;
  kind: MergeQueueKind;
  /** Why it is where it is, in words. */
  why: string;
  /** The user's files in the way (waiting for local changes). */
  files?: string[];
  /** Epoch ms it entered the queue or its wait, when known. */
  since?: number;
  /** The last merge check its change was part of. */
  lastCheck?: MergeCheckRecord;
}

interface Seen {
  started?: number;
  waitReason?: string;
  files?: string[];
  waitSince?: number;
  check?: MergeCheckRecord;
  checking?: { batch: number; since: number };
}

/** What the merge events said about each task (bounded: a task leaves when it merges or leaves `current`). */
export class MergeQueueLog {
  private readonly seen = new Map<string, Seen>();

  observe(e: SwarmEvent, now = Date.now()): boolean {
    const of = (id: string): Seen => {
      let s = this.seen.get(id);
      if (!s) {
        s = {};
        this.seen.set(id, s);
      }
      return s;
    };
    switch (e.type) {
      case 'merge_started': {
        const s = of(e.taskId);
        s.started = now;
        s.waitReason = undefined;
        s.files = undefined;
        s.waitSince = undefined;
        s.checking = undefined;
        return true;
      }
      case 'merge_check_started':
        for (const id of e.taskIds) of(id).checking = { batch: e.taskIds.length, since: now };
        return true;
      case 'merge_waiting': {
        const s = of(e.taskId);
        s.waitReason = e.reason;
        s.files = e.files;
        s.waitSince = now;
        return true;
      }
      case 'merge_check': {
        const s = of(e.taskId);
        s.check = e.check;
        s.checking = undefined;
        return true;
      }
      case 'task_merged':
      case 'task_returned':
      case 'task_failed':
        return this.seen.delete(e.taskId);
      case 'run_finished':
      case 'run_started':
        return true; // what "being merged" means changes
      default:
        return false;
    }
  }

  get(taskId: string): Readonly<Seen> | undefined {
    return this.seen.get(taskId);
  }

  /** Forget tasks no longer in `current`. */
  keepOnly(ids: ReadonlySet<string>): void {
    for (const id of [...this.seen.keys()]) if (!ids.has(id)) this.seen.delete(id);
  }
}

export interface MergeQueueOptions {
  /** The configured merge check (swarm.json merge_check): its batch size. */
  check?: { batch: number };
  /** A run is going in this window (else nothing is being merged right now). */
  running: boolean;
  /** The base branch's name. */
  base: string;
}

/** The queue, in order: being merged or checked first, then queued, then the waits. */
export function buildMergeQueue(current: readonly Task[], log: MergeQueueLog, o: MergeQueueOptions): MergeQueueEntry[] {
  const merging = current.filter((t) => t.status === 'merging');
  merging.sort((a, b) => (log.get(a.id)?.started ?? Number.MAX_SAFE_INTEGER) - (log.get(b.id)?.started ?? Number.MAX_SAFE_INTEGER) || a.id.localeCompare(b.id));
  const out: MergeQueueEntry[] = [];
  // Being checked: what the engine said it checks now (merge_check_started); without a merge check, the first in line merges.
  const checked = o.running && o.check ? merging.filter((t) => log.get(t.id)?.checking) : [];
  const inLine = merging.filter((t) => !checked.includes(t));
  for (const t of checked) {
    const seen = log.get(t.id)!;
    const n = seen.checking!.batch;
    out.push({
      taskId: t.id,
      title: t.title,
      since: seen.checking!.since,
      lastCheck: seen.check,
      kind: 'checking',
      why: `merge check running on the merge into ${o.base}${n > 1 ? ` (a batch of ${n})` : ''}`,
    });
  }
  inLine.forEach((t, i) => {
    const seen = log.get(t.id);
    const base = { taskId: t.id, title: t.title, since: seen?.started, lastCheck: seen?.check };
    if (!o.running) out.push({ ...base, kind: 'queued', why: 'approved; merges when the swarm runs again' });
    else if (i === 0 && !o.check) out.push({ ...base, kind: 'merging', why: `merging into ${o.base}` });
    else if (o.check)
      out.push({
        ...base,
        kind: 'queued',
        why: checked.length
          ? `approved; waits for the merge check running now${i ? ` (${i} ahead of it)` : ''}`
          : `approved; its merge is being built for the merge check${i ? ` (${i} ahead of it)` : ''}`,
      });
    else out.push({ ...base, kind: 'queued', why: `approved; ${i} ahead of it in the queue` });
  });
  for (const t of current) {
    const needs = STATUS[t.status]?.needsYou;
    const seen = log.get(t.id);
    if (needs === 'local_changes') {
      const files = seen?.files ?? [];
      out.push({
        taskId: t.id,
        title: t.title,
        kind: 'waiting_local_changes',
        files,
        since: seen?.waitSince,
        why: `your uncommitted changes are in the way${files.length ? ` (${files.length} file${files.length > 1 ? 's' : ''})` : ''}: commit or remove them and it merges`,
      });
    } else if (needs === 'base') {
      const reason = typeof t.meta.waiting_for === 'string' ? t.meta.waiting_for : (seen?.waitReason ?? `${o.base} is busy`);
      out.push({ taskId: t.id, title: t.title, kind: 'waiting_base', since: seen?.waitSince, why: `waits for ${o.base}: ${reason}` });
    }
  }
  return out;
}
