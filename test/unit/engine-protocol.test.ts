// The engine process's messages (src/shared/engineProtocol.ts): what each side accepts. Hostile
// input first: anything not exactly a protocol message is dropped (undefined), whatever the sender.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineChildEnv, isSwarmEvent, parseEngineMessage, parseHostMessage, restoreHostEnv } from '../../src/shared/engineProtocol';
import { runIdNow } from '../../src/swarm/util';
import type { RunSummary, WorkerInfo } from '../../src/swarm/types';

const runId = runIdNow();
const worker: WorkerInfo = {
  id: 'w1',
  role: 'worker',
  harness: 'demo',
  state: 'running',
  taskId: 't1',
  iteration: 1,
  iterations: 3,
  since: '2026-11-30T00:00:00Z',
};
const summary: RunSummary = {
  runId,
  startedAt: '2026-11-30T00:00:00Z',
  finishedAt: '2026-11-30T00:01:00Z',
  reason: 'stopped',
  workers: [],
  merged: ['a'],
  waitingForHuman: [],
  blocked: [],
  failed: [],
  usage: { costUsd: 0.1 },
};
const wt = {
  path: '/r/.swarm/worktrees/t1',
  branch: 'swarm/w1/t1',
  head: 'abc1234',
  taskId: 't1',
  workerId: 'w1',
  status: 'running',
  ahead: 1,
  changedFiles: [{ path: 'a.txt', status: 'M' }],
  dirty: false,
  orphaned: false,
  ports: { base: 3000, count: 10 },
};
const start = {
  t: 'start',
  start: {
    workspace: {
      repo: '/r',
      configPath: 'swarm.json',
      cliPaths: { claude: '/opt/claude' },
      agentPath: '/usr/bin:/bin',
      reviewMode: 'human',
      maxConcurrentWorkers: 2,
      demoAgentPath: '/x/demo-agent.js',
      nodePath: '/usr/bin/node',
    },
    run: { runId, waitForHumans: true, workers: ['w1', 'w2'] },
  },
};

test('host → child: the messages the host sends are accepted as they are', () => {
  for (const m of [
    start,
    { t: 'pause' },
    { t: 'resume' },
    { t: 'stop' },
    { t: 'stop', reason: 'stopped by the user' },
    { t: 'worker', id: 3, op: 'stop', workerId: 'w1', reason: 'why' },
    { t: 'retry', id: 4, taskId: 't1' },
    { t: 'worktrees', id: 5 },
    { t: 'start', start: { workspace: { repo: '/r' }, run: { runId } } },
  ]) {
    assert.deepEqual(parseHostMessage(m), m, JSON.stringify(m));
  }
});

test('host → child, hostile: unknown or extra fields, a run id that is a path, bad settings are dropped', () => {
  const withWs = (w: Record<string, unknown>) => ({ t: 'start', start: { ...start.start, workspace: { ...start.start.workspace, ...w } } });
  const withRun = (r: Record<string, unknown>) => ({ t: 'start', start: { ...start.start, run: { ...start.start.run, ...r } } });
  const bad: unknown[] = [
    null,
    'pause',
    [],
    { t: 'exec', cmd: 'rm -rf /' },
    { t: 'pause', extra: 1 },
    { t: 'stop', reason: 5 },
    { t: 'stop', reason: 'x'.repeat(70_000) },
    { t: 'worker', id: -1, op: 'stop', workerId: 'w1' },
    { t: 'worker', id: 1, op: 'kill', workerId: 'w1' },
    { t: 'worker', id: 1, op: 'stop', workerId: '../w1' },
    { t: 'retry', id: 1, taskId: '../../x' },
    { t: 'retry', taskId: 't1' },
    withRun({ runId: '../../../etc' }),
    withRun({ runId: undefined }),
    withRun({ workers: ['w1', '../x'] }),
    withRun({ waitForHumans: 'yes' }),
    withRun({ env: {} }),
    withWs({ repo: '' }),
    withWs({ repo: '/r\u0000x' }),
    withWs({ cliPaths: { claude: 5 } }),
    withWs({ cliPaths: { 'a b': '/x' } }),
    withWs({ reviewMode: 'none' }),
    withWs({ maxConcurrentWorkers: 0 }),
    withWs({ maxConcurrentWorkers: 1.5 }),
    withWs({ sandbox: 'off' }),
  ];
  for (const m of bad) assert.equal(parseHostMessage(m), undefined, JSON.stringify(m));
});

