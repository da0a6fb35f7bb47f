// Tasks and Worktrees views against a fake engine: groups with counts, task items (title, id,
// worker, state words and icon, tooltip, click), contextValues matched by the manifest's regex
// `when` clauses, Needs you newest first with the badge, debounced refresh on file events,
// welcome states, multi-root.
import { fake, renderTree, treeText, type RenderedItem, MarkdownString } from '../helpers/fake-vscode';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { deactivate } from '../../src/extension/extension';
import { Commands, ContextKeys, Views } from '../../src/extension/constants';
import { FakeEngine, makeState, makeTask } from '../helpers/fake-swarm-workspace';
import { find as findItem, folder, menuCommands, pkg, repo, run, settle, start } from '../helpers/extension';
import { TaskNode } from '../../src/extension/tasksTree';
import { STATUS, STATUSES } from '../../src/swarm/status';
import type { ReviewRound, Verdict } from '../../src/swarm/types';

/** find(), but a missing item fails the test with the tree it looked in. */
function find(items: RenderedItem[], label: string): RenderedItem {
  const item = findItem(items, label);
  if (!item) throw new Error(`no tree item "${label}" in\n${treeText(items)}`);
  return item;
}

function seed(engine: FakeEngine, root: string) {
  engine.setup = (ws) => {
    ws.tasks.pending = [
      makeTask('p-low', 'pending', 'pending', { priority: 1 }),
      makeTask('p-high', 'pending', 'pending', { priority: 5, dependsOn: ['c-run'] }),
    ];
    ws.tasks.current = [
      makeTask('c-run', 'current', 'running', { claimedBy: 'w1', worktree: `${root}/.swarm/worktrees/c-run` }),
      makeTask('c-review', 'current', 'reviewing', { claimedBy: 'w2' }),
      makeTask('c-human', 'current', 'awaiting_human', {
        title: 'Add the flag',
        claimedBy: 'w1',
        worktree: `${root}/.swarm/worktrees/c-human`,
        meta: { priority: 3, files: ['src/a.ts'] },
      }),
      makeTask('c-ask', 'current', 'blocked', { claimedBy: 'w3', question: 'Which port?' }),
    ];
    ws.tasks.complete = [
      makeTask('done-old', 'complete', 'complete', { completedAt: '2026-01-01T00:00:00Z', completedBy: 'w1' }),
      makeTask('done-new', 'complete', 'complete', { completedAt: '2026-02-01T00:00:00Z' }),
    ];
    ws.states.set('c-run', makeState('c-run', 'running', { workerId: 'w1', worktree: `${root}/.swarm/worktrees/c-run` }));
    ws.states.set(
      'c-review',
      makeState('c-review', 'reviewing', {
        workerId: 'w2',
        rounds: [
          { round: 1, sha: 'a', base: 'main', baseSha: 'b', by: 'agent', verdict: 'NEEDS_CHANGES', feedback: 'x', startedAt: '', finishedAt: 'y' },
          { round: 2, sha: 'c', base: 'main', baseSha: 'b', by: 'agent', verdict: null, feedback: '', startedAt: '' },
        ],
      }),
    );
    ws.states.set(
      'c-human',
      makeState('c-human', 'awaiting_human', { workerId: 'w1', headSha: 'f00d'.repeat(10), worktree: `${root}/.swarm/worktrees/c-human` }),
    );
    ws.states.set('c-ask', makeState('c-ask', 'blocked', { workerId: 'w3' }));
    ws.needs = [
      { kind: 'review', taskId: 'c-human', title: 'Add the flag', sha: 'f00d'.repeat(10), since: '2026-03-01T10:00:00Z' },
      { kind: 'question', taskId: 'c-ask', title: 'Task c-ask', question: 'Which port?', since: '2026-03-01T11:00:00Z' },
    ];
    ws.worktrees = [
      {
        path: `${root}/.swarm/worktrees/old`,
        branch: 'swarm/old',
        head: 'abc'.repeat(13) + 'a',
        ahead: 2,
        changedFiles: [],
        dirty: true,
        orphaned: true,
        diskBytes: 5 * 1024 * 1024,
      },
      {
        path: `${root}/.swarm/worktrees/c-human`,
        branch: 'swarm/c-human',
        head: 'f00d'.repeat(10),
        taskId: 'c-human',
        workerId: 'w1',
        status: 'awaiting_human',
        ahead: 1,
        changedFiles: [
          { path: 'src/a.ts', status: 'M' },
          { path: 'README.md', status: 'A' },
        ],
        dirty: false,
        orphaned: false,
      },
    ];
  };
}

