// The Tasks view keeps its rows (src/extension/keptTree.ts): a refresh names the rows that changed,
// on the same objects VS Code holds, and refreshes a whole group only when its rows change and the
// whole tree only when the groups change. A whole-tree refresh makes VS Code forget every row's
// element until it fetched them again: a menu clicked then reached its command without its task.
import { renderTree, type RenderedItem } from '../helpers/fake-vscode';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeEngine, makeState, makeTask } from '../helpers/fake-swarm-workspace';
import { find, reviews, run, settle, start } from '../helpers/extension';
import { Commands } from '../../src/extension/constants';
import { TaskGroupNode, TaskNode } from '../../src/extension/tasksTree';
import type { TreeNode } from '../../src/extension/treeNode';

const SHA = 'a'.repeat(40);
function seed(engine: FakeEngine) {
  engine.setup = (ws) => {
    ws.tasks.pending = [makeTask('p1', 'pending')];
    ws.tasks.current = [
      makeTask('r1', 'current', 'awaiting_human', { title: 'Review one' }),
      makeTask('busy', 'current', 'running', { title: 'Busy' }),
      makeTask('other', 'current', 'running', { title: 'Other' }),
    ];
    ws.states.set('r1', makeState('r1', 'awaiting_human', { headSha: SHA }));
    ws.states.set('busy', makeState('busy', 'running', { workerId: 'w1' }));
    ws.states.set('other', makeState('other', 'running', { workerId: 'w2' }));
    ws.needs = [{ kind: 'review', taskId: 'r1', title: 'Review one', sha: SHA, since: '2026-01-01T00:00:00Z' }];
  };
}

/** Every node object of the rendered tree, by label path. */
function nodes(tree: RenderedItem[], prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const i of tree) {
    out.set(`${prefix}${i.label}`, i.node);
    for (const [k, v] of nodes(i.children ?? [], `${prefix}${i.label}/`)) out.set(k, v);
  }
  return out;
}

async function setup() {
  const engine = new FakeEngine();
  seed(engine);
  const ext = await start(engine);
  const tree = await renderTree(ext.tasks);
  const fired: (TreeNode | undefined)[] = [];
  ext.tasks.onDidChangeTreeData((n) => fired.push(n ?? undefined));
  return { engine, ext, tree, fired, ws: engine.last };
}

test('a task whose state changes is refreshed alone, on the node VS Code holds; every other row keeps its object', async () => {
  const { ext, tree, fired, ws } = await setup();
  const before = nodes(tree);
  ws.states.set('busy', makeState('busy', 'reviewing', { workerId: 'w1' }));
  ws.tasks.current = ws.tasks.current.map((t) => (t.id === 'busy' ? { ...t, status: 'reviewing' } : t));
  ws.emit({ type: 'task_status', taskId: 'busy', status: 'reviewing' });
  await settle(ext);
  assert.equal(fired.length, 1, `one refresh (${fired.length})`);
  assert.equal(fired[0], before.get('Current/Busy'), 'of the Busy row itself, not the whole tree (undefined)');
  const after = await renderTree(ext.tasks);
  assert.match(String(find(after, 'Current')?.children?.find((c) => c.label === 'Busy')?.description), /review/);
  for (const [path, node] of nodes(after)) assert.equal(node, before.get(path), `${path} is the same object`);
  assert.equal((before.get('Current/Busy') as TaskNode).task.status, 'reviewing', 'the kept node carries the new state');
});

test('a row added to a group refreshes that group only; a new group refreshes the tree', async () => {
  const { ext, tree, fired, ws } = await setup();
  const before = nodes(tree);
  ws.tasks.pending.push(makeTask('p2', 'pending'));
  ws.emit({ type: 'task_created', taskId: 'p2', by: 'user' });
  await settle(ext);
  assert.deepEqual(fired, [before.get('Pending')], 'the Pending group, with its rows');
  assert.ok(fired[0] instanceof TaskGroupNode);
  const after = nodes(await renderTree(ext.tasks));
  assert.equal(after.get('Current/Busy'), before.get('Current/Busy'));
  assert.equal(after.get('Needs you/Review one'), before.get('Needs you/Review one'));
  assert.equal(after.get('Pending/Task p1'), before.get('Pending/Task p1'), 'the rows already there keep their objects');

  // A failure: the Failed group appears (the top level changes).
  fired.length = 0;
  ws.states.set('other', makeState('other', 'blocked', { attempts: 3 }));
  ws.tasks.current = ws.tasks.current.map((t) => (t.id === 'other' ? { ...t, status: 'blocked', question: 'failed 3 times' } : t));
  ws.needs.push({ kind: 'failed', taskId: 'other', title: 'Other', question: 'failed 3 times', sha: SHA, since: '2026-01-02T00:00:00Z' });
  ws.emit({ type: 'task_blocked', taskId: 'other', question: 'failed 3 times', failed: true });
  await settle(ext);
  assert.deepEqual(fired, [undefined], 'a whole refresh when the groups change');
  const third = nodes(await renderTree(ext.tasks));
  assert.equal(third.get('Current'), before.get('Current'), 'groups kept across a whole refresh too');
  assert.equal(third.get('Needs you/Review one'), before.get('Needs you/Review one'));
});

test('a menu on a row keeps reaching its task while other rows are refreshed, many times over', async () => {
  const { ext, tree, fired, ws } = await setup();
  const clicked = nodes(tree).get('Needs you/Review one');
  for (let i = 0; i < 10; i++) {
    const status = i % 2 ? 'running' : 'reviewing';
    ws.states.set('busy', makeState('busy', status, { workerId: 'w1' }));
    ws.emit({ type: 'task_status', taskId: 'busy', status });
    await settle(ext);
    assert.equal(nodes(await renderTree(ext.tasks)).get('Needs you/Review one'), clicked, 'VS Code still holds the clicked row');
    await run(Commands.openReview, clicked);
  }
  assert.ok(fired.length >= 10 && fired.every((n) => n !== undefined && n !== clicked), 'only the other row was refreshed');
  assert.deepEqual(
    reviews.slice(-10).map((r) => r.taskId),
    Array(10).fill('r1'),
  );
});
