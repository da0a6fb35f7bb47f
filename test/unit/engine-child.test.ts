// The two halves of the engine process without a real engine: serve.ts (the child's) on a fake
// channel and the fake engine; ChildRun (the host's) on a forked script that speaks the protocol
// badly; and the session's wiring: which settings reach the child, its events reach the views,
// its crash becomes a notification.
import { fake, createFakeExtensionContext } from '../helpers/fake-vscode';
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveEngine, HOST_GONE_REASON, type EngineChannel } from '../../src/engineChild/serve';
import { ChildRun, type EngineChildOptions } from '../../src/extension/engineChild';
import { activate, deactivate } from '../../src/extension/extension';
import { Commands } from '../../src/extension/constants';
import { FakeEngine, type FakeRun } from '../helpers/fake-swarm-workspace';
import { runIdNow } from '../../src/swarm/util';
import type { EngineToHost } from '../../src/shared/engineProtocol';
import type { SwarmEvent } from '../../src/swarm/types';
import type { DecisionRequest, DecisionResult, SwarmRun } from '../../src/swarm/api';

let dirs: string[] = [];
beforeEach(() => fake.reset());
afterEach(async () => {
  await deactivate();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function fakeChannel() {
  const sent: EngineToHost[] = [];
  let onMessage: (m: unknown) => void = () => undefined;
  let onDisconnect: () => void = () => undefined;
  let closed = false;
  const channel: EngineChannel = {
    send: (m) => void sent.push(m),
    onMessage: (l) => (onMessage = l),
    onDisconnect: (l) => (onDisconnect = l),
    close: () => (closed = true),
  };
  return {
    channel,
    sent,
    deliver: (m: unknown) => onMessage(m),
    disconnect: () => onDisconnect(),
    get closed() {
      return closed;
    },
  };
}
const tick = () => new Promise((r) => setTimeout(r, 0));
async function until<T>(fn: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('serve: start opens the workspace with the settings sent, forwards its events, answers worker requests; a bad message is dropped', async () => {
  const engine = new FakeEngine();
  const warnings: string[] = [];
  const c = fakeChannel();
  const exit = serveEngine(c.channel, { openWorkspace: engine.openWorkspace, warn: (m) => warnings.push(m) });
  c.deliver({ t: 'exec', cmd: 'id' });
  assert.match(warnings[0] ?? '', /dropped a message/);
  const runId = runIdNow();
  c.deliver({
    t: 'start',
    start: {
      workspace: { repo: '/r', cliPaths: { claude: '/opt/claude' }, agentPath: '/bin', reviewMode: 'human', maxConcurrentWorkers: 2 },
      run: { runId, workers: ['w1'], waitForHumans: false },
    },
  });
  await until(() => c.sent.find((m) => m.t === 'started'), 'started');
  assert.deepEqual(engine.opened[0], { repo: '/r', cliPaths: { claude: '/opt/claude' }, agentPath: '/bin', reviewMode: 'human', maxConcurrentWorkers: 2 });
  const ws = engine.workspaces[0];
  assert.deepEqual(
    ws.calls.find((x) => x[0] === 'startRun'),
    ['startRun', { runId, workers: ['w1'], waitForHumans: false }],
  );
  assert.ok(
    c.sent.some((m) => m.t === 'event' && m.event.type === 'run_started'),
    'the run_started event was forwarded',
  );
  c.deliver({ t: 'worker', id: 7, op: 'pause', workerId: 'w1' });
  c.deliver({ t: 'worker', id: 8, op: 'stop', workerId: 'nobody' });
  assert.deepEqual(
    c.sent.find((m) => m.t === 'reply' && m.id === 7),
    { t: 'reply', id: 7, value: true },
  );
  assert.match((c.sent.find((m) => m.t === 'reply' && m.id === 8) as { error?: string }).error ?? '', /no worker "nobody"/);
  ws.worktrees = [
    { path: '/r/.swarm/worktrees/t1', branch: 'swarm/w1/t1', head: 'abc1234', taskId: 't1', ahead: 1, changedFiles: [], dirty: false, orphaned: false },
  ];
  c.deliver({ t: 'worktrees', id: 9 });
  const listed = await until(() => c.sent.find((m) => m.t === 'worktrees'), 'the worktrees listing');
  assert.deepEqual(listed, { t: 'worktrees', id: 9, worktrees: ws.worktrees });
  c.deliver({ t: 'start', start: { workspace: { repo: '/other' }, run: { runId } } });
  assert.equal(engine.opened.length, 1, 'a second start is ignored');
  const run = ws.activeRun as FakeRun;
  c.deliver({ t: 'stop', reason: 'stopped by the user' });
  assert.equal(await exit, 0);
  assert.equal(run.stopped, 'stopped by the user');
  const done = c.sent.find((m) => m.t === 'done') as Extract<EngineToHost, { t: 'done' }>;
  assert.equal(done.summary.reason, 'stopped by the user');
  assert.ok(c.closed && ws.disposed, 'channel closed, workspace disposed');
});

test('serve: the host gone (channel closed) stops the run as a stop does, with a reason saying so', async () => {
  const engine = new FakeEngine();
  const c = fakeChannel();
  const exit = serveEngine(c.channel, { openWorkspace: engine.openWorkspace, warn: () => undefined });
  c.deliver({ t: 'start', start: { workspace: { repo: '/r' }, run: { runId: runIdNow() } } });
  await until(() => c.sent.find((m) => m.t === 'started'), 'started');
  const run = engine.workspaces[0].activeRun!;
  c.disconnect();
  assert.equal(await exit, 0);
  assert.equal(run.stopped, HOST_GONE_REASON);
});

test('serve: the host gone while the workspace still opens: no run is started, the child ends', async () => {
  const engine = new FakeEngine();
  const c = fakeChannel();
  const exit = serveEngine(c.channel, { openWorkspace: engine.openWorkspace, warn: () => undefined });
  c.deliver({ t: 'start', start: { workspace: { repo: '/r' }, run: { runId: runIdNow() } } });
  c.disconnect();
  assert.equal(await exit, 0);
  assert.ok(!engine.workspaces[0].calls.some((x) => x[0] === 'startRun'), 'no run, no agent');
  assert.ok(engine.workspaces[0].disposed && c.closed);
  assert.deepEqual(c.sent, [], 'nothing sent to a host that is gone');
});

test('serve: Stop (and Pause) sent while the workspace still opens apply to the run when it starts', async () => {
  const engine = new FakeEngine();
  const c = fakeChannel();
  const exit = serveEngine(c.channel, { openWorkspace: engine.openWorkspace, warn: () => undefined });
  c.deliver({ t: 'start', start: { workspace: { repo: '/r' }, run: { runId: runIdNow() } } });
  c.deliver({ t: 'pause' });
  c.deliver({ t: 'stop', reason: 'stopped by the user' });
  assert.equal(await exit, 0);
  const ws = engine.workspaces[0];
  const done = c.sent.find((m) => m.t === 'done') as Extract<EngineToHost, { t: 'done' }>;
  assert.equal(done.summary.reason, 'stopped by the user', 'the run was stopped, not left running');
  assert.ok(
    c.sent.some((m) => m.t === 'event' && m.event.type === 'run_paused'),
    'and paused first',
  );
  assert.equal(ws.activeRun, undefined);
});

test('serve: a start message the guard refuses is answered as failed and the child ends (the host would otherwise wait for a run that never comes)', async () => {
  const engine = new FakeEngine();
  const warnings: string[] = [];
  const c = fakeChannel();
  const exit = serveEngine(c.channel, { openWorkspace: engine.openWorkspace, warn: (m) => warnings.push(m) });
  c.deliver({ t: 'start', start: { workspace: { repo: '/r', cliPaths: { claude: '' } }, run: { runId: runIdNow() } } });
  const failed = await until(() => c.sent.find((m) => m.t === 'failed'), 'a failed answer');
  assert.match((failed as { error: string }).error, /refused its start message/);
  assert.equal(await exit, 1);
  assert.equal(engine.opened.length, 0, 'nothing opened');
  assert.ok(c.closed);
  assert.match(warnings[0] ?? '', /dropped a message/);
});

test('serve: a decision goes to the workspace of the run and its result comes back; a request the guard refuses is answered with an error (the host waits for its id)', async () => {
  const engine = new FakeEngine();
  const c = fakeChannel();
  const exit = serveEngine(c.channel, { openWorkspace: engine.openWorkspace, warn: () => undefined });
  c.deliver({ t: 'start', start: { workspace: { repo: '/r' }, run: { runId: runIdNow() } } });
  await until(() => c.sent.find((m) => m.t === 'started'), 'started');
  const ws = engine.workspaces[0];
  ws.decideResult = () => ({ ok: false, reason: 'conflict', files: ['src/a.ts'] });
  const request = { taskId: 't1', kind: 'approve', sha: 'abc1234', by: 'vscode' };
  c.deliver({ t: 'decide', id: 4, request });
  assert.deepEqual(await until(() => c.sent.find((m) => m.t === 'decided'), 'the decision'), {
    t: 'decided',
    id: 4,
    result: { ok: false, reason: 'conflict', files: ['src/a.ts'] },
  });
  assert.deepEqual(
    ws.calls.find((x) => x[0] === 'decide'),
    ['decide', request],
  );
  c.deliver({ t: 'decide', id: 5, request: { ...request, sha: 'HEAD' } });
  const refused = (await until(() => c.sent.find((m) => m.t === 'reply' && m.id === 5), 'an answer to the refused request')) as { error?: string };
  assert.match(refused.error ?? '', /refused/);
  c.deliver({ t: 'stop' });
  assert.equal(await exit, 0);
});

test('serve: a workspace that cannot open is reported as failed, and the child ends', async () => {
  const engine = new FakeEngine();
  engine.failWith = new Error('swarm.json: workers[0].harness: unknown harness "x"');
  const c = fakeChannel();
  const exit = serveEngine(c.channel, { openWorkspace: engine.openWorkspace, warn: () => undefined });
  c.deliver({ t: 'start', start: { workspace: { repo: '/r' }, run: { runId: runIdNow() } } });
  assert.equal(await exit, 1);
  assert.deepEqual(c.sent, [{ t: 'failed', error: 'swarm.json: workers[0].harness: unknown harness "x"' }]);
});

test('ChildRun, hostile child: messages outside the protocol are dropped (and said), a child that exits without ending its run is a crash', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-child-'));
  dirs.push(dir);
  const script = join(dir, 'bad-child.js');
  writeFileSync(
    script,
    `process.on('message', () => {
    process.send({ t: 'event', event: { type: 'task_merged', taskId: '../../etc/passwd', sha: 'abc1234', commit: 'x' } });
    process.send({ t: 'event', event: { type: 'log', level: 'info', message: 'hello from the child' } });
    process.send({ t: 'done', summary: { runId: 'not-a-run' } });
    process.stderr.write('engine-child: dropped a message that is not the engine protocol\\'s\\nboom: the engine fell over\\n');
    setTimeout(() => process.exit(3), 50);
  });`,
  );
  const events: SwarmEvent[] = [];
  const crashes: string[] = [];
  const run = new ChildRun({
    workspace: { repo: dir },
    run: {},
    onEvent: (e) => events.push(e),
    onCrash: (m) => crashes.push(m),
    entry: { path: script, execArgv: [] },
  });
  const summary = await run.done;
  assert.match(summary.reason ?? '', /ended unexpectedly \(exit code 3\): .*boom: the engine fell over/);
  assert.equal(summary.runId, run.runId);
  assert.deepEqual(
    events.filter((e) => e.type === 'log' && e.level === 'info').map((e) => (e as { message: string }).message),
    ['hello from the child'],
  );
  assert.equal(events.filter((e) => e.type === 'log' && e.level === 'warn' && /dropped a message from the swarm process/.test(e.message)).length, 2);
  assert.ok(!events.some((e) => e.type === 'task_merged'), 'the bad event never reached the views');
  assert.ok(
    events.some((e) => e.type === 'log' && e.level === 'warn' && e.message === "Swarm: engine-child: dropped a message that is not the engine protocol's"),
    "the child's own warning reached the output channel",
  );
  assert.equal(crashes.length, 1);
  assert.equal(run.stop('late') instanceof Promise, true, 'stop after the end resolves with the same summary');
  assert.equal(await run.stop('late'), summary);
});

test('engine process channel: the run summary sent right before the channel closes reaches a host that reads late (no crash)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-child-'));
  dirs.push(dir);
  const script = join(dir, 'flood-child.ts');
  // The child's summary is the last of ~6 MB of messages, and it closes its channel right after
  // sending, while the host (busy below) has most of them still to read.
  writeFileSync(
    script,
    `import { processChannel } from ${JSON.stringify(join(process.cwd(), 'src/engineChild/processChannel.ts'))};
  const channel = processChannel(process);
  channel.onMessage((m: any) => {
    const runId = m.start.run.runId;
    const big = 'x'.repeat(20000);
    for (let i = 0; i < 300; i++) channel.send({ t: 'event', event: { type: 'log', level: 'info', message: big } });
    const at = new Date().toISOString();
    channel.send({ t: 'done', summary: { runId, startedAt: at, finishedAt: at, workers: [], merged: ['t1'], waitingForHuman: [], blocked: [], failed: [] } });
    channel.close();
  });`,
  );
  const crashes: string[] = [];
  let logs = 0;
  const run = new ChildRun({
    workspace: { repo: dir },
    run: {},
    onEvent: (e) => void (e.type === 'log' && e.level === 'info' && logs++),
    onCrash: (m) => crashes.push(m),
    entry: { path: script, execArgv: ['--import', 'tsx'] },
  });
  const until = Date.now() + 1500;
  while (Date.now() < until); // the host busy: the channel fills, the child's writes queue
  const summary = await run.done;
  assert.deepEqual(crashes, []);
  assert.deepEqual(summary.merged, ['t1'], JSON.stringify(summary).slice(0, 300));
  assert.equal(logs, 300);
});

