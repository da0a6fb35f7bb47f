// The review seat's tree side (issue 15): tree actions keep their target (stable ids, no refresh
// without a change, the clicked item reaches the command, never a "which task?" picker from a
// menu), a failed task is not a question, quick picks speak words, the status bar does not say
// "running" while paused.
import { fake, reply, renderTree, TabInputText, Uri, diagnostics, DiagnosticSeverity, type RenderedItem } from '../helpers/fake-vscode';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deactivate } from '../../src/extension/extension';
import { Commands, Views } from '../../src/extension/constants';
import { FakeEngine, makeState, makeTask } from '../helpers/fake-swarm-workspace';
import { find, menuCommands, pkg, repo, reviews, run, settle, start } from '../helpers/extension';
import type { WorkerInfo } from '../../src/swarm/types';

const child = (tree: RenderedItem[], group: string, label: string) => find(tree, group)?.children?.find((c) => c.label === label);

const SHA = 'a'.repeat(40);
function seed(engine: FakeEngine) {
  engine.setup = (ws) => {
    ws.tasks.pending = [makeTask('p1', 'pending')];
    ws.tasks.current = [
      makeTask('r1', 'current', 'awaiting_human', { title: 'Review one' }),
      makeTask('r2', 'current', 'awaiting_human', { title: 'Review two' }),
      makeTask('busy', 'current', 'running', { title: 'Busy' }),
      makeTask('broke', 'current', 'blocked', { title: 'Broke', question: 'The agent failed 3 times (last: exit 1). Fix the cause, then Retry.' }),
    ];
    ws.states.set('r1', makeState('r1', 'awaiting_human', { headSha: SHA }));
    ws.states.set('r2', makeState('r2', 'awaiting_human', { headSha: 'b'.repeat(40) }));
    ws.states.set('busy', makeState('busy', 'running', { workerId: 'w1' }));
    ws.states.set('broke', makeState('broke', 'blocked', { attempts: 3, headSha: 'c'.repeat(40) }));
    ws.needs = [
      { kind: 'review', taskId: 'r1', title: 'Review one', sha: SHA, since: '2026-01-01T00:00:00Z' },
      { kind: 'review', taskId: 'r2', title: 'Review two', sha: 'b'.repeat(40), since: '2026-01-02T00:00:00Z' },
      {
        kind: 'failed',
        taskId: 'broke',
        title: 'Broke',
        question: 'The agent failed 3 times (last: exit 1). Fix the cause, then Retry.',
        sha: 'c'.repeat(40),
        since: '2026-01-03T00:00:00Z',
      },
    ];
  };
}

test('idle noise: engine events that change nothing the view shows fire no tree change; a real change fires one', async () => {
  const engine = new FakeEngine();
  seed(engine);
  const ext = await start(engine);
  await renderTree(ext.tasks);
  await renderTree(ext.worktrees);
  let tasksFired = 0;
  let worktreesFired = 0;
  // Count every write of the view's badge and the status bar's text: each one re-renders them.
  const sets = { badge: 0, text: 0, tooltip: 0 };
  const spy = (obj: object, key: 'badge' | 'text' | 'tooltip') => {
    let value = (obj as Record<string, unknown>)[key];
    Object.defineProperty(obj, key, {
      get: () => value,
      set: (v) => {
        sets[key]++;
        value = v;
      },
    });
  };
  spy(fake.treeViews.get(Views.tasks)!, 'badge');
  spy(fake.statusBarItems[0], 'text');
  spy(fake.statusBarItems[0], 'tooltip');
  ext.tasks.onDidChangeTreeData(() => tasksFired++);
  ext.worktrees.onDidChangeTreeData(() => worktreesFired++);
  const worker = (state: WorkerInfo['state']): WorkerInfo => ({ id: 'w1', role: 'worker', harness: 'demo', state, iteration: 1, iterations: 5 });
  // What idle workers poll out: worker states, refreshes of an unchanged task list.
  for (let i = 0; i < 100; i++) engine.last.emit({ type: 'worker_state', worker: worker(i % 2 ? 'idle' : 'claiming') });
  for (let i = 0; i < 5; i++) engine.last.emit({ type: 'task_status', taskId: 'busy', status: 'running' });
  await settle(ext);
  await ext.registry.sessions[0].refreshNow();
  assert.equal(tasksFired, 0, 'the Tasks view was not told to re-render');
  assert.equal(worktreesFired, 0, 'nor the Worktrees view');
  assert.deepEqual(sets, { badge: 0, text: 0, tooltip: 0 }, 'the badge and the status bar are not re-set to what they show');

  engine.last.tasks.pending.push(makeTask('p2', 'pending'));
  engine.last.emit({ type: 'task_created', taskId: 'p2', by: 'user' });
  await settle(ext);
  assert.equal(tasksFired, 1, 'one change event for one change');
});

