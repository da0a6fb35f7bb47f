// A synthetic run journal for the timeline (src/shared/timelineModel.ts): what the engine writes
// for `tasks` tasks spread over `workers` workers, each task a worker turn, a reviewer turn and a
// merge, one second apart. Used by test/unit/timeline-model.test.ts and bench/scenarios/timeline.ts.

import type { JournalEntry, SwarmEvent, WorkerInfo } from '../../src/swarm/types';

export function syntheticRun(tasks: number, workers: number, t0 = Date.parse('2026-11-30T01:00:00Z'), runId = 'run-synth'): JournalEntry[] {
  const out: JournalEntry[] = [];
  let t = t0;
  const at = (e: SwarmEvent, dt = 0): void => {
    t += dt;
    out.push({ ...e, ts: new Date(t).toISOString(), runId } as JournalEntry);
  };
  const ws: WorkerInfo[] = Array.from({ length: workers }, (_, i) => ({
    id: `w${i + 1}`,
    role: 'worker',
    harness: 'demo',
    state: 'idle',
    iteration: 0,
    iterations: tasks,
  }));
  at({ type: 'run_started', runId, workers: ws, base: 'main' });
  for (let i = 0; i < tasks; i++) {
    const w = ws[i % workers].id;
    const id = `task-${String(i).padStart(4, '0')}`;
    at({ type: 'task_claimed', taskId: id, workerId: w, branch: `swarm/${w}/${id}` }, 10);
    at({ type: 'worker_state', worker: { ...ws[i % workers], state: 'running', taskId: id } });
    at({ type: 'task_status', taskId: id, status: 'running', workerId: w });
    at({ type: 'agent_started', taskId: id, workerId: w, role: 'worker', round: 1, pid: 100 + i, pgid: 100 + i, logFile: `/l/${id}-w.log` });
    at(
      {
        type: 'agent_finished',
        taskId: id,
        workerId: w,
        role: 'worker',
        round: 1,
        exitCode: 0,
        durationMs: 600,
        usage: { inputTokens: 1000, outputTokens: 200, costUsd: 0.01 },
      },
      600,
    );
    at({ type: 'task_status', taskId: id, status: 'reviewing', workerId: w });
    at({ type: 'review_started', taskId: id, round: 1, sha: 'a'.repeat(40) });
    at({ type: 'agent_started', taskId: id, workerId: w, role: 'reviewer', round: 1, pid: 5000 + i, pgid: 5000 + i, logFile: `/l/${id}-r.log` });
    at(
      {
        type: 'review_finished',
        taskId: id,
        round: { round: 1, sha: 'a'.repeat(40), verdict: 'APPROVED', feedback: '', by: 'agent', at: new Date(t).toISOString() } as never,
      },
      300,
    );
    at({ type: 'agent_finished', taskId: id, workerId: w, role: 'reviewer', round: 1, exitCode: 0, durationMs: 300 });
    at({ type: 'worker_state', worker: { ...ws[i % workers], state: 'merging', taskId: id } });
    at({ type: 'task_status', taskId: id, status: 'merging', workerId: w });
    at({ type: 'merge_started', taskId: id, sha: 'a'.repeat(40) });
    at({ type: 'task_merged', taskId: id, sha: 'a'.repeat(40), commit: 'b'.repeat(40) }, 80);
    at({ type: 'task_status', taskId: id, status: 'complete', workerId: w });
  }
  return out;
}