test('ChildRun: an error from a child still alive (a send that failed) ends the run here and stops that child: no run left that nothing can stop', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-child-'));
  dirs.push(dir);
  const script = join(dir, 'silent-child.js');
  writeFileSync(
    script,
    `process.on('message', () => undefined); process.on('disconnect', () => process.exit(0)); process.send({ t: 'nothing' }); setInterval(() => undefined, 60000);`,
  );
  const crashes: string[] = [];
  const run = new ChildRun({
    workspace: { repo: dir },
    run: {},
    onEvent: () => undefined,
    onCrash: (m) => crashes.push(m),
    entry: { path: script, execArgv: [] },
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => run.child.on('exit', (_code, signal) => resolve(signal)));
  await new Promise((r) => run.child.once('message', r));
  run.child.emit('error', new Error('write EPIPE'));
  assert.match((await run.done).reason ?? '', /channel to the swarm process \(pid \d+\) failed: write EPIPE/);
  assert.equal(crashes.length, 1);
  assert.equal(await exited, 'SIGTERM', 'the child was told to stop');
});

test('session: with swarm.engineProcess "child" the run starts through the child starter with every setting; its events reach the views; a crash notifies', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'swarm-child-session-')), 'repo');
  mkdirSync(join(dir, '.git'), { recursive: true });
  dirs.push(dir);
  fake.setFolders([dir]);
  Object.assign(fake.config, {
    'swarm.cli.claude': '/opt/claude',
    'swarm.review.mode': 'human',
    'swarm.maxConcurrentWorkers': 3,
    'swarm.configPath': 'swarm.json',
  });
  const engine = new FakeEngine();
  const started: EngineChildOptions[] = [];
  let finish!: () => void;
  const engineChild = (o: EngineChildOptions): SwarmRun => {
    started.push(o);
    const done = new Promise<never>(
      (resolve) => (finish = () => resolve({ runId: 'r', startedAt: 'x', workers: [], merged: [], waitingForHuman: [], blocked: [], failed: [] } as never)),
    );
    return { runId: 'r', done, workers: () => [], paused: false, pause: () => undefined, resume: () => undefined, stop: () => done };
  };
  const ext = activate(createFakeExtensionContext() as never, {
    engine,
    engineChild,
    agentPath: async () => '/agent/bin',
    refreshDelayMs: 5,
    refreshMaxWaitMs: 20,
    startTimeoutMs: 200,
  });
  await ext.openSessions();
  const seen: SwarmEvent[] = [];
  ext.registry.onEvent(({ event }) => seen.push(event));
  assert.equal(await fake.commands.get(Commands.startSwarm)!({ workers: ['w1'] }), true);
  assert.equal(started.length, 1);
  assert.deepEqual(started[0].workspace, {
    repo: dir,
    configPath: 'swarm.json',
    cliPaths: { claude: '/opt/claude' },
    agentPath: '/agent/bin',
    reviewMode: 'human',
    maxConcurrentWorkers: 3,
  });
  assert.deepEqual(started[0].run, { workers: ['w1'] });
  assert.ok(!engine.workspaces[0].calls.some((x) => x[0] === 'startRun'), "the host's workspace started no run");
  const session = ext.registry.sessions[0];
  const viaWorkspace: SwarmEvent[] = [];
  const unsubscribe = session.withRunEvents(session.workspace!).onEvent((e) => viaWorkspace.push(e));
  started[0].onEvent({ type: 'task_merged', taskId: 't1', sha: 'abc1234', commit: 'def5678' });
  assert.ok(
    seen.some((e) => e.type === 'task_merged'),
    "the child's event reached the session's listeners",
  );
  assert.ok(
    viaWorkspace.some((e) => e.type === 'task_merged'),
    "and the workspace's as the review panel subscribes",
  );
  unsubscribe();
  assert.equal((await session.withRunEvents(session.workspace!).listTasks()).pending.length, 0, "the rest of the workspace is the workspace's");
  started[0].onCrash('Swarm: the swarm process (pid 9) ended unexpectedly (killed by SIGKILL).');
  await tick();
  assert.ok(
    fake.messages.some((m) => m.severity === 'error' && /ended unexpectedly/.test(m.text)),
    'an error notification',
  );
  finish();
  await until(() => ext.registry.sessions[0].activeRun === undefined || undefined, 'the run ended');

  fake.config['swarm.engineProcess'] = 'host';
  assert.equal(await fake.commands.get(Commands.startSwarm)!(), true);
  assert.equal(started.length, 1, 'host: not through the child starter');
  assert.ok(
    engine.workspaces.at(-1)!.calls.some((x) => x[0] === 'startRun'),
    "host: the workspace's own run",
  );
});

