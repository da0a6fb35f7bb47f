// The host half of the review panel (ReviewSession) against a fake engine Workspace: every page
// message is validated before anything happens, decisions carry the sha the page sent, one
// decision at a time, stale shas refresh instead of acting, events of the task refresh the panel.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReviewSession, eventTaskId, type NativeDiffRequest } from '../../src/shared/reviewSession';
import type { DecisionRequest, DecisionResult, NeedsYouItem, ReviewDetails, Workspace } from '../../src/swarm/api';
import type { SwarmEvent, Task } from '../../src/swarm/types';
import type { ReviewNotification } from '../../src/shared/reviewProtocol';

const SHA = '1'.repeat(40);
const SHA_NEW = '2'.repeat(40);
const BASE = '3'.repeat(40);

const DIFF = [
  'diff --git a/a.ts b/a.ts',
  '--- a/a.ts',
  '+++ b/a.ts',
  '@@ -1 +1 @@',
  '-old',
  '+new',
  'diff --git a/big.ts b/big.ts',
  '--- a/big.ts',
  '+++ b/big.ts',
  '@@ -0,0 +1,50 @@',
  ...Array.from({ length: 50 }, (_, i) => `+l${i}`),
  '',
].join('\n');

class FakeWorkspace {
  sha = SHA;
  calls: DecisionRequest[] = [];
  detailsCalls = 0;
  listeners = new Set<(e: SwarmEvent) => void>();
  /** Next decide() result; a function can hold the call open. */
  next: () => Promise<DecisionResult> = async () => ({ ok: true, applied: 'merged', commit: '4'.repeat(40) });
  failDetails = false;

