// The Workers view's Pause / Resume / Stop per worker (liveCommands.ts, workersTree.ts) in the fake
// VS Code: the item's flags say which action applies (the manifest matches them), the actions
// reach the run's pauseWorker / resumeWorker / stopWorker, Stop asks first, a paused worker reads
// "paused by you" (or "pausing after this turn" while its turn goes on), and a run without the
// per-worker API (another process's) offers none of them.

import { fake, reply, renderTree } from '../helpers/fake-vscode';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Commands } from '../../src/extension/constants';
import { FakeEngine, type FakeRun } from '../helpers/fake-swarm-workspace';

import { pkg, run, start } from '../helpers/extension';

test('Pause, Resume and Stop a worker from the Workers view', async () => {
  const engine = new FakeEngine();
  engine.setup = (ws) => {
    ws.workerInfos = [
      { id: 'w1', role: 'worker', harness: 'demo', state: 'running', taskId: 't1', iteration: 1, iterations: 3 },
      { id: 'w2', role: 'worker', harness: 'demo', state: 'waiting', iteration: 0, iterations: 3 },
    ];
  };
  const ext = await start(engine);
  assert.equal(await run(Commands.startSwarm), true);
  const theRun = engine.last.activeRun as FakeRun;
  let items = await renderTree(ext.live.workers);
  assert.deepEqual(
    items.map((i) => i.contextValue),
    ['worker:running:pausable:stoppable', 'worker:waiting:pausable:stoppable'],
  );

  const node = (await ext.live.workers.getChildren())[0];
  // A state change redraws that worker's row only, on the same node (VS Code keeps its handle: an
  // inline action clicked meanwhile still names its row).
  const fired: unknown[] = [];
  const sub = ext.live.workers.onDidChangeTreeData((n) => fired.push(n));
  engine.last.emit({ type: 'worker_state', worker: { ...theRun.workers()[0], state: 'reviewing' } });
  for (const s of ext.registry.sessions) await s.settled();
  await new Promise((r) => setTimeout(r, 30));
  assert.ok(fired.length >= 1 && fired.every((n) => n === node), `only w1's row was redrawn (${fired.length})`);
  assert.equal((await ext.live.workers.getChildren())[0], node, 'the same node');
  engine.last.emit({ type: 'worker_state', worker: { ...theRun.workers()[0], state: 'running' } });
  sub.dispose();
  assert.equal(await run(Commands.pauseWorker, node), true);
  assert.deepEqual(theRun.workerCalls.at(-1), ['pause', 'w1']);
  items = await renderTree(ext.live.workers);
  assert.equal(items[0].contextValue, 'worker:running:resumable:stoppable');
  assert.match(String(items[0].description), /running, pausing after this turn/);
  engine.last.emit({ type: 'worker_state', worker: { ...theRun.workers()[0], state: 'paused', waitReason: 'paused by you' } });
  items = await renderTree(ext.live.workers);
  assert.match(String(items[0].description), /paused by you/);
  assert.equal(await run(Commands.resumeWorker, { root: engine.last.root, workerId: 'w1' }), true);
  assert.deepEqual(theRun.workerCalls.at(-1), ['resume', 'w1']);

  // Stop asks first; "no" does nothing.
  fake.replies.push(reply.button('Cancel'));
  assert.equal(await run(Commands.stopWorker, node), false);
  assert.equal(theRun.workerCalls.filter((c) => c[0] === 'stop').length, 0);
  fake.replies.push(reply.button('Stop worker'));
  assert.equal(await run(Commands.stopWorker, node), true);
  assert.deepEqual(theRun.workerCalls.at(-1), ['stop', 'w1']);
  items = await renderTree(ext.live.workers);
  assert.equal(items[0].contextValue, 'worker:stopped', 'a stopped worker offers nothing');

  // The palette: the one worker it applies to, without a pick.
  assert.equal(await run(Commands.pauseWorker), true);
  assert.deepEqual(theRun.workerCalls.at(-1), ['pause', 'w2']);
});

test("a run without per-worker control (another process's) offers no Pause or Stop; the manifest matches the flags", async () => {
  const engine = new FakeEngine();
  const ext = await start(engine);
  assert.equal(await run(Commands.startSwarm), true);
  const r = engine.last.activeRun as FakeRun & { pauseWorker?: unknown };
  Object.defineProperty(r, 'pauseWorker', { value: undefined });
  engine.last.emit({ type: 'worker_state', worker: { id: 'w1', role: 'worker', harness: 'demo', state: 'running', iteration: 1, iterations: 5 } });
  const items = await renderTree(ext.live.workers);
  assert.equal(items[0].contextValue, 'worker:running');
  assert.equal(await run(Commands.pauseWorker, { root: engine.last.root, workerId: 'w1' }), undefined);
  assert.match(fake.messages.at(-1)?.text ?? '', /only a swarm started in this window can pause or stop its workers/);

  const inline = pkg.contributes.menus['view/item/context'].filter((m: { command: string; group: string }) =>
    [Commands.pauseWorker, Commands.resumeWorker, Commands.stopWorker].includes(m.command as never),
  );
  const matches = (when: string, ctx: string) => new RegExp(/viewItem =~ \/(.+?)\/(?=\s|$)/.exec(when)![1]).test(ctx);
  for (const m of inline as { command: string; when: string }[]) {
    const on = (ctx: string) => matches(m.when, ctx);
    if (m.command === Commands.pauseWorker) {
      assert.ok(on('worker:running:pausable:stoppable'));
      assert.ok(!on('worker:running:resumable:stoppable'));
    }
    if (m.command === Commands.resumeWorker) {
      assert.ok(on('worker:paused:resumable:stoppable'));
      assert.ok(!on('worker:running:pausable:stoppable'));
    }
    if (m.command === Commands.stopWorker) {
      assert.ok(on('worker:paused:resumable:stoppable'));
      assert.ok(!on('worker:stopped'));
    }
  }
  assert.equal(inline.length, 6, 'inline and in the context menu');
});
