// The run timeline's model (README, "Watching the swarm work"): a run's journal
// (`.swarm/runs/<id>/events.jsonl`, the engine's events with their times) turned into one lane per
// worker holding spans over time — agent turns, reviewer turns, merges, and waits (a paused
// worker, a task waiting for you, for your local changes, for the base or for budget). Pure: no
// vscode, no fs; the timeline panel (src/extension/timelinePanel.ts) reads the journal, the page
// (src/webview/timeline.ts) draws the model with timelineSvg.ts. One pass over the events.

import type { JournalEntry, SwarmEvent } from '../swarm/types';
import { STATUS } from '../swarm/status';
import { formatUsage } from '../swarm/cost';

export type SpanKind = 'turn' | 'review' | 'merge' | 'wait' | 'idle';

export interface TimelineSpan {
  /** Index into TimelineModel.lanes. */
  lane: number;
  /** Row inside the lane: overlapping spans of one lane are stacked (a merge waiting while the worker works on). */
  row: number;
  kind: SpanKind;
  /** Epoch ms. */
  start: number;
  end: number;
  /** Still going: the run is live and the span had not ended at the last event (drawn up to `now`). */
  open: boolean;
  taskId?: string;
  /** Short words drawn in the span when it is wide enough. */
  label: string;
  /** The hover text: what, which task, how long, how it ended. */
  detail: string;
  /** The span ended badly (a failed turn, a conflict, a rejection). */
  failed?: boolean;
}

export interface TimelineLane {
  id: string;
  /** "w1 · worker · claude opus" */
  label: string;
  rows: number;
}

export interface TimelineModel {
  runId: string;
  start: number;
  end: number;
  live: boolean;
  lanes: TimelineLane[];
  spans: TimelineSpan[];
  /** The run's end reason when it finished. */
  reason?: string;
}

export interface TimelineOptions {
  /** The run is the one going now: spans still open at the last event end at `now` and say so. */
  live?: boolean;
  /** Epoch ms; default Date.now(). */
  now?: number;
}

/** The lane of merges and waits whose task's worker is unknown (a decision applied while no worker drove it). */
export const QUEUE_LANE = 'merge queue';

type Open = Omit<TimelineSpan, 'end' | 'open' | 'row'>;

