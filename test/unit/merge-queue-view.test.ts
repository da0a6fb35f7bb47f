// The Merge queue view's model (src/shared/mergeQueueModel.ts) and the view in the fake VS Code
// (src/extension/mergeQueueTree.ts): tasks being merged or checked first (in the order they
// entered the queue), then queued with how many are ahead, then the waits — for the user's local
// changes with the files git named (each a child that opens the file), for the base with why.

import { renderTree } from '../helpers/fake-vscode';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildMergeQueue, MergeQueueLog } from '../../src/shared/mergeQueueModel';
import { Commands } from '../../src/extension/constants';
import { FakeEngine, makeTask } from '../helpers/fake-swarm-workspace';
import { repo, start } from '../helpers/extension';

const check = { sha: 'c'.repeat(40), ok: false, exitCode: 1, timedOut: false, durationMs: 2000, batch: ['m1'], tail: 'FAIL', at: '' };

test('the queue in order, with why; waits with their files and reasons; merged tasks leave the log', () => {
  const log = new MergeQueueLog();
  log.observe({ type: 'merge_started', taskId: 'm2', sha: 'a'.repeat(40) }, 1000);
  log.observe({ type: 'merge_started', taskId: 'm1', sha: 'a'.repeat(40) }, 2000);
  log.observe({ type: 'merge_started', taskId: 'm3', sha: 'a'.repeat(40) }, 3000);
  log.observe({ type: 'merge_check', taskId: 'm1', check });
  log.observe({ type: 'merge_waiting', taskId: 'lc', reason: 'your uncommitted changes in /repo are in the way', files: ['src/a.ts', 'b.md'] }, 4000);
  const current = [
    makeTask('m1', 'current', 'merging'),
    makeTask('m2', 'current', 'merging'),
    makeTask('m3', 'current', 'merging'),
    makeTask('lc', 'current', 'waiting_local_changes'),
    makeTask('wb', 'current', 'waiting_base', { meta: { waiting_for: 'a rebase is in progress in your checkout' } } as never),
    makeTask('r', 'current', 'reviewing'),
  ];
  let q = buildMergeQueue(current, log, { running: true, base: 'main' });
  assert.deepEqual(
    q.map((e) => [e.taskId, e.kind]),
    [
      ['m2', 'merging'],
      ['m1', 'queued'],
      ['m3', 'queued'],
      ['lc', 'waiting_local_changes'],
      ['wb', 'waiting_base'],
    ],
  );
  assert.match(q[2].why, /2 ahead of it/);
  assert.equal(q[1].lastCheck?.ok, false);
  assert.deepEqual(q[3].files, ['src/a.ts', 'b.md']);
  assert.match(q[3].why, /your uncommitted changes are in the way \(2 files\)/);
  assert.match(q[4].why, /waits for main: a rebase is in progress/);
  q = buildMergeQueue(current, log, { running: true, base: 'main', check: { batch: 2 } });
  assert.deepEqual(
    q.slice(0, 3).map((e) => e.kind),
    ['queued', 'queued', 'queued'],
    'nothing is said to be checked before the engine says so',
  );
  assert.match(q[0].why, /being built for the merge check/);
  log.observe({ type: 'merge_check_started', taskIds: ['m3', 'm1'], sha: 'd'.repeat(40) }, 5000);
  q = buildMergeQueue(current, log, { running: true, base: 'main', check: { batch: 2 } });
  assert.deepEqual(
    q.slice(0, 3).map((e) => [e.taskId, e.kind]),
    [
      ['m1', 'checking'],
      ['m3', 'checking'],
      ['m2', 'queued'],
    ],
    'the batch the engine checks, whatever the order they came in',
  );
  assert.match(q[0].why, /merge check running on the merge into main \(a batch of 2\)/);
  assert.match(q[2].why, /waits for the merge check running now/);
  log.observe({ type: 'merge_check', taskId: 'm1', check }, 6000);
  assert.equal(log.get('m1')?.checking, undefined, 'its check is over');
  q = buildMergeQueue(current, log, { running: false, base: 'main' });
  assert.ok(
    q.slice(0, 3).every((e) => e.kind === 'queued' && /when the swarm runs again/.test(e.why)),
    'nothing merges without a run',
  );
  log.observe({ type: 'task_merged', taskId: 'm2', sha: 'a'.repeat(40), commit: 'b'.repeat(40) });
  assert.equal(log.get('m2'), undefined);
  log.keepOnly(new Set(['m1']));
  assert.equal(log.get('lc'), undefined);
  assert.ok(log.get('m1'));
});

test('the Merge queue view: rows from statuses and merge events; a file in the way opens; a row opens the review', async () => {
  const dir = repo();
  const engine = new FakeEngine();
  engine.setup = (ws) => {
    ws.tasks.current = [
      makeTask('lc', 'current', 'waiting_local_changes', { title: 'Local one' }),
      makeTask('m1', 'current', 'merging', { title: 'Merging one' }),
    ];
  };
  const ext = await start(engine, [dir]);
  engine.last.emit({ type: 'merge_waiting', taskId: 'lc', reason: 'in the way', files: ['notes.txt'] });
  const items = await renderTree(ext.live.mergeQueue);
  assert.deepEqual(
    items.map((i) => [i.label, i.contextValue]),
    [
      ['Merging one', 'mergequeue:queued'],
      ['Local one', 'mergequeue:waiting_local_changes'],
    ],
  );
  assert.match(String(items[1].description), /waiting for your local changes · lc/);
  assert.equal(items[1].children?.[0].label, 'notes.txt');
  const cmd = (r: { node: unknown }) => (ext.live.mergeQueue.getTreeItem(r.node as never) as { command?: { command: string; arguments?: unknown[] } }).command;
  assert.equal(cmd(items[1].children![0])?.command, 'vscode.open');
  assert.equal(
    String(
      (cmd(items[1].children![0])?.arguments?.[0] as { fsPath?: string; path?: string })?.fsPath ??
        (cmd(items[1].children![0])?.arguments?.[0] as { path?: string })?.path,
    ),
    join(dir, 'notes.txt'),
  );
  assert.equal(cmd(items[0])?.command, Commands.openReview);
  assert.deepEqual(cmd(items[0])?.arguments, [{ root: dir, taskId: 'm1' }]);
});
