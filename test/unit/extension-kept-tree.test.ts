// The Tasks view keeps its rows (src/extension/keptTree.ts): a refresh names the rows that changed,
// on the same objects VS Code holds, and refreshes a whole group only when its rows change and the
// whole tree only when the groups change. A whole-tree refresh makes VS Code forget every row's
// element until it fetched them again: a menu clicked then reached its command without its task.
import { fake, renderTree, type RenderedItem } from '../helpers/fake-vscode';
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

// What the kept rows cannot prevent (VS Code issues #144250, #283655): refreshing a group makes the
// extension host drop its rows' handles until the view fetched the group again; an action clicked on
// one of them then reaches its command as `undefined` (not as no argument: the palette passes none).
// VS Code's part is played here: the group's refresh fired, the view not yet fetched again, the click.

/** A question under "Needs you" (and Blocked); `emit`: it arrives now (the groups gain a row and are refreshed). */
function askQuestion(ws: NonNullable<FakeEngine['last']>, id: string, emit = true) {
  ws.tasks.current.push(makeTask(id, 'current', 'blocked', { title: `Asks ${id}`, question: 'Which colour?' }));
  ws.states.set(id, makeState(id, 'blocked'));
  ws.needs.push({ kind: 'question', taskId: id, title: `Asks ${id}`, question: 'Which colour?', since: '2026-01-03T00:00:00Z' });
  if (emit) ws.emit({ type: 'task_blocked', taskId: id, question: 'Which colour?' });
}

test('an action clicked on a row dropped by its group refresh reaches the one dropped task it fits, never a picker', async () => {
  const engine = new FakeEngine();
  engine.setup = (ws) => {
    ws.tasks.current = [
      makeTask('r1', 'current', 'awaiting_human', { title: 'Review one' }),
      // Reviewable too (the agent reviews it), but not under Needs you: the palette would ask which.
      makeTask('rv', 'current', 'reviewing', { title: 'Agent reviews' }),
    ];
    ws.states.set('r1', makeState('r1', 'awaiting_human', { headSha: SHA }));
    ws.states.set('rv', makeState('rv', 'reviewing', { workerId: 'w1' }));
    ws.needs = [{ kind: 'review', taskId: 'r1', title: 'Review one', sha: SHA, since: '2026-01-01T00:00:00Z' }];
    askQuestion(ws, 'q1', false); // Blocked is not empty: a second question refreshes groups, not the tree
  };
  const ext = await start(engine);
  const tree = await renderTree(ext.tasks);
  const clicked = nodes(tree).get('Needs you/Review one');
  const fired: (TreeNode | undefined)[] = [];
  ext.tasks.onDidChangeTreeData((n) => fired.push(n ?? undefined));
  askQuestion(engine.last!, 'q2');
  await settle(ext);
  const group = nodes(tree).get('Needs you') as TreeNode;
  assert.ok(fired.includes(group) && !fired.includes(undefined), 'the Needs you group was refreshed, not the tree');
  // A fetch of the group answering an earlier refresh, before VS Code dropped the rows: they stay dropped-to-be.
  ext.tasks.getChildren(group);
  assert.ok(ext.tasks.forgottenRows().includes(clicked as TreeNode), 'a fetch before the drop does not count');
  await new Promise((r) => setImmediate(r)); // VS Code's drop comes in a turn of its own
  ext.tasks.getTreeItem(group); // VS Code drops the group's rows and asks for its item (ExtHostTreeView._refreshNode)
  const reviewsBefore = reviews.length;
  const promptsBefore = fake.prompts.length;
  await run(Commands.openReview, undefined, undefined);
  assert.deepEqual(
    fake.prompts.slice(promptsBefore).map((p) => p.text),
    [],
    'no "which task?" picker',
  );
  assert.deepEqual(
    reviews.slice(reviewsBefore).map((r) => r.taskId),
    ['r1'],
    'the review of the one dropped task Open review fits',
  );
  assert.ok(ext.tasks.forgottenRows().includes(clicked as TreeNode), 'the clicked row is among those VS Code dropped');
  ext.tasks.getChildren(group); // VS Code fetches the group again: its rows are no longer dropped
  assert.ok(!ext.tasks.forgottenRows().includes(clicked as TreeNode));
  // From the palette (no argument at all) the command still asks which review.
  await run(Commands.openReview);
  assert.equal(fake.prompts.at(-1)?.kind, 'quickPick');
});

test('an action clicked on a dropped row that several dropped tasks fit says to click again, never a picker', async () => {
  const engine = new FakeEngine();
  engine.setup = (ws) => {
    ws.tasks.current = [
      makeTask('r1', 'current', 'awaiting_human', { title: 'Review one' }),
      makeTask('r2', 'current', 'awaiting_human', { title: 'Review two' }),
    ];
    ws.states.set('r1', makeState('r1', 'awaiting_human', { headSha: SHA }));
    ws.states.set('r2', makeState('r2', 'awaiting_human', { headSha: SHA }));
    ws.needs = [
      { kind: 'review', taskId: 'r1', title: 'Review one', sha: SHA, since: '2026-01-01T00:00:00Z' },
      { kind: 'review', taskId: 'r2', title: 'Review two', sha: SHA, since: '2026-01-02T00:00:00Z' },
    ];
    askQuestion(ws, 'q1', false);
  };
  const ext = await start(engine);
  await renderTree(ext.tasks);
  askQuestion(engine.last!, 'q2');
  await settle(ext);
  const reviewsBefore = reviews.length;
  const promptsBefore = fake.prompts.length;
  const messagesBefore = fake.messages.length;
  await run(Commands.openReview, undefined, undefined);
  assert.deepEqual(
    fake.prompts.slice(promptsBefore).map((p) => p.text),
    [],
    'no "which task?" picker (Enter would take the first row, maybe not the clicked one)',
  );
  assert.equal(reviews.length, reviewsBefore, 'no review guessed');
  assert.match(
    fake.messages
      .slice(messagesBefore)
      .map((m) => m.text)
      .join('\n'),
    /redrawing as you clicked.*Click again/,
  );
});