test('a task keeps its item id while it moves between groups (VS Code maps a menu target back by it)', async () => {
  const engine = new FakeEngine();
  seed(engine);
  const ext = await start(engine);
  const before = child(await renderTree(ext.tasks), 'Current', 'Busy')!;
  const ws = engine.last;
  ws.tasks.current = ws.tasks.current.map((t) => (t.id === 'busy' ? { ...t, status: 'blocked', question: 'Which port?' } : t));
  ws.states.set('busy', makeState('busy', 'blocked'));
  ws.needs.push({ kind: 'question', taskId: 'busy', title: 'Busy', question: 'Which port?', since: '2026-01-04T00:00:00Z' });
  ws.emit({ type: 'task_blocked', taskId: 'busy', question: 'Which port?' });
  await settle(ext);
  const tree = await renderTree(ext.tasks);
  const after = child(tree, 'Blocked', 'Busy')!;
  assert.equal(after.id, before.id);
  const needsYou = child(tree, 'Needs you', 'Busy')!;
  assert.notEqual(needsYou.id, after.id, 'the "Needs you" copy is an item of its own');
  const ids: string[] = [];
  const walk = (items: RenderedItem[]) =>
    items.forEach((i) => {
      if (i.id) ids.push(i.id);
      walk(i.children ?? []);
    });
  walk(tree);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique');
});

test('the clicked item reaches the command: a menu action never opens a "which task?" picker, even from a node of an older render', async () => {
  const engine = new FakeEngine();
  seed(engine);
  const ext = await start(engine);
  const old = child(await renderTree(ext.tasks), 'Needs you', 'Review two')!.node;
  // The tree re-renders meanwhile (another task changed); the menu still holds the old node.
  engine.last.tasks.pending.push(makeTask('p2', 'pending'));
  engine.last.emit({ type: 'task_created', taskId: 'p2', by: 'user' });
  await settle(ext);
  await renderTree(ext.tasks);
  for (let i = 0; i < 10; i++) await run(Commands.openReview, old);
  assert.deepEqual(
    reviews.map((r) => r.taskId),
    Array(10).fill('r2'),
  );
  assert.equal(fake.prompts.filter((p) => p.kind === 'quickPick').length, 0, 'no picker');

  // A row that is not a task (a group) says so instead of offering a picker whose Enter picks the first task.
  const group = find(await renderTree(ext.tasks), 'Needs you')!.node;
  assert.equal(await run(Commands.openReview, group), false);
  assert.equal(fake.prompts.filter((p) => p.kind === 'quickPick').length, 0);
  assert.equal(reviews.length, 10);
});

test("the palette's quick pick shows words, not status ids", async () => {
  const engine = new FakeEngine();
  seed(engine);
  await start(engine);
  await run(Commands.openReview);
  const pick = fake.prompts.find((p) => p.kind === 'quickPick')!;
  const descriptions = pick.items.map((i) => (i as { description: string }).description);
  assert.deepEqual(descriptions, ['r1 · waiting for you', 'r2 · waiting for you', 'broke · failed']);
  assert.ok(!descriptions.some((d) => /awaiting_human|blocked/.test(d)));
});

