// The run timeline's model and SVG (src/shared/timelineModel.ts, timelineSvg.ts) from synthetic
// journals: spans per worker (turns, reviews, merges), spans still open in the current run (drawn
// to now) and cut at the end of a finished one, waits (a paused worker, a merge waiting for the
// user's local changes with the files, a review waiting for you), overlapping spans stacked, and
// text from the journal staying text in the SVG.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTimeline, QUEUE_LANE } from '../../src/shared/timelineModel';
import { renderTimelineSvg } from '../../src/shared/timelineSvg';
import type { JournalEntry, SwarmEvent } from '../../src/swarm/types';
import { syntheticRun } from '../helpers/timeline-events';

const T0 = Date.parse('2026-11-30T02:00:00Z');
function journal(...events: [number, SwarmEvent][]): JournalEntry[] {
  return events.map(([s, e]) => ({ ...e, ts: new Date(T0 + s * 1000).toISOString(), runId: 'r1' }) as JournalEntry);
}
const worker = (id: string, state: string, extra: object = {}) =>
  ({ type: 'worker_state', worker: { id, role: 'worker', harness: 'demo', state, iteration: 1, iterations: 3, ...extra } }) as SwarmEvent;

test('one lane per worker; each worker turn, reviewer turn and merge is a span on its lane with its task', () => {
  const m = buildTimeline(syntheticRun(4, 2, T0), { live: false });
  assert.deepEqual(
    m.lanes.map((l) => l.id),
    ['w1', 'w2'],
  );
  assert.equal(m.spans.length, 12);
  for (const kind of ['turn', 'review', 'merge'] as const) {
    const of = m.spans.filter((s) => s.kind === kind);
    assert.equal(of.length, 4, kind);
    assert.deepEqual(of.map((s) => m.lanes[s.lane].id).sort(), ['w1', 'w1', 'w2', 'w2']);
  }
  const t0 = m.spans.find((s) => s.kind === 'turn' && s.taskId === 'task-0000')!;
  assert.equal(t0.end - t0.start, 600);
  assert.equal(t0.open, false);
  assert.match(t0.detail, /worker turn, round 1, task task-0000/);
  assert.match(t0.detail, /\$0\.01/);
  const r0 = m.spans.find((s) => s.kind === 'review' && s.taskId === 'task-0000')!;
  assert.match(r0.detail, /verdict: APPROVED/);
  assert.ok(
    m.spans.every((s) => s.row === 0),
    'nothing overlaps in this run',
  );
  assert.equal(m.live, false);
});

test('the current run: a turn still going is open and ends at now; a finished run cuts it at its end', () => {
  const events = journal(
    [0, { type: 'run_started', runId: 'r1', workers: [], base: 'main' }],
    [1, { type: 'task_claimed', taskId: 'a', workerId: 'w1', branch: 'b' }],
    [2, { type: 'agent_started', taskId: 'a', workerId: 'w1', role: 'worker', round: 1, pid: 1, pgid: 1, logFile: 'x' }],
  );
  const live = buildTimeline(events, { live: true, now: T0 + 10_000 });
  assert.equal(live.live, true);
  assert.equal(live.end, T0 + 10_000);
  const s = live.spans.find((x) => x.kind === 'turn')!;
  assert.equal(s.open, true);
  assert.equal(s.end, T0 + 10_000);
  assert.match(s.detail, /so far/);
  assert.match(renderTimelineSvg(live), /class="now"/);

  const done = buildTimeline(
    [
      ...events,
      ...journal([
        5,
        {
          type: 'run_finished',
          summary: { runId: 'r1', startedAt: '', workers: [], merged: [], waitingForHuman: [], blocked: [], failed: [], reason: 'stopped' },
        },
      ]),
    ],
    { live: true, now: T0 + 10_000 },
  );
  assert.equal(done.live, false, 'a finished run is never live');
  assert.equal(done.end, T0 + 5000);
  assert.equal(done.spans[0].open, false);
  assert.equal(done.spans[0].end, T0 + 5000);
  assert.equal(done.reason, 'stopped');
});