test(
  'session: a run in the engine process that could not start ends the Start progress at once, not after the start timeout',
  { timeout: 60_000 },
  async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'swarm-child-session-')), 'repo');
    mkdirSync(join(dir, '.git'), { recursive: true });
    dirs.push(dir);
    fake.setFolders([dir]);
    const engineChild = (o: EngineChildOptions): SwarmRun => {
      // As ChildRun does on 'failed': the run ends with the reason, a notification; no engine event.
      const done = Promise.resolve({
        runId: 'r',
        startedAt: 'x',
        reason: 'sandbox.mode is "required"',
        workers: [],
        merged: [],
        waitingForHuman: [],
        blocked: [],
        failed: [],
      });
      void done.then(() => o.onCrash('Swarm: the run could not start: sandbox.mode is "required"'));
      return { runId: 'r', done, workers: () => [], paused: false, pause: () => undefined, resume: () => undefined, stop: () => done };
    };
    const ext = activate(createFakeExtensionContext() as never, {
      engine: new FakeEngine(),
      engineChild,
      agentPath: async () => '/agent/bin',
      refreshDelayMs: 5,
      refreshMaxWaitMs: 20,
      startTimeoutMs: 10 * 60_000,
    });
    await ext.openSessions();
    await fake.commands.get(Commands.startSwarm)!();
    assert.ok(fake.messages.some((m) => m.severity === 'error' && /could not start/.test(m.text)));
    await until(() => ext.registry.sessions[0].activeRun === undefined || undefined, 'no run left');
  },
);