test('Tasks view: Needs you (newest first) / Pending / Current / Blocked / Complete with counts and task items', async () => {
  const root = repo();
  const engine = new FakeEngine();
  seed(engine, root);
  const ext = await start(engine, [root]);
  const tree = await renderTree(ext.tasks);
  assert.deepEqual(
    tree.map((g) => `${g.label} ${g.description}`),
    ['Needs you 2', 'Pending 2', 'Current 3', 'Blocked 1', 'Complete 2'],
  );
  assert.deepEqual(
    find(tree, 'Needs you').children?.map((c) => c.label),
    ['Task c-ask', 'Add the flag'],
    'newest first',
  );
  assert.deepEqual(
    find(tree, 'Pending').children?.map((c) => c.label),
    ['Task p-low', 'Task p-high'],
    'lowest priority number first, the order the engine takes them',
  );
  assert.equal(find(tree, 'Pending').children?.[1].description, 'p-high · pending · after c-run');
  const current = find(tree, 'Current').children ?? [];
  assert.deepEqual(
    current.map((c) => c.description),
    ['c-run · w1 · running', 'c-review · w2 · in review round 2', 'c-human · w1 · waiting for you'],
  );
  assert.deepEqual(
    current.map((c) => c.icon),
    ['sync~spin', 'eye', 'bell-dot'],
  );
  assert.equal(find(tree, 'Blocked').children?.[0].description, 'c-ask · w3 · question for you');
  assert.deepEqual(
    find(tree, 'Complete').children?.map((c) => c.label),
    ['Task done-new', 'Task done-old'],
  );
  assert.equal(find(tree, 'Complete').children?.[1].description, 'done-old · w1 · merged');

  // Tooltip: the frontmatter, as text; click opens the task through the openTask command.
  const human = current[2];
  const item = ext.tasks.getTreeItem(human.node as never);
  assert.ok(item.tooltip instanceof MarkdownString);
  assert.match((item.tooltip as MarkdownString).value, /```yaml\nid: c-human\ntitle: Add the flag\npriority: 3\nfiles: \["src\/a.ts"\]\n```/);
  assert.equal(item.command?.command, Commands.openTask);
  await fake.commands.get(Commands.openTask)?.(...(item.command?.arguments ?? []));
  assert.deepEqual(fake.shownDocuments, [`${root}/tasks/current/c-human.md`.replace(root, '/repo')]);
});

test('a review the reviewer did not approve carries no approvable flag (the engine says so through needsYou)', async () => {
  const root = repo();
  const engine = new FakeEngine();
  seed(engine, root);
  const inner = engine.setup;
  engine.setup = (ws) => {
    inner(ws);
    ws.needs[0] = { ...ws.needs[0], approvable: { approvable: false, verdict: 'NEEDS_CHANGES', message: 'The reviewer said NEEDS_CHANGES in round 1.' } };
  };
  const ext = await start(engine, [root]);
  const tree = await renderTree(ext.tasks);
  const cv = (group: string, label: string) => find(find(tree, group).children ?? [], label).contextValue ?? '';
  assert.equal(cv('Needs you', 'Add the flag'), 'task:current:awaiting_human:decidable:overridable:movable:review:worktree:needsyou-review');
  assert.equal(cv('Current', 'Add the flag'), 'task:current:awaiting_human:decidable:overridable:movable:review:worktree');
});

test('Tasks view: a pending task that can never start says why in its description and tooltip (issue 12 rule 15)', async () => {
  const root = repo();
  const engine = new FakeEngine();
  engine.setup = (ws) => {
    ws.tasks.pending = [makeTask('loop', 'pending', 'pending', { dependsOn: ['loop'], cannotRun: 'dependency cycle: loop → loop' })];
  };
  const ext = await start(engine, [root]);
  const tree = await renderTree(ext.tasks);
  const node = find(tree, 'Pending').children?.[0];
  assert.equal(node?.description, 'loop · pending · can never start: dependency cycle: loop → loop');
  const item = ext.tasks.getTreeItem(node!.node as never);
  assert.match((item.tooltip as MarkdownString).value, /Can never start: dependency cycle: loop → loop/);
});