  onEvent(l: (e: SwarmEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  emit(e: SwarmEvent): void {
    for (const l of this.listeners) l(e);
  }
  async reviewDetails(taskId: string): Promise<ReviewDetails> {
    this.detailsCalls++;
    if (this.failDetails) throw new Error(`task ${taskId} not found`);
    const task: Task = {
      id: taskId,
      title: 'Title',
      folder: 'current',
      status: 'awaiting_human',
      file: '/r/t.md',
      body: '',
      priority: 0,
      dependsOn: [],
      meta: {},
    };
    return {
      task,
      state: undefined,
      base: 'main',
      sha: this.sha,
      baseSha: BASE,
      diff: DIFF,
      rounds: [],
      canDecide: true,
      approvable: { approvable: true, verdict: null },
    };
  }
  async decide(req: DecisionRequest): Promise<DecisionResult> {
    this.calls.push(req);
    return this.next();
  }
  async showFile(): Promise<string | undefined> {
    return '';
  }
  waiting: NeedsYouItem[] = [];
  async needsYou(): Promise<NeedsYouItem[]> {
    return this.waiting;
  }
}

function setup(opts: { limits?: boolean } = {}) {
  const ws = new FakeWorkspace();
  const posted: ReviewNotification[] = [];
  const diffs: NativeDiffRequest[] = [];
  const logs: string[] = [];
  const opened: string[] = [];
  const session = new ReviewSession(
    't-1',
    () => ws as unknown as Workspace,
    { post: (m) => void posted.push(m), openNativeDiff: (r) => void diffs.push(r), openNext: (id) => void opened.push(id), log: (_l, m) => logs.push(m) },
    {
      refreshDelayMs: 5,
      decidedBy: 'test',
      limits: opts.limits ? { lazyFileLines: 20, inlineFiles: 100, inlineLines: 1000, collapseLines: 10 } : undefined,
    },
  );
  const of = <M extends ReviewNotification['method']>(method: M) => posted.filter((p): p is Extract<ReviewNotification, { method: M }> => p.method === method);
  return { ws, posted, diffs, logs, session, of, opened };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('ready sends the state; refresh re-reads it', async () => {
  const { session, of, ws } = setup();
  await session.handleMessage({ method: 'review/ready', params: {} });
  const states = of('review/state');
  assert.equal(states.length, 1);
  assert.equal(states[0].params.model.sha, SHA);
  assert.equal(states[0].params.pending, undefined);
  assert.equal(states[0].params.waiting, 0);
  await session.handleMessage({ method: 'review/refresh', params: {} });
  assert.equal(ws.detailsCalls, 2);
});

test('approve / override / request changes / reject call decide with the page sha and text', async () => {
  const { session, ws, of } = setup();
  await session.handleMessage({ method: 'review/ready', params: {} });
  await session.handleMessage({ method: 'review/decide', params: { id: 1, action: 'approve', sha: SHA } });
  await session.handleMessage({ method: 'review/decide', params: { id: 2, action: 'override', sha: SHA, text: '  flaky reviewer \n' } });
  await session.handleMessage({ method: 'review/decide', params: { id: 3, action: 'requestChanges', sha: SHA, text: 'Add a test' } });
  await session.handleMessage({ method: 'review/decide', params: { id: 4, action: 'reject', sha: SHA } });
  await session.handleMessage({ method: 'review/decide', params: { id: 5, action: 'reject', sha: SHA, text: '  ' } });
  assert.deepEqual(ws.calls, [
    { taskId: 't-1', kind: 'approve', sha: SHA, by: 'test' },
    { taskId: 't-1', kind: 'override', sha: SHA, text: 'flaky reviewer', by: 'test' },
    { taskId: 't-1', kind: 'request_changes', sha: SHA, text: 'Add a test', by: 'test' },
    { taskId: 't-1', kind: 'reject', sha: SHA, by: 'test' },
    { taskId: 't-1', kind: 'reject', sha: SHA, by: 'test' },
  ]);
  const results = of('review/decided');
  assert.equal(results.length, 5);
  assert.deepEqual(results[0].params.result.outcome, { ok: true, applied: 'merged', commit: '4'.repeat(40) });
  // Each response names its request; a state refresh follows each.
  assert.deepEqual(
    of('review/decided').map((r) => r.params.id),
    [1, 2, 3, 4, 5],
  );
  assert.equal(of('review/state').at(-1)!.params.lastResult?.action, 'reject');
});

test('invalid or hostile messages are dropped before the engine sees them', async () => {
  const { session, ws, posted, logs } = setup();
  const hostile: unknown[] = [
    { method: 'review/approve', params: { sha: 'HEAD' } },
    { method: 'review/approve', params: { sha: SHA, taskId: 'other-task' } },
    { method: 'review/override', params: { sha: SHA, reason: '' } },
    { method: 'review/requestChanges', params: { sha: SHA } },
    { method: 'review/decide', params: { kind: 'approve', sha: SHA } },
    { method: 'review/decide', params: { id: 1, action: 'approve', sha: SHA, taskId: 'other-task' } },
    { method: 'review/decide', params: { id: 1, action: 'approve', sha: SHA, comments: [{ path: 'a.ts', line: 1, side: 'new', lineText: '', body: 'x' }] } },
    { method: 'review/approve', params: { sha: SHA }, taskId: 'x' },
    'approve',
    null,
  ];
  for (const m of hostile) await session.handleMessage(m);
  assert.equal(ws.calls.length, 0);
  assert.equal(posted.length, 0);
  assert.equal(logs.length, hostile.length);
});

test('one decision at a time: a second click while merging gets "busy", not a second merge', async () => {
  const { session, ws, of } = setup();
  await session.handleMessage({ method: 'review/ready', params: {} });
  let release!: (r: DecisionResult) => void;
  ws.next = () => new Promise((r) => (release = r));
  const first = session.handleMessage({ method: 'review/decide', params: { id: 6, action: 'approve', sha: SHA } });
  await wait(1);
  assert.equal(session.isBusy, true);
  await session.handleMessage({ method: 'review/decide', params: { id: 7, action: 'approve', sha: SHA } });
  assert.equal(ws.calls.length, 1);
  assert.equal(of('review/decided')[0].params.result.outcome.ok, false);
  assert.equal((of('review/decided')[0].params.result.outcome as { reason: string }).reason, 'busy');
  release({ ok: true, applied: 'merged', commit: '5'.repeat(40) });
  await first;
  assert.equal(session.isBusy, false);
});

test('stale sha: the result says so and the state refreshes to the new commit', async () => {
  const { session, ws, of } = setup();
  await session.handleMessage({ method: 'review/ready', params: {} });
  ws.sha = SHA_NEW; // the worker pushed a fix after the page rendered
  ws.next = async () => ({ ok: false, reason: 'stale_sha', currentSha: SHA_NEW });
  await session.handleMessage({ method: 'review/decide', params: { id: 8, action: 'approve', sha: SHA } });
  assert.equal(ws.calls[0].sha, SHA, 'the engine is asked about the sha the user saw');
  const result = of('review/decided').at(-1)!.params.result;
  assert.deepEqual(result.outcome, { ok: false, reason: 'stale_sha', currentSha: SHA_NEW });
  const state = of('review/state').at(-1)!.params;
  assert.equal(state.model.sha, SHA_NEW);
  assert.equal(state.lastResult?.outcome.ok, false);
});

test('engine errors become an error result, never an exception out of the handler', async () => {
  const { session, ws, of } = setup();
  ws.next = async () => {
    throw new Error('git exploded');
  };
  await session.handleMessage({ method: 'review/decide', params: { id: 9, action: 'approve', sha: SHA } });
  assert.deepEqual(of('review/decided')[0].params.result.outcome, { ok: false, reason: 'error', detail: 'git exploded' });
  ws.failDetails = true;
  await session.refresh();
  assert.match(of('review/error').at(-1)!.params.message, /not found/);
});

test('openNativeDiff and loadFile only work for files of the diff on screen', async () => {
  const { session, diffs, of } = setup({ limits: true });
  await session.handleMessage({ method: 'review/ready', params: {} });
  const model = of('review/state')[0].params.model;
  assert.equal(model.files.find((f) => f.path === 'big.ts')!.diff, undefined, 'big.ts is held back');
  await session.handleMessage({ method: 'review/openNativeDiff', params: { path: 'a.ts' } });
  await session.handleMessage({ method: 'review/openNativeDiff', params: { path: '/etc/passwd' } });
  await session.handleMessage({ method: 'review/openNativeDiff', params: { path: '../a.ts' } });
  assert.deepEqual(diffs, [{ path: 'a.ts', status: 'modified', leftRev: BASE, rightRev: SHA }]);
  await session.handleMessage({ method: 'review/loadFile', params: { path: 'big.ts' } });
  await session.handleMessage({ method: 'review/loadFile', params: { path: 'nope.ts' } });
  const files = of('review/fileDiff');
  assert.equal(files.length, 1);
  assert.equal(files[0].params.sha, SHA);
  assert.match(files[0].params.diff, /\+l49/);
});

test('events about the task refresh the panel (debounced); other tasks and chatter do not', async () => {
  const { session, ws } = setup();
  ws.onEvent((e) => session.onEvent(e));
  await session.refresh();
  const before = ws.detailsCalls;
  ws.emit({ type: 'task_status', taskId: 'other', status: 'running' });
  ws.emit({ type: 'log', level: 'info', message: 't-1' });
  ws.emit({ type: 'agent_started', taskId: 't-1', workerId: 'w1', role: 'worker', round: 1, pid: 1, pgid: 1, logFile: '/x' });
  await wait(20);
  assert.equal(ws.detailsCalls, before);
  ws.emit({
    type: 'review_finished',
    taskId: 't-1',
    round: { round: 1, sha: SHA, base: 'main', baseSha: BASE, by: 'agent', verdict: 'APPROVED', feedback: '', startedAt: '' },
  });
  ws.emit({ type: 'human_review_requested', taskId: 't-1', sha: SHA, agentVerdict: 'APPROVED' });
  ws.emit({ type: 'task_merged', taskId: 't-1', sha: SHA, commit: SHA_NEW });
  await wait(30);
  assert.equal(ws.detailsCalls, before + 1, 'a burst of events is one refresh');
  assert.equal(eventTaskId({ type: 'run_paused' }), undefined);
});

test('after dispose nothing is posted', async () => {
  const { session, posted } = setup();
  session.dispose();
  await session.handleMessage({ method: 'review/ready', params: {} });
  session.onEvent({ type: 'task_status', taskId: 't-1', status: 'complete' });
  await wait(10);
  assert.equal(posted.length, 0);
});

test('a decision result the page would refuse is turned into a readable error', async () => {
  const { session, ws, of } = setup();
  // e.g. a merge reported without its commit
  ws.next = async () => ({ ok: true, applied: 'merged', commit: '' });
  await session.handleMessage({ method: 'review/decide', params: { id: 10, action: 'approve', sha: SHA } });
  const outcome = of('review/decided')[0].params.result.outcome;
  assert.equal(outcome.ok, false);
  assert.match((outcome as { detail: string }).detail, /unexpected form/);
});

test('two decisions arriving together: only the first reaches the engine', async () => {
  const { session, ws, of } = setup();
  await Promise.all([
    session.handleMessage({ method: 'review/decide', params: { id: 11, action: 'approve', sha: SHA } }),
    session.handleMessage({ method: 'review/decide', params: { id: 12, action: 'override', sha: SHA, text: 'x' } }),
  ]);
  assert.equal(ws.calls.length, 1);
  assert.equal(ws.calls[0].kind, 'approve');
  const reasons = of('review/decided').map((r) => (r.params.result.outcome as { reason?: string }).reason ?? 'ok');
  assert.deepEqual(reasons.sort(), ['busy', 'ok']);
});

test('line comments reach the engine inside the decision text, as file, line, the line and the comment', async () => {
  const { session, ws, of } = setup();
  const comments = [{ path: 'a.ts', line: 1, side: 'new' as const, lineText: 'new', body: 'Name it better' }];
  await session.handleMessage({ method: 'review/decide', params: { id: 1, action: 'requestChanges', sha: SHA, comments } });
  assert.equal(ws.calls.length, 1);
  assert.equal(ws.calls[0].kind, 'request_changes');
  assert.equal(ws.calls[0].text, '## Line comments (file, line, the line as shown, comment)\n\n1. `a.ts` line 1:\n   > `new`\n\n   Name it better');
  await session.handleMessage({ method: 'review/decide', params: { id: 2, action: 'requestChanges', sha: SHA, text: ' and test it ', comments } });
  assert.match(ws.calls[1].text!, /^and test it\n\n## Line comments/);
  assert.deepEqual(
    of('review/decided').map((r) => r.params.id),
    [1, 2],
  );
});

test('Next review: the state counts the other reviews waiting; next opens the oldest', async () => {
  const { session, ws, of, opened } = setup();
  ws.waiting = [
    { kind: 'review', taskId: 'newer', title: 'N', since: '2026-11-29T10:00:00.000Z' },
    { kind: 'question', taskId: 'asks', title: 'Q', since: '2026-11-29T08:00:00.000Z' },
    { kind: 'review', taskId: 't-1', title: 'this one', since: '2026-11-29T07:00:00.000Z' },
    { kind: 'review', taskId: 'older', title: 'O', since: '2026-11-29T09:00:00.000Z' },
  ];
  await session.handleMessage({ method: 'review/ready', params: {} });
  assert.equal(of('review/state').at(-1)!.params.waiting, 2, 'reviews only, not this one');
  await session.handleMessage({ method: 'review/next', params: {} });
  assert.deepEqual(opened, ['older']);
  ws.waiting = [];
  await session.handleMessage({ method: 'review/next', params: {} });
  assert.deepEqual(opened, ['older'], 'nothing waiting: nothing opened');
});

test('a result about an older commit is dropped from the state once a newer commit waits for a decision', async () => {
  const { session, ws, of } = setup();
  ws.next = async () => ({ ok: true, applied: 'fix_requested' });
  await session.handleMessage({ method: 'review/decide', params: { id: 1, action: 'requestChanges', sha: SHA, text: 'x' } });
  assert.equal(of('review/state').at(-1)!.params.lastResult?.action, 'requestChanges');
  ws.sha = SHA_NEW; // the fix round came back
  await session.refresh();
  assert.equal(of('review/state').at(-1)!.params.lastResult, undefined);
});