test('a failed task is not a question: its own group, words and icon; Retry, Open review, Move back to pending; no Answer', async () => {
  const engine = new FakeEngine();
  seed(engine);
  const ext = await start(engine);
  const tree = await renderTree(ext.tasks);
  assert.deepEqual(
    tree.map((g) => g.label),
    ['Needs you', 'Pending', 'Current', 'Blocked', 'Failed', 'Complete'],
  );
  const failed = child(tree, 'Failed', 'Broke')!;
  assert.equal(failed.description, 'broke · failed 3 times');
  assert.equal(failed.icon, 'error');
  assert.ok(!child(tree, 'Blocked', 'Broke'), 'not under Blocked');
  const menus = menuCommands(Views.tasks, failed.contextValue ?? '');
  for (const c of [Commands.retryTask, Commands.openReview, Commands.moveToPending]) assert.ok(menus.includes(c), `${c} in ${menus.join(', ')}`);
  assert.ok(!menus.includes(Commands.answerQuestion), `no Answer: ${failed.contextValue}`);
  assert.doesNotMatch(failed.contextValue ?? '', /:question(:|$)/);
  const needsYou = child(tree, 'Needs you', 'Broke')!;
  assert.equal(needsYou.description, 'broke · failed 3 times');
  assert.ok(!menuCommands(Views.tasks, needsYou.contextValue ?? '').includes(Commands.answerQuestion));
  const tip = (ext.tasks.getTreeItem(failed.node as never).tooltip as { value: string }).value;
  assert.match(tip, /Why: The agent failed 3 times/);
  assert.doesNotMatch(tip, /Question:/);

  // Answer from the palette does not offer it (nothing asks), Retry does.
  await run(Commands.answerQuestion);
  assert.match(fake.messages.at(-1)?.text ?? '', /no task fits/);
  fake.replies.push(reply.pick('Broke'));
  await run(Commands.retryTask);
  assert.ok(engine.last.calls.some((c) => c[0] === 'retry' && c[1] === 'broke'));
});

test('the status bar says paused, not "N running", while the run is paused; waiting for you when nobody works', async () => {
  const engine = new FakeEngine();
  seed(engine);
  const ext = await start(engine);
  await run(Commands.startSwarm);
  const ws = engine.last;
  ws.emit({ type: 'worker_state', worker: { id: 'w1', role: 'worker', harness: 'demo', state: 'running', taskId: 'busy', iteration: 1, iterations: 5 } });
  await settle(ext); // engine events reach the views at most once per frame (session.ts)
  const bar = fake.statusBarItems[0];
  assert.match(bar.text, /1 running/);
  await run(Commands.pauseSwarm);
  assert.doesNotMatch(bar.text, /running/);
  assert.match(bar.text, /^\$\(debug-pause\) Swarm: paused/);
  await run(Commands.resumeSwarm);
  ws.emit({ type: 'worker_state', worker: { id: 'w1', role: 'worker', harness: 'demo', state: 'idle', iteration: 1, iterations: 5 } });
  await settle(ext);
  assert.match(bar.text, /waiting for you/);
  assert.doesNotMatch(bar.text, /sync~spin|0 running/, 'no spinner when nobody works');
  await ext.registry.sessions[0].activeRun?.stop('test');
});