test('contextValues select the right inline and context actions through the manifest regexes', async () => {
  const root = repo();
  const engine = new FakeEngine();
  seed(engine, root);
  const ext = await start(engine, [root]);
  const tree = await renderTree(ext.tasks);
  const cv = (group: string, label: string) => find(find(tree, group).children ?? [], label).contextValue ?? '';
  assert.equal(cv('Current', 'Add the flag'), 'task:current:awaiting_human:decidable:approvable:movable:review:worktree');
  assert.equal(cv('Pending', 'Task p-low'), 'task:pending:pending');
  assert.equal(cv('Blocked', 'Task c-ask'), 'task:current:blocked:retryable:movable:answerable:question');
  assert.equal(cv('Needs you', 'Add the flag'), 'task:current:awaiting_human:decidable:approvable:movable:review:worktree:needsyou-review');

  assert.deepEqual(menuCommands(Views.tasks, cv('Current', 'Add the flag'), true), [Commands.openReview, Commands.approve, Commands.showLiveOutput]);
  assert.deepEqual(menuCommands(Views.tasks, cv('Current', 'Add the flag'), false), [
    Commands.openTask,
    Commands.openReview,
    Commands.approve,
    Commands.override,
    Commands.requestChanges,
    Commands.moveToPending,
    Commands.revealWorktree,
    Commands.showAgentLog,
    Commands.showLiveOutput,
  ]);
  assert.deepEqual(menuCommands(Views.tasks, cv('Blocked', 'Task c-ask'), true), [Commands.answerQuestion, Commands.retryTask, Commands.showLiveOutput]);
  assert.deepEqual(menuCommands(Views.tasks, cv('Pending', 'Task p-low')), [Commands.openTask], 'a pending task can only be opened');
  assert.deepEqual(menuCommands(Views.tasks, cv('Current', 'Task c-run')), [
    Commands.openTask,
    Commands.moveToPending,
    Commands.revealWorktree,
    Commands.showAgentLog,
    Commands.showLiveOutput,
  ]);
  assert.deepEqual(menuCommands(Views.tasks, cv('Complete', 'Task done-new')), [Commands.openTask, Commands.showAgentLog, Commands.showLiveOutput]);
  assert.ok(!menuCommands(Views.worktrees, cv('Current', 'Add the flag')).length, 'task items get no worktree actions');
});

for (const sandboxed of [false, true]) {
  test(`Worktrees view: a live worktree says its agents are ${sandboxed ? '' : 'NOT '}sandboxed (description when not, tooltip always)`, async () => {
    const root = repo();
    const engine = new FakeEngine();
    seed(engine, root);
    const inner = engine.setup;
    engine.setup = (ws) => {
      inner(ws);
      (ws as { sandbox?: unknown }).sandbox = {
        sandboxed,
        mode: sandboxed ? 'auto' : 'off',
        reason: sandboxed ? 'agents run sandboxed' : 'agents are NOT sandboxed: sandbox.mode is "off"',
      };
    };
    const ext = await start(engine, [root]);
    const tree = await renderTree(ext.worktrees);
    const live = tree.find((w) => w.label === 'swarm/c-human')!;
    const orphan = tree.find((w) => w.label === 'swarm/old')!;
    assert.equal(String(live.description).includes('not sandboxed'), !sandboxed, String(live.description));
    assert.ok(!String(orphan.description).includes('sandboxed'), 'an orphaned worktree has no agent');
    const tip = (ext.worktrees.getTreeItem(live.node as never).tooltip as MarkdownString).value;
    assert.match(tip.replace(/\\/g, ''), sandboxed ? /Agents here run sandboxed/ : /NOT sandboxed: sandbox.mode is "off"/);
  });
}