test('session: with a run in the engine process, a decision (command or review panel) goes to that run and its result is shown, not queued by the host for it', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'swarm-child-session-')), 'repo');
  mkdirSync(join(dir, '.git'), { recursive: true });
  dirs.push(dir);
  fake.setFolders([dir]);
  const decided: DecisionRequest[] = [];
  let finish!: () => void;
  const engineChild = (): SwarmRun & { decide(r: DecisionRequest): Promise<DecisionResult> } => {
    const done = new Promise<never>(
      (resolve) => (finish = () => resolve({ runId: 'r', startedAt: 'x', workers: [], merged: [], waitingForHuman: [], blocked: [], failed: [] } as never)),
    );
    return {
      runId: 'r',
      done,
      workers: () => [],
      paused: false,
      pause: () => undefined,
      resume: () => undefined,
      stop: () => done,
      decide: async (r) => {
        if (r.taskId === 'gone') throw new Error('the run ended'); // the run ended before it answered
        decided.push(r);
        return { ok: false, reason: 'waiting_local_changes', files: ['src/a.ts'] };
      },
    };
  };
  const engine = new FakeEngine();
  const ext = activate(createFakeExtensionContext() as never, {
    engine,
    engineChild,
    agentPath: async () => undefined,
    refreshDelayMs: 5,
    refreshMaxWaitMs: 20,
    startTimeoutMs: 200,
  });
  await ext.openSessions();
  assert.equal(await fake.commands.get(Commands.startSwarm)!(), true);
  const sha = 'a'.repeat(40);
  const session = ext.registry.sessions[0];
  try {
    await fake.commands.get(Commands.approve)!({ root: dir, taskId: 't1', sha });
    assert.deepEqual(decided, [{ taskId: 't1', kind: 'approve', sha, text: undefined, by: 'vscode' }]);
    assert.ok(
      fake.messages.some((m) => /waits for your local changes in src\/a\.ts/.test(m.text)),
      `the run's answer is shown: ${fake.messages.map((m) => m.text).join(' | ')}`,
    );
    const viaPanel = await session.withRunEvents(session.workspace!).decide({ taskId: 't2', kind: 'reject', sha, by: 'vscode' });
    assert.equal(viaPanel.ok, false);
    assert.equal(decided.length, 2, "the review panel's decision too");
    assert.ok(!engine.workspaces[0].calls.some((x) => x[0] === 'decide'), "the host's workspace decided nothing");
    // The run ends before it answers: the decision falls to the host's workspace, not lost.
    await session.decide(session.workspace!, { taskId: 'gone', kind: 'reject', sha, by: 'vscode' });
    assert.ok(
      engine.workspaces[0].calls.some((x) => x[0] === 'decide' && (x[1] as DecisionRequest).taskId === 'gone'),
      'a run that ended before answering leaves the decision to the host',
    );
  } finally {
    finish(); // a failed assertion must not leave a run for deactivate to wait on
  }
  await until(() => session.activeRun === undefined || undefined, 'the run ended');
  await session.withRunEvents(session.workspace!).decide({ taskId: 't3', kind: 'reject', sha, by: 'vscode' });
  assert.ok(
    engine.workspaces[0].calls.some((x) => x[0] === 'decide'),
    "no run: the host's workspace decides",
  );
});