test('config errors: one error row each in the tree, numbered in the Start notification, no Start in the Worktrees welcome; the effective review mode is shown', async () => {
  const engine = new FakeEngine();
  engine.failWith = new Error(
    'swarm.json: workers[0].role: expected worker, reviewer or planner, found "wizard"\nswarm.json: review.mode: expected agent, human or agent+human, found "robot"',
  );
  const ext = await start(engine);
  const tree = await renderTree(ext.tasks);
  assert.deepEqual(
    tree.map((r) => `${r.label} [${r.icon}]`),
    [
      'Config error: swarm.json: workers[0].role: expected worker, reviewer or planner, found "wizard" [error]',
      'Config error: swarm.json: review.mode: expected agent, human or agent+human, found "robot" [error]',
    ],
  );
  assert.equal(fake.contexts.get('swarm.folderState'), 'configError');
  // The manifest: no Start in the view title or the Worktrees welcome while the config is broken.
  for (const m of pkg.contributes.menus['view/title'] as { command: string; when: string }[])
    if (m.command === Commands.startSwarm) assert.match(m.when, /swarm\.folderState != configError/);
  const welcome = (pkg.contributes.viewsWelcome as { view: string; when: string; contents: string }[]).filter(
    (w) => w.view === Views.worktrees && w.when.includes('configError'),
  );
  assert.equal(welcome.length, 1);
  assert.doesNotMatch(welcome[0].contents, /swarm\.start/);
  for (const w of pkg.contributes.viewsWelcome as { view: string; when: string; contents: string }[])
    if (/swarm\.start\)/.test(w.contents)) assert.doesNotMatch(w.when, /configError/);

  await run(Commands.startSwarm);
  const error = fake.messages.find((m) => m.severity === 'error')!;
  assert.match(error.text, /cannot start in repo: 2 config errors: \(1\) swarm\.json: workers\[0\]\.role: .* \(2\) swarm\.json: review\.mode: /);
  await deactivate();

  // Like the engine (workspace.ts): the setting, when set, overrides swarm.json's review.mode.
  const engine2 = new FakeEngine();
  engine2.setup = (ws) => {
    ws.config = { ...ws.config, review: { ...ws.config.review, mode: ws.options.reviewMode ?? 'agent+human' } };
  };
  fake.reset();
  await start(engine2);
  assert.equal((fake.treeViews.get(Views.tasks) as unknown as { description?: string }).description, 'review: agent+human (swarm.json)');
  await deactivate();
  fake.reset();
  fake.config['swarm.review.mode'] = 'human';
  await start(engine2);
  assert.equal((fake.treeViews.get(Views.tasks) as unknown as { description?: string }).description, 'review: human (setting swarm.review.mode)');
});

test('an editor tab of a task file follows the file when the task moves folders (a dirty one is left alone)', async () => {
  const engine = new FakeEngine();
  engine.setup = (ws) => {
    ws.tasks.pending = [makeTask('p1', 'pending'), makeTask('p2', 'pending')];
  };
  const ext = await start(engine);
  const tab = (path: string, extra: Partial<{ isActive: boolean; isDirty: boolean; isPreview: boolean }> = {}) => ({
    label: path.split('/').pop()!,
    input: new TabInputText(Uri.file(path)),
    isActive: false,
    isDirty: false,
    isPreview: false,
    ...extra,
  });
  fake.tabGroups = [
    {
      viewColumn: 2,
      isActive: true,
      tabs: [tab('/repo/tasks/pending/p1.md', { isActive: true, isPreview: true }), tab('/repo/tasks/pending/p2.md', { isDirty: true })],
    },
  ];
  const ws = engine.last;
  ws.tasks.pending = [];
  ws.tasks.current = [makeTask('p1', 'current', 'running'), makeTask('p2', 'current', 'running')];
  ws.emit({ type: 'task_claimed', taskId: 'p1', workerId: 'w1', branch: 'swarm/w1/p1' });
  await settle(ext);
  await ext.tabs.settled();
  assert.deepEqual(fake.shownOptions, [{ path: '/repo/tasks/current/p1.md', options: { viewColumn: 2, preview: true, preserveFocus: false } }]);
  assert.deepEqual(
    fake.tabGroups[0].tabs.map((t) => t.label),
    ['p2.md'],
    'the stale p1 tab closed; the dirty p2 tab kept',
  );
});

test('config errors are Error diagnostics on swarm.json, at the field they name; gone once the config opens', async () => {
  const root = repo();
  writeFileSync(join(root, 'swarm.json'), '{\n  "workers": [\n    { "role": "wizard", "harness": "demo" }\n  ]\n}\n');
  const engine = new FakeEngine();
  engine.failWith = new Error('swarm.json: workers[0].role: expected worker, reviewer or planner, found "wizard"\nother.json: x: not about this file');
  const ext = await start(engine, [root]);
  const list = diagnostics.get(join(root, 'swarm.json')) ?? [];
  assert.deepEqual(
    list.map((d) => [d.severity, d.message, d.range.startLine, d.range.startCharacter]),
    [[DiagnosticSeverity.Error, 'workers[0].role: expected worker, reviewer or planner, found "wizard"', 2, 6]],
  );
  engine.failWith = undefined;
  await ext.registry.sessions[0].reopen();
  await settle(ext);
  assert.equal(diagnostics.get(join(root, 'swarm.json')), undefined);
});