test('Worktrees view: branch, task, worker, state, ahead, changed files (click → native diff), orphaned with disk use', async () => {
  const root = repo();
  const engine = new FakeEngine();
  seed(engine, root);
  const ext = await start(engine, [root]);
  const tree = await renderTree(ext.worktrees);
  assert.deepEqual(
    tree.map((w) => `${w.label} — ${w.description}`),
    ['swarm/c-human — c-human · w1 · waiting for you · 1 ahead · 2 files', 'swarm/old — orphaned · 5.0 MB · 2 ahead · uncommitted changes'],
  );
  assert.equal(tree[0].contextValue, 'worktree:active:task');
  assert.equal(tree[1].contextValue, 'worktree:orphaned:dirty');
  assert.deepEqual(menuCommands(Views.worktrees, 'worktree:orphaned:dirty', true), [
    Commands.openWorktreeInNewWindow,
    Commands.openWorktreeInTerminal,
    Commands.cleanUpWorktree,
  ]);
  assert.deepEqual(menuCommands(Views.worktrees, 'worktree:active:task', true), [Commands.openWorktreeInNewWindow, Commands.openWorktreeInTerminal]);
  assert.ok(menuCommands(Views.worktrees, 'worktree:active:task', false).includes(Commands.showAgentLog));
  assert.deepEqual(
    tree[0].children?.map((f) => `${f.label} — ${f.description}`),
    ['a.ts — src · M', 'README.md — A'],
  );

  // Clicking a changed file opens VS Code's diff: base (merge-base the review saw) ↔ the worktree file.
  const fileItem = ext.worktrees.getTreeItem(tree[0].children?.[0].node as never);
  await fake.commands.get(fileItem.command!.command)!(...(fileItem.command!.arguments ?? []));
  const diff = fake.executed.find((e) => e.command === 'vscode.diff');
  assert.ok(diff, 'vscode.diff ran');
  const [left, right, title] = diff.args as [{ scheme: string; path: string; query: string }, { scheme: string; fsPath: string }, string];
  assert.equal(left.scheme, 'swarm-worktree-base');
  assert.equal(JSON.parse(left.query).rev, 'base000');
  assert.equal(right.fsPath, `${root}/.swarm/worktrees/c-human/src/a.ts`);
  assert.equal(title, 'a.ts (main ↔ swarm/c-human)');
  // ... and the left side's content comes from the engine's showFile.
  const provider = fake.contentProviders.get('swarm-worktree-base')!;
  assert.equal(await provider.provideTextDocumentContent(left as never), 'src/a.ts@base000');
  const evil = { ...left, query: JSON.stringify({ root, rev: '--output=/tmp/x' }) };
  assert.equal(await provider.provideTextDocumentContent(evil as never), '', 'an option-looking rev never reaches git');
});

test('badge and status bar count what needs you; the status bar focuses the Tasks view', async () => {
  const root = repo();
  const engine = new FakeEngine();
  seed(engine, root);
  const ext = await start(engine, [root]);
  const view = fake.treeViews.get(Views.tasks)!;
  assert.deepEqual(view.badge, { value: 2, tooltip: '2 items waiting for you' });
  const bar = fake.statusBarItems[0];
  assert.equal(bar.visible, true, 'visible while something waits for you');
  assert.equal(bar.text, '$(bell-dot) Swarm: idle · 6 left · 1 review · 1 waiting');
  assert.equal(bar.command, `${Views.tasks}.focus`);
  assert.equal(fake.contexts.get(ContextKeys.needsYouCount), 2);

  engine.last.needs = [];
  engine.last.emit({ type: 'human_decision', taskId: 'c-human', decision: 'approve', sha: 'f00d', applied: true });
  engine.last.emit({ type: 'task_answered', taskId: 'c-ask', answer: '8080' });
  await settle(ext);
  assert.equal(view.badge, undefined);
  assert.equal(bar.visible, false, 'hidden when nothing runs and nothing waits');
});