test('waits: a paused worker (with why), a merge waiting for local changes (with the files), a review waiting for you; overlaps stack', () => {
  const m = buildTimeline(
    journal(
      [0, { type: 'run_started', runId: 'r1', workers: [], base: 'main' }],
      [0, { type: 'task_claimed', taskId: 'a', workerId: 'w1', branch: 'b' }],
      [1, worker('w1', 'paused', { waitReason: 'rate limited: 429 (pool demo)' })],
      [4, worker('w1', 'running', { taskId: 'a' })],
      [4, { type: 'merge_started', taskId: 'a', sha: 'f'.repeat(40) }],
      [5, { type: 'merge_waiting', taskId: 'a', reason: 'your uncommitted changes are in the way', files: ['src/x.ts'] }],
      [5, { type: 'task_status', taskId: 'a', status: 'waiting_local_changes', workerId: 'w1' }],
      [6, { type: 'task_claimed', taskId: 'b', workerId: 'w1', branch: 'b2' }],
      [6, { type: 'agent_started', taskId: 'b', workerId: 'w1', role: 'worker', round: 1, pid: 2, pgid: 2, logFile: 'y' }],
      [
        8,
        {
          type: 'agent_finished',
          taskId: 'b',
          workerId: 'w1',
          role: 'worker',
          round: 1,
          exitCode: 1,
          durationMs: 2000,
          failure: 'boom <b>',
          failureKind: 'crash',
        },
      ],
      [9, { type: 'merge_started', taskId: 'a', sha: 'f'.repeat(40) }],
      [10, { type: 'task_merged', taskId: 'a', sha: 'f'.repeat(40), commit: 'e'.repeat(40) }],
      [11, { type: 'task_status', taskId: 'b', status: 'awaiting_human', workerId: 'w1' }],
      [20, { type: 'task_status', taskId: 'b', status: 'merging', workerId: 'w1' }],
    ),
    { live: false },
  );
  const paused = m.spans.find((s) => s.kind === 'wait' && s.label === 'paused')!;
  assert.equal(paused.end - paused.start, 3000);
  assert.match(paused.detail, /rate limited: 429/);
  const local = m.spans.find((s) => s.kind === 'wait' && s.taskId === 'a')!;
  assert.equal(local.start, T0 + 5000);
  assert.equal(local.end, T0 + 9000, 'until the merge is tried again');
  assert.match(local.detail, /src\/x\.ts/);
  assert.equal(m.spans.filter((s) => s.taskId === 'a' && s.kind === 'wait').length, 1, 'the status after merge_waiting is the same wait');
  const turnB = m.spans.find((s) => s.kind === 'turn' && s.taskId === 'b')!;
  assert.equal(turnB.failed, true);
  assert.notEqual(turnB.row, local.row, 'the turn and the waiting merge overlap: two rows');
  assert.equal(m.lanes[0].rows, 2);
  const human = m.spans.find((s) => s.taskId === 'b' && s.kind === 'wait')!;
  assert.match(human.label, /waiting for you/);
  assert.equal(human.end - human.start, 9000);
  assert.equal(m.spans.filter((s) => s.kind === 'merge').length, 2, 'the first try and the retry');
});

test('a merge whose worker is unknown goes to the merge queue lane; bad lines are skipped', () => {
  const events = journal(
    [0, { type: 'merge_started', taskId: 'z', sha: 'f'.repeat(40) }],
    [3, { type: 'task_merged', taskId: 'z', sha: 'f'.repeat(40), commit: 'e'.repeat(40) }],
  );
  events.push({ ...(events[0] as object), ts: 'not a time' } as JournalEntry);
  const m = buildTimeline(events);
  assert.deepEqual(
    m.lanes.map((l) => l.id),
    [QUEUE_LANE],
  );
  assert.equal(m.spans.length, 1);
  assert.equal(m.end - m.start, 3000);
  assert.deepEqual(buildTimeline([]).spans, []);
});

test('the SVG: one group per span with its index and task; journal text stays text', () => {
  const hostile = '<script>alert(1)</script>"onload="x';
  const m = buildTimeline(
    journal(
      [0, { type: 'task_claimed', taskId: 'a', workerId: 'w1', branch: 'b' }],
      [1, { type: 'agent_started', taskId: 'a', workerId: 'w1', role: 'worker', round: 1, pid: 1, pgid: 1, logFile: 'x' }],
      [2, { type: 'agent_finished', taskId: 'a', workerId: 'w1', role: 'worker', round: 1, exitCode: 1, durationMs: 1000, failure: hostile }],
      [3, worker('w1', 'paused', { waitReason: hostile })],
      [4, worker('w1', 'stopped')],
    ),
  );
  const svg = renderTimelineSvg(m, { width: 800 });
  assert.ok(!svg.includes('<script'), 'no element from the journal');
  assert.ok(!svg.includes('"onload'), 'no attribute from the journal');
  assert.match(svg, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.equal((svg.match(/<g class="span /g) ?? []).length, m.spans.length);
  assert.match(svg, /data-i="0" data-task="a"/);
  assert.match(svg, /^<svg [^>]*width="800"/);
});