const secs = (ms: number): string =>
  ms < 1000 ? `${Math.max(0, Math.round(ms))} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;

/** The timeline of one run from its journal lines (in order, as written). */
export function buildTimeline(entries: readonly JournalEntry[], options: TimelineOptions = {}): TimelineModel {
  const now = options.now ?? Date.now();
  const live = options.live ?? false;
  const lanes: TimelineLane[] = [];
  const laneOf = new Map<string, number>();
  const spans: TimelineSpan[] = [];
  const turnOf = new Map<string, Open>(); // worker → its agent turn
  const workerWait = new Map<string, Open>(); // worker → paused / idle
  const mergeOf = new Map<string, Open>(); // task → its merge
  const taskWait = new Map<string, Open>(); // task → a wait for you, your checkout, the base, budget
  const workerOfTask = new Map<string, string>();
  let runId = entries[0]?.runId ?? '';
  let start = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let finished: number | undefined;
  let reason: string | undefined;

  const lane = (id: string, label = id): number => {
    let i = laneOf.get(id);
    if (i === undefined) {
      i = lanes.length;
      lanes.push({ id, label, rows: 1 });
      laneOf.set(id, i);
    }
    return i;
  };
  const taskLane = (taskId: string): number => lane(workerOfTask.get(taskId) ?? QUEUE_LANE);
  const close = (o: Open | undefined, at: number, patch: { failed?: boolean } = {}, open = false): void => {
    if (!o) return;
    // The open record becomes the span (no copy: a 1,000-task run has thousands).
    const span = o as TimelineSpan;
    span.end = Math.max(o.start, at);
    span.open = open;
    span.row = 0;
    if (patch.failed) span.failed = true;
    span.detail = `${o.detail}\n${secs(span.end - o.start)}${open ? ' so far' : ''}`;
    spans.push(span);
  };
  const closeTaskWait = (taskId: string, at: number): void => {
    close(taskWait.get(taskId), at);
    taskWait.delete(taskId);
  };

  for (const e of entries) {
    const t = Date.parse(e.ts);
    if (!Number.isFinite(t)) continue;
    if (t < start) start = t;
    if (t > last) last = t;
    if (!runId && e.runId) runId = e.runId;
    handle(e, t);
  }

  function handle(e: SwarmEvent, t: number): void {
    switch (e.type) {
      case 'run_started':
        runId = e.runId;
        for (const w of e.workers) lane(w.id, `${w.id} · ${w.role} · ${w.harness}${w.model ? ` ${w.model}` : ''}`);
        return;
      case 'run_finished':
        finished = t;
        reason = e.summary.reason;
        return;
      case 'task_claimed':
        workerOfTask.set(e.taskId, e.workerId);
        lane(e.workerId);
        return;
      case 'worker_state': {
        const w = e.worker;
        const l = lane(w.id);
        close(workerWait.get(w.id), t);
        workerWait.delete(w.id);
        if (w.taskId) workerOfTask.set(w.taskId, w.id);
        if (w.state === 'paused')
          workerWait.set(w.id, { lane: l, kind: 'wait', start: t, label: 'paused', detail: `${w.id} paused${w.waitReason ? `: ${w.waitReason}` : ''}` });
        else if (w.state === 'waiting') workerWait.set(w.id, { lane: l, kind: 'idle', start: t, label: 'idle', detail: `${w.id} waits for work` });
        return;
      }
      case 'agent_started': {
        const l = lane(e.workerId);
        if (e.taskId && e.role !== 'reviewer') workerOfTask.set(e.taskId, e.workerId);
        const before = turnOf.get(e.workerId);
        if (before) {
          before.detail += '\nended without a finish line';
          close(before, t, { failed: true });
        }
        const review = e.role === 'reviewer';
        turnOf.set(e.workerId, {
          lane: l,
          kind: review ? 'review' : 'turn',
          start: t,
          taskId: e.taskId,
          label: `${review ? 'review' : e.role === 'planner' ? 'plan' : 'turn'}${e.taskId ? ` ${e.taskId}` : ''}`,
          detail: `${e.role} turn, round ${e.round}${e.taskId ? `, task ${e.taskId}` : ''} (${e.workerId})`,
        });
        return;
      }
      case 'agent_finished': {
        const o = turnOf.get(e.workerId);
        if (!o) return;
        turnOf.delete(e.workerId);
        const cost = formatUsage(e.usage);
        o.detail += e.failure ? `\nfailed${e.failureKind ? ` (${e.failureKind})` : ''}: ${e.failure}` : `\nexit ${e.exitCode ?? 'killed'}`;
        if (cost) o.detail += `\n${cost}`;
        close(o, t, e.failure ? { failed: true } : {});
        return;
      }
      case 'review_finished': {
        // The verdict goes on the reviewer's turn still open for this task, if any.
        for (const o of turnOf.values())
          if (o.kind === 'review' && o.taskId === e.taskId) {
            o.detail += `\nverdict: ${e.round.verdict ?? 'none'}`;
            o.label = `review ${e.taskId}: ${e.round.verdict ?? '?'}`;
          }
        return;
      }
      case 'merge_started': {
        closeTaskWait(e.taskId, t);
        close(mergeOf.get(e.taskId), t);
        mergeOf.set(e.taskId, {
          lane: taskLane(e.taskId),
          kind: 'merge',
          start: t,
          taskId: e.taskId,
          label: `merge ${e.taskId}`,
          detail: `merge of ${e.taskId} at ${e.sha.slice(0, 12)}`,
        });
        return;
      }
      case 'merge_check': {
        const o = mergeOf.get(e.taskId);
        if (o) o.detail += `\nmerge check ${e.check.ok ? 'passed' : e.check.timedOut ? 'timed out' : 'failed'} in ${secs(e.check.durationMs)}`;
        return;
      }
      case 'task_merged':
        close(mergeOf.get(e.taskId), t);
        mergeOf.delete(e.taskId);
        closeTaskWait(e.taskId, t);
        return;
      case 'merge_conflict': {
        const o = mergeOf.get(e.taskId);
        if (o) {
          o.detail += `\nconflict in ${e.files.join(', ')}`;
          close(o, t, { failed: true });
          mergeOf.delete(e.taskId);
        }
        return;
      }
      case 'merge_waiting': {
        const o = mergeOf.get(e.taskId);
        if (o) {
          close(o, t);
          mergeOf.delete(e.taskId);
        }
        closeTaskWait(e.taskId, t);
        taskWait.set(e.taskId, {
          lane: taskLane(e.taskId),
          kind: 'wait',
          start: t,
          taskId: e.taskId,
          label: `${e.taskId} waits`,
          detail: `merge of ${e.taskId} waits: ${e.reason}${e.files.length ? ` (${e.files.join(', ')})` : ''}`,
        });
        return;
      }
      case 'task_status': {
        if (e.workerId && e.status !== 'pending') workerOfTask.set(e.taskId, e.workerId);
        const info = STATUS[e.status];
        if (!info) return;
        if (e.status !== 'merging') {
          const m = mergeOf.get(e.taskId);
          if (m) {
            close(m, t, { failed: e.status !== 'complete' });
            mergeOf.delete(e.taskId);
          }
        }
        const waits = info.needsYou !== undefined || e.status === 'waiting_budget';
        const cur = taskWait.get(e.taskId);
        if (cur && cur.label === `${e.taskId}: ${info.label()}`) return; // the same wait again
        if (waits && e.status === 'waiting_local_changes' && cur) return; // merge_waiting opened it with the files
        closeTaskWait(e.taskId, t);
        if (waits)
          taskWait.set(e.taskId, {
            lane: taskLane(e.taskId),
            kind: 'wait',
            start: t,
            taskId: e.taskId,
            label: `${e.taskId}: ${info.label()}`,
            detail: `${e.taskId} ${info.label()}${e.detail ? `: ${e.detail}` : ''}`,
          });
        return;
      }
      case 'task_returned':
      case 'task_failed':
        closeTaskWait(e.taskId, t);
        return;
      default:
        return;
    }
  }

  if (!Number.isFinite(start)) start = now;
  const isLive = live && finished === undefined;
  const end = isLive ? Math.max(now, last) : (finished ?? Math.max(last, start));
  // What is still open: going on (live), or cut by the end of the run / the journal.
  for (const m of [turnOf, workerWait, mergeOf, taskWait]) for (const o of m.values()) close(o, end, {}, isLive);
  packRows(spans, lanes);
  return { runId, start, end, live: isLive, lanes, spans, reason };
}

/** Overlapping spans of a lane get rows of their own (first row free at the span's start). */
function packRows(spans: TimelineSpan[], lanes: TimelineLane[]): void {
  spans.sort((a, b) => a.lane - b.lane || a.start - b.start || a.end - b.end);
  let laneIdx = -1;
  let rowEnds: number[] = [];
  for (const s of spans) {
    if (s.lane !== laneIdx) {
      laneIdx = s.lane;
      rowEnds = [];
    }
    let r = rowEnds.findIndex((end) => end <= s.start);
    if (r < 0) {
      r = rowEnds.length;
      rowEnds.push(0);
    }
    rowEnds[r] = s.end;
    s.row = r;
    if (r + 1 > lanes[s.lane].rows) lanes[s.lane].rows = r + 1;
  }
}