test('a burst of 300 file events in the task folders becomes a few refreshes, and the new task shows', async () => {
  const root = repo();
  const engine = new FakeEngine();
  const ext = await start(engine, [root]);
  const session = ext.registry.sessions[0];
  const before = session.taskLoads;
  const watchers = fake.watchers
    .filter((w) => !w.disposed && typeof w.pattern !== 'string')
    .map((w) => `${w.base} ${(w.pattern as { pattern: string }).pattern}`);
  assert.ok(watchers.includes(`${root} tasks/**`), `a watcher on the tasks folders (${watchers.join(', ')})`);
  engine.last.tasks.pending.push(makeTask('from-agent', 'pending'));
  for (let i = 0; i < 300; i++) {
    assert.equal(fake.touch(join(root, 'tasks', 'pending', `t${i % 7}.md`), i % 3 === 0 ? 'create' : 'change'), 1);
    if (i % 50 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  await settle(ext);
  const refreshes = session.taskLoads - before;
  assert.equal(engine.workspaces.length, 1, 'task file events never re-open the workspace');
  // The loop yields 6 times (every 50 events); on a loaded machine each yield can outlast maxWait
  // (20 ms here) and run one refresh, plus the one settle flushes and one re-run: 8 at most, not 300.
  assert.ok(refreshes >= 1 && refreshes <= 8, `300 events → ${refreshes} refreshes`);
  const tree = await renderTree(ext.tasks);
  assert.ok(findItem(tree, 'Task from-agent'), 'the task an agent wrote appears without a manual refresh');
});

test("a run's stream of events redraws the views a few times per second, not once per event; the last state shows; a click shows at once", async () => {
  const root = repo();
  const engine = new FakeEngine();
  const ext = await start(engine, [root]);
  const session = ext.registry.sessions[0];
  assert.equal(await run(Commands.startSwarm), true);
  await settle(ext);
  let changes = 0;
  const sub = session.onDidChange(() => changes++);
  // 300 worker state changes as fast as the engine process can send them (one IPC read can carry dozens).
  const states = ['running', 'reviewing', 'waiting'] as const;
  for (let i = 0; i < 300; i++) {
    engine.last.emit({
      type: 'worker_state',
      worker: { id: 'w1', role: 'worker', harness: 'demo', state: states[i % 3], taskId: 'busy', iteration: 1, iterations: 5 },
    });
    if (i % 50 === 0) await new Promise((r) => setImmediate(r));
  }
  await settle(ext);
  assert.ok(changes >= 1 && changes <= 5, `300 events → ${changes} view updates`);
  assert.match(fake.statusBarItems[0].text, /^\$\(bell-dot\) Swarm: 0 running/, 'the last state (waiting) is shown');
  // Pause (a user's action) is shown at once, in the same frame as the events before it.
  engine.last.emit({
    type: 'worker_state',
    worker: { id: 'w1', role: 'worker', harness: 'demo', state: 'running', taskId: 'busy', iteration: 1, iterations: 5 },
  });
  await run(Commands.pauseSwarm);
  assert.match(fake.statusBarItems[0].text, /^\$\(debug-pause\)/);
  assert.equal(fake.contexts.get(ContextKeys.paused), true);
  sub.dispose();
  await ext.registry.sessions[0].activeRun?.stop('test');
});

test('welcome states: no folder, not a git repository, no swarm.json, untrusted; config errors show in the tree', async () => {
  const engine = new FakeEngine();
  let ext = await start(engine, []);
  assert.equal(fake.contexts.get(ContextKeys.folderState), 'noFolder');
  await deactivate();

  fake.reset();
  const plain = folder('plain');
  ext = await start(engine, [plain]);
  assert.equal(fake.contexts.get(ContextKeys.folderState), 'noGit');
  assert.deepEqual(await renderTree(ext.tasks), [], 'empty tree → the welcome view shows');
  assert.equal(engine.opened.length, 0, 'the engine is not opened outside a repository');
  await deactivate();

  fake.reset();
  const root = repo();
  engine.setup = (ws) => {
    ws.config = { ...ws.config, file: undefined, format: 'default' };
  };
  ext = await start(engine, [root]);
  assert.equal(fake.contexts.get(ContextKeys.folderState), 'noConfig');
  assert.deepEqual(await renderTree(ext.tasks), []);
  await deactivate();

  fake.reset();
  fake.isTrusted = false;
  const before = engine.opened.length;
  ext = await start(engine, [repo()]);
  assert.equal(fake.contexts.get(ContextKeys.folderState), 'untrusted');
  assert.equal(engine.opened.length, before, 'no git command (no engine) in an untrusted workspace');
  await deactivate();

  fake.reset();
  engine.failWith = new Error('swarm.json: workers[0].count: expected a number above 0, found 0');
  ext = await start(engine, [repo()]);
  const tree = await renderTree(ext.tasks);
  assert.equal(tree.length, 1);
  assert.match(tree[0].label, /^Config error: swarm.json: workers\[0\].count/);
  engine.failWith = undefined;
});

test('multi-root: one session per repository (two folders of one repository share it), repository nodes at the top', async () => {
  const a = repo('a');
  mkdirSync(join(a, 'packages', 'x'), { recursive: true });
  const b = repo('b');
  const engine = new FakeEngine();
  engine.setup = (ws) => {
    ws.tasks.pending = [makeTask(`in-${ws.options.repo.split('/').pop()}`, 'pending')];
  };
  const ext = await start(engine, [a, join(a, 'packages', 'x'), b]);
  assert.deepEqual(
    ext.registry.sessions.map((s) => s.root),
    [a, b],
  );
  assert.equal(fake.contexts.get(ContextKeys.multipleRepositories), true);
  const tree = await renderTree(ext.tasks);
  assert.deepEqual(
    tree.map((t) => t.label),
    ['a', 'b'],
  );
  assert.ok(findItem(tree[0].children ?? [], 'Task in-a'));
  assert.ok(findItem(tree[1].children ?? [], 'Task in-b'));
});

test('Complete shows the newest 200 with a note for the rest; unreadable task files show under Quarantined with the reason', async () => {
  const root = repo();
  const engine = new FakeEngine();
  engine.setup = (ws) => {
    ws.tasks.complete = Array.from({ length: 250 }, (_, i) =>
      makeTask(`t${String(i).padStart(3, '0')}`, 'complete', 'complete', { completedAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString() }),
    );
    ws.tasks.quarantined = [{ file: `${root}/tasks/quarantine/bad.md`, reason: 'frontmatter: id "Bad Id" is not a valid task id' }];
  };
  const ext = await start(engine, [root]);
  const tree = await renderTree(ext.tasks);
  const complete = find(tree, 'Complete');
  assert.equal(complete.description, '250');
  assert.equal(complete.children?.length, 201);
  assert.equal(complete.children?.[0].label, 'Task t249', 'newest first');
  assert.equal(complete.children?.[200].label, '50 older tasks in tasks/complete');
  const quarantined = find(tree, 'Quarantined');
  assert.deepEqual(
    quarantined.children?.map((c) => `${c.label} — ${c.description}`),
    ['bad.md — frontmatter: id "Bad Id" is not a valid task id'],
  );
});

test("the manifest's task menus match capability flags, never a list of statuses", () => {
  const statusName = new RegExp(`\\b(${STATUSES.join('|')})\\b`);
  for (const m of pkg.contributes.menus['view/item/context'] as { command: string; when: string }[]) {
    if (!m.when.includes('view == swarm.tasks')) continue;
    const folderOnly = m.when.replace(/\^task:\((current\|complete)\):/, '');
    assert.doesNotMatch(folderOnly, statusName, `${m.command}: "${m.when}" names a status; match a flag from tasksTree's contextValue instead`);
  }
});

test("every status: the tree offers a decision exactly where the engine accepts one; Approve only where the engine's approvability says so, else Override", () => {
  const round = (verdict: Verdict | null): ReviewRound => ({
    round: 1,
    sha: 'a'.repeat(40),
    base: 'main',
    baseSha: 'b'.repeat(40),
    by: 'agent',
    verdict,
    feedback: '',
    startedAt: '',
    finishedAt: '',
  });
  for (const status of STATUSES) {
    for (const headSha of [undefined, 'c'.repeat(40)]) {
      for (const verdict of [undefined, 'APPROVED', 'NEEDS_CHANGES', 'REJECTED', null] as const) {
        // What the engine says (approval.ts through needsYou), including "no entry yet" (undefined).
        for (const engineSays of [undefined, true, false] as const) {
          const rounds = verdict === undefined ? [] : [round(verdict)];
          const state = makeState('t', status, { headSha, rounds });
          const needsYou =
            engineSays === undefined
              ? []
              : [
                  {
                    kind: 'review' as const,
                    taskId: 't',
                    title: 't',
                    sha: headSha,
                    since: '',
                    approvable: { approvable: engineSays, verdict: verdict ?? null },
                  },
                ];
          const node = new TaskNode(undefined, { root: '/r', snapshot: { needsYou } } as never, makeTask('t', 'current', status), state);
          const menus = [...menuCommands(Views.tasks, node.contextValue, true), ...menuCommands(Views.tasks, node.contextValue, false)];
          const where = `${status}, head ${headSha ? 'set' : 'none'}, verdict ${verdict}, engine ${engineSays}: ${node.contextValue}`;
          // What TaskFlow.decide (src/swarm/flow.ts) accepts: a decidable status and a head to decide on.
          const engineAccepts = STATUS[status].decidable && !!headSha;
          for (const c of [Commands.override, Commands.requestChanges]) assert.equal(menus.includes(c), engineAccepts, `${c} for ${where}`);
          // Approve only where the engine's own rule said yes for this head; the tree never works it out itself.
          const approvable = engineAccepts && STATUS[status].approvable && engineSays === true;
          assert.equal(menus.includes(Commands.approve), approvable, `approve for ${where}`);
          const inline = menuCommands(Views.tasks, node.contextValue, true);
          assert.equal(inline.includes(Commands.override), engineAccepts && STATUS[status].approvable && !approvable, `inline override for ${where}`);
          assert.equal(menus.includes(Commands.retryTask), STATUS[status].retryable, `retry for ${where}`);
          assert.equal(menus.includes(Commands.answerQuestion), STATUS[status].needsYou === 'question', `answer for ${where}`);
        }
      }
    }
  }
});

test('Worktrees view and task tooltip: the worktree\'s ports and "may conflict with <task> in <files>" (issue 14)', async () => {
  const root = repo();
  const engine = new FakeEngine();
  seed(engine, root);
  const inner = engine.setup;
  const warning = { with: 'c-run', kind: 'task' as const, files: ['src/a.ts', 'src/b.ts'], at: '2026-03-01T10:00:00Z' };
  engine.setup = (ws) => {
    inner(ws);
    const live = ws.worktrees.find((w) => w.taskId === 'c-human')!;
    live.ports = { first: 4110, count: 10 };
    live.conflicts = [warning];
    ws.worktrees[0].ports = { first: 4100, count: 10 }; // an orphaned worktree's old range is not shown
    const st = ws.states.get('c-human')!;
    st.ports = { first: 4110, count: 10 };
    st.predictedConflicts = [warning, { with: 'main', kind: 'base', files: ['README.md'], at: '2026-03-01T10:00:00Z' }];
  };
  const ext = await start(engine, [root]);
  const tree = await renderTree(ext.worktrees);
  assert.deepEqual(
    tree.map((w) => `${w.label} — ${w.description}`),
    [
      'swarm/c-human — c-human · w1 · waiting for you · 1 ahead · 2 files · ports 4110–4119 · ⚠ may conflict with c-run in src/a.ts, src/b.ts',
      'swarm/old — orphaned · 5.0 MB · 2 ahead · uncommitted changes',
    ],
  );
  const tip = (ext.worktrees.getTreeItem(tree[0].node as never).tooltip as MarkdownString).value.replace(/\\/g, '');
  assert.match(tip, /Ports: 4110–4119 \(SWARM_PORT=4110, SWARM_PORT_COUNT=10\)/);
  assert.match(tip, /may conflict with c-run in src\/a.ts, src\/b.ts/);
  const tasks = await renderTree(ext.tasks);
  const human = find(tasks, 'Current').children!.find((c) => c.label === 'Add the flag')!;
  const taskTip = (ext.tasks.getTreeItem(human.node as never).tooltip as MarkdownString).value.replace(/\\/g, '');
  assert.match(taskTip, /Worktree ports 4110–4119/);
  assert.match(taskTip, /may conflict with c-run in src\/a.ts, src\/b.ts/);
  assert.match(taskTip, /may conflict with the base main in README.md/);
});

test("the engine's approvability is for one head: an entry for another sha does not make the head shown approvable", () => {
  const state = makeState('t', 'awaiting_human', { headSha: 'c'.repeat(40) });
  const needsYou = [
    { kind: 'review' as const, taskId: 't', title: 't', sha: 'd'.repeat(40), since: '', approvable: { approvable: true, verdict: 'APPROVED' as const } },
  ];
  const node = new TaskNode(undefined, { root: '/r', snapshot: { needsYou } } as never, makeTask('t', 'current', 'awaiting_human'), state);
  assert.match(node.contextValue, /:overridable(:|$)/);
  assert.doesNotMatch(node.contextValue, /:approvable(:|$)/);
});