test('child → host: the messages the child sends are accepted as they are', () => {
  const events = [
    { type: 'run_started', runId, workers: [worker], base: 'main', sandbox: { sandboxed: false, reason: 'no bwrap' } },
    { type: 'worker_state', worker },
    { type: 'agent_started', taskId: 't1', workerId: 'w1', role: 'worker', round: 1, pid: 123, pgid: 123, logFile: '/r/.swarm/runs/x/logs/w1.log' },
    { type: 'task_merged', taskId: 't1', sha: 'abc1234', commit: 'def5678' },
    { type: 'run_finished', summary },
    { type: 'log', level: 'warn', message: 'ünïcode and\nnewlines' },
    { type: 'task_blocked', taskId: 't1', question: 'Which port?' },
  ];
  for (const event of events) assert.deepEqual(parseEngineMessage({ t: 'event', event }), { t: 'event', event }, event.type);
  for (const m of [
    { t: 'started', runId, workers: [worker] },
    { t: 'failed', error: 'swarm.json: workers[0].harness: unknown' },
    { t: 'state', paused: true, workers: [worker], usage: { inputTokens: 5, costUsd: 0.2 } },
    { t: 'reply', id: 1, value: true },
    { t: 'reply', id: 2, error: 'no worker' },
    { t: 'done', summary },
    { t: 'worktrees', id: 3, worktrees: [wt] },
    { t: 'worktrees', id: 4, worktrees: [] },
  ]) {
    assert.deepEqual(parseEngineMessage(m), m, JSON.stringify(m));
  }
});

test('child → host, hostile: unknown events, task ids that are paths, bad workers, deep or odd data are dropped', () => {
  const deep: Record<string, unknown> = {};
  let at = deep;
  for (let i = 0; i < 40; i++) at = (at.x = {}) as Record<string, unknown>;
  const proto = JSON.parse('{"type":"log","level":"info","message":"x","__proto__":{"polluted":true}}');
  const badEvents: unknown[] = [
    { type: 'run_exploded' },
    { type: 'toString' },
    { type: 'constructor' },
    { type: 'task_merged', taskId: '../../etc/passwd', sha: 'abc1234', commit: 'x' },
    { type: 'task_claimed', taskId: 't1', workerId: 'w 1; rm', branch: 'b' },
    { type: 'worker_state', worker: { ...worker, state: 'hacking' } },
    { type: 'worker_state', worker: { ...worker, id: '' } },
    { type: 'agent_started', taskId: 't1', workerId: 'w1', role: 'worker', round: 1, pid: -5, pgid: 1, logFile: '/x' },
    { type: 'agent_started', taskId: 't1', workerId: 'w1', role: 'worker', round: 1, pid: 5, pgid: 5 },
    { type: 'log', level: 'fatal', message: 'x' },
    { type: 'run_finished', summary: { ...summary, runId: '../x' } },
    { type: 'run_finished', summary: { ...summary, merged: ['ok', '../bad'] } },
    { type: 'log', level: 'info', message: 'x', deep },
    { type: 'log', level: 'info', message: 'x'.repeat(2 * 1024 * 1024) },
    proto,
    { type: 'task_status', taskId: 't1', status: 'running', n: Number.NaN },
  ];
  for (const event of badEvents) {
    assert.equal(isSwarmEvent(event), false, JSON.stringify(event)?.slice(0, 200));
    assert.equal(parseEngineMessage({ t: 'event', event }), undefined);
  }
  const bad: unknown[] = [
    undefined,
    42,
    { t: 'event' },
    { t: 'event', event: { type: 'log', level: 'info', message: 'x' }, also: 1 },
    { t: 'started', runId: 'x', workers: [] },
    { t: 'started', runId, workers: [{ ...worker, iteration: -1 }] },
    { t: 'state', paused: 'no', workers: [] },
    { t: 'state', paused: false, workers: [], usage: { costUsd: { $gt: 0 } } },
    { t: 'worktrees', id: 1, worktrees: [{ ...wt, taskId: '../../x' }] },
    { t: 'worktrees', id: 1, worktrees: [{ ...wt, path: '' }] },
    { t: 'worktrees', id: 1, worktrees: [{ ...wt, changedFiles: [{ path: 5 }] }] },
    { t: 'worktrees', id: 1, worktrees: [{ ...wt, dirty: 'no' }] },
    { t: 'worktrees', id: 1, worktrees: {} },
    { t: 'worktrees', id: 1 },
    { t: 'reply', id: 'x', value: true },
    { t: 'reply', id: 1, value: 'true' },
    { t: 'done', summary: { ...summary, startedAt: '' } },
    { t: 'done' },
    { t: 'failed', error: 5 },
  ];
  for (const m of bad) assert.equal(parseEngineMessage(m), undefined, JSON.stringify(m));
});

test('environment: ELECTRON_RUN_AS_NODE added for the engine process under Electron is gone again in the child (agents get the host environment); one the host had stays', () => {
  const host = { PATH: '/usr/bin', VSCODE_PID: '7' };
  const forked = engineChildEnv(host, true);
  assert.equal(forked.ELECTRON_RUN_AS_NODE, '1', 'the Electron binary starts as node');
  assert.deepEqual(host, { PATH: '/usr/bin', VSCODE_PID: '7' }, "the host's own environment is not changed");
  const child = { ...forked };
  restoreHostEnv(child);
  assert.deepEqual(child, host, 'what agents and git inherit in the child');

  const hadIt = { PATH: '/usr/bin', ELECTRON_RUN_AS_NODE: '1' };
  const child2 = { ...engineChildEnv(hadIt, true) };
  restoreHostEnv(child2);
  assert.deepEqual(child2, hadIt);
  assert.equal(engineChildEnv(host, false), host, 'node (code-server, tests): the environment as it is');
});

test('decide: a decision request and its result cross as the engine types them; anything else is dropped', () => {
  const request = { taskId: 't1', kind: 'override', sha: 'abc1234', text: 'the reviewer is wrong', by: 'vscode' };
  assert.deepEqual(parseHostMessage({ t: 'decide', id: 3, request }), { t: 'decide', id: 3, request });
  for (const bad of [
    { ...request, sha: '--output=/etc/passwd' },
    { ...request, kind: 'merge_anyway' },
    { ...request, taskId: '../x' },
    { ...request, text: 'x'.repeat(20_001) },
    { ...request, extra: 1 },
  ])
    assert.equal(parseHostMessage({ t: 'decide', id: 3, request: bad }), undefined, JSON.stringify(bad).slice(0, 80));
  assert.equal(parseHostMessage({ t: 'decide', id: -1, request }), undefined);
  const merged = { ok: true, applied: 'merged', commit: 'c0ffee0' };
  assert.deepEqual(parseEngineMessage({ t: 'decided', id: 3, result: merged }), { t: 'decided', id: 3, result: merged });
  assert.ok(parseEngineMessage({ t: 'decided', id: 3, result: { ok: false, reason: 'waiting_local_changes', files: ['a.ts'] } }));
  for (const bad of [
    { ok: false, reason: 'busy', detail: 'x' },
    { ok: true, applied: 'exploded' },
    { ...merged, extra: 1 },
    { ok: true, applied: 'merged', commit: 'HEAD' },
  ])
    assert.equal(parseEngineMessage({ t: 'decided', id: 3, result: bad }), undefined, JSON.stringify(bad));
});
