// The end-to-end scenarios: the packaged extension in a real VS Code (code-server), driven like a
// user with Playwright, each on a freshly generated sample repository with the built-in demo
// agents. Each asserts what the user sees (tree, status bar, notifications, review panel), checks
// what really happened with git and the task folders, and saves screenshots to e2e/artifacts/.
// The scenarios run one after another in this one file (one .vsix build, one code-server at a
// time: the machine has two cores).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { launch, SCENARIO_MS, type Workbench } from './launcher';
import { expandGroup, freshSample, git, groupCount, groupItems, readTask, removeSamples, skipReason, tasksIn, treeRow, until } from './helpers';
import { SAMPLE_TASKS, EXTRA_TASKS, taskFile } from '../scripts/make-sample.mjs';

const skip = skipReason();
after(removeSamples);

const titleOf = (id: string): string =>
  ([...SAMPLE_TASKS, ...Object.values(EXTRA_TASKS)] as { id: string; title?: string }[]).find((t) => t.id === id)?.title ?? id;
const statusText = async (wb: Workbench) =>
  (
    (await wb
      .statusBarItem(/Swarm:/)
      .first()
      .textContent({ timeout: 1000 })
      .catch(() => '')) ?? ''
  ).trim();

/** Launch, run the scenario, always stop; on failure keep a screenshot of where it stood. */
async function scenario(name: string, folder: string, body: (wb: Workbench) => Promise<void>): Promise<void> {
  const wb = await launch({ scenario: name, folder });
  try {
    await body(wb);
  } catch (e) {
    await wb.screenshot('failed').catch(() => {});
    throw e;
  } finally {
    await wb.stop();
  }
}

/** Merge commits on main, as "Merge task <id>" subjects (first-parent history). */
function mergedIds(repo: string): string[] {
  return git(repo, 'log', '--first-parent', '--format=%s', 'main')
    .split('\n')
    .map((s) => /^Merge task ([a-z0-9._-]+)/.exec(s)?.[1])
    .filter((x): x is string => Boolean(x));
}

/** Checks every completed task on disk: in tasks/complete, merged exactly once, its commit on main. */
function assertMerged(repo: string, ids: string[]): void {
  const complete = tasksIn(repo, 'complete');
  const merged = mergedIds(repo);
  for (const id of ids) {
    assert.ok(complete.includes(id), `${id} is in tasks/complete (complete: ${complete.join(', ')})`);
    assert.equal(merged.filter((m) => m === id).length, 1, `${id} merged exactly once on main (merges: ${merged.join(', ')})`);
    const commit = /merged_commit:\s*'?([0-9a-f]{40})/.exec(readTask(repo, 'complete', id))?.[1];
    assert.ok(commit, `${id} records merged_commit`);
    git(repo, 'merge-base', '--is-ancestor', commit, 'main'); // throws when not on main
  }
}

/** Pick an item in an open quick pick by typing a filter and pressing Enter. */
async function pickQuick(wb: Workbench, filter: string): Promise<void> {
  const input = wb.page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill(filter);
  await wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: filter }).first().waitFor({ state: 'visible' });
  await input.press('Enter');
}

/**
 * "Swarm: Open review" for one task (a quick pick when several wait), then wait for the panel.
 * The first webview of a fresh code-server window opened a few seconds after the swarm's turns
 * can take 20-30 s before its page runs (measured: the extension sets the HTML at once, code-server
 * logs "will update content" and "webview ready" at once, the page's first message comes ~25 s
 * later; opened 10 s later it loads in a second): the wait is on the panel showing the task, bounded
 * only by WAIT_MS (launcher.ts).
 */
async function openReview(wb: Workbench, taskId: string): Promise<void> {
  const panel = wb.webview().locator('body', { hasText: taskId });
  // The quick pick can close under the test (focus taken by the panel refreshing after a merge):
  // then the command is run again.
  for (let attempt = 1; ; attempt++) {
    await wb.runCommand('Swarm: Open review');
    const picker = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row').first();
    // Whichever state comes first: a picker (several reviews wait) or the panel (only one does).
    const first = await Promise.race([
      picker.waitFor({ state: 'visible' }).then(() => 'picker' as const),
      panel.waitFor({ state: 'visible' }).then(() => 'panel' as const),
    ]);
    if (first === 'panel') break;
    const picked = await pickQuick(wb, taskId).then(
      () => true,
      (e: unknown) => {
        if (attempt >= 3) throw e;
        return false;
      },
    );
    if (picked) break;
  }
  await panel.waitFor({ state: 'visible' });
}

test('smoke: the packaged extension loads in code-server and shows the Swarm views', { skip, timeout: SCENARIO_MS }, async () => {
  const { dir } = freshSample('smoke');
  await scenario('smoke', dir, async (wb) => {
    await wb.openSwarmView();
    await wb.viewPane('Tasks').waitFor({ state: 'visible' });
    await wb.viewPane('Worktrees').waitFor({ state: 'visible' });
    await treeRow(wb, 'Pending', 'Tasks').first().waitFor({ state: 'visible' });
    await wb.screenshot();
    assert.doesNotMatch(wb.serverLog(), /Activating extension 'worktree-swarm\.worktree-swarm' failed/);
  });
});

test('welcome: the Swarm view offers Initialize; after it, Pending lists the tasks', { skip, timeout: SCENARIO_MS }, async () => {
  const { dir } = freshSample('welcome', { config: false, tasks: 0 });
  await scenario('welcome', dir, async (wb) => {
    await wb.openSwarmView();
    const init = wb.viewPane('Tasks').getByRole('button', { name: /Initialize swarm/ });
    await init.waitFor({ state: 'visible' });
    await wb.screenshot('before');
    assert.equal(existsSync(join(dir, 'swarm.json')), false);
    await init.click();
    await until('swarm.json written by Initialize', () => existsSync(join(dir, 'swarm.json')), 20_000);
    // The config it wrote is valid JSON(C) and is opened for the user; its example task is listed.
    await wb.page.locator('.tabs-container .tab', { hasText: 'swarm.json' }).waitFor({ state: 'visible' });
    await until('the example task under Pending', async () => (await groupItems(wb, 'Pending')).includes('Say hello'), 20_000);
    // Tasks added on disk (by the user, an agent, git) appear without a manual refresh.
    for (const t of SAMPLE_TASKS.slice(0, 3)) writeFileSync(join(dir, 'tasks', 'pending', `${t.id}.md`), taskFile(t));
    const titles = ['Say hello', ...SAMPLE_TASKS.slice(0, 3).map((t) => t.title)];
    await until(
      'the new tasks under Pending',
      async () => {
        const items = await groupItems(wb, 'Pending');
        return titles.every((t) => items.includes(t));
      },
      20_000,
    );
    assert.equal(await groupCount(wb, 'Pending'), titles.length);
    await wb.screenshot();
  });
});

test('start swarm: tasks move Pending → Current → Complete, status bar shows progress, worktrees come and go', { skip, timeout: SCENARIO_MS }, async () => {
  const { dir, tasks } = freshSample('start-swarm', { tasks: 4, workers: 2, delayMs: 2500 });
  await scenario('start-swarm', dir, async (wb) => {
    await wb.openSwarmView();
    await until('4 pending tasks', async () => (await groupCount(wb, 'Pending')) === 4, 20_000);
    await wb.runCommand('Swarm: Start swarm');
    const seen = { current: 0, worktrees: new Set<string>(), status: new Set<string>(), midShot: false };
    await until(
      'all tasks complete',
      async () => {
        const current = await groupCount(wb, 'Current');
        seen.current = Math.max(seen.current, current);
        const s = await statusText(wb);
        if (s) seen.status.add(s);
        for (const label of await wb.viewPane('Worktrees').locator('.monaco-list-row .label-name').allTextContents())
          if (label.startsWith('swarm/')) seen.worktrees.add(label);
        if (!seen.midShot && current > 0 && seen.worktrees.size > 0) {
          seen.midShot = true;
          await expandGroup(wb, 'Current');
          await wb.screenshot('running');
        }
        return (await groupCount(wb, 'Complete')) === 4;
      },
      150_000,
      300,
    );
    assert.ok(seen.current >= 1, 'a task showed under Current while it ran');
    assert.ok(
      [...seen.status].some((s) => /Swarm: \d+ running · \d+ left/.test(s)),
      `the status bar showed progress: ${[...seen.status].join(' | ')}`,
    );
    assert.ok(seen.worktrees.size >= 1, 'worktrees appeared in the Worktrees view');
    await until(
      'the worktrees are gone from the view',
      async () =>
        (await wb
          .viewPane('Worktrees')
          .locator('.monaco-list-row .label-name', { hasText: /^swarm\// })
          .count()) === 0,
      30_000,
    );
    assert.equal(await groupCount(wb, 'Pending'), 0);
    assert.equal(await groupCount(wb, 'Current'), 0);
    await expandGroup(wb, 'Complete');
    await until('the merged tasks under Complete', async () => (await groupItems(wb, 'Complete')).length === 4, 10_000);
    await wb.screenshot();
    assertMerged(dir, tasks);
    assert.equal(git(dir, 'show', 'main:src/farewell.js'), "'use strict';\n\nexports.farewell = (name) => `Goodbye, ${name}!`;");
    assert.deepEqual(
      git(dir, 'worktree', 'list', '--porcelain')
        .split('\n')
        .filter((l) => l.startsWith('worktree ')).length,
      1,
      'only the main checkout is left',
    );
  });
});

test(
  'human review: the panel shows diff and verdict; Approve merges, Request changes starts the next round, Override merges with the reason',
  { skip, timeout: SCENARIO_MS },
  async () => {
    const { dir } = freshSample('human-review', { review: 'agent+human', maxRounds: 1, tasks: 1, workers: 2, extra: ['needs-changes', 'override'] });
    const [approveId, changesId, overrideId] = ['add-farewell', 'add-subtract', 'add-divide'];
    await scenario('human-review', dir, async (wb) => {
      await wb.openSwarmView();
      await wb.runCommand('Swarm: Start swarm');
      await until('three reviews under Needs you', async () => (await groupCount(wb, 'Needs you')) === 3, 60_000);
      const s = await statusText(wb);
      assert.match(s, /3 reviews/, `status bar counts the reviews: ${s}`);

      // Approve: the reviewer agent approved; the user approves too, and it merges.
      await openReview(wb, approveId);
      const view = wb.webview();
      await view.locator('.ln', { hasText: 'exports.farewell' }).first().waitFor({ state: 'visible' });
      await view
        .getByText(/Approved/)
        .filter({ visible: true })
        .first()
        .waitFor({ state: 'visible' });
      await wb.screenshot('approve');
      await view.locator('vscode-button', { hasText: /^\s*Approve\b/ }).click();
      await until(`${approveId} merged on main`, () => mergedIds(dir).includes(approveId), 30_000);

      // Request changes: round 1 left a TODO, the reviewer said NEEDS_CHANGES; the user asks for a fix.
      await openReview(wb, changesId);
      await view.locator('.ln', { hasText: 'TODO: finish this' }).first().waitFor({ state: 'visible' });
      await view
        .getByText(/Needs changes/i)
        .filter({ visible: true })
        .first()
        .waitFor({ state: 'visible' });
      await view.locator('vscode-textarea textarea').fill('Remove the TODO line, please.');
      await wb.screenshot('request-changes');
      await view.locator('vscode-button', { hasText: /Request changes/ }).click();
      // The fix round runs, the reviewer approves it, and the panel shows the next round: your
      // request, the reviewer's verdict on the fix, and the fixed diff.
      await view
        .getByText(/Review rounds \(3\)/)
        .first()
        .waitFor({ state: 'visible' });
      await until(
        `${changesId} waiting for the user again`,
        async () => JSON.parse(readFileSync(join(dir, '.swarm', 'tasks', changesId, 'state.json'), 'utf8')).status === 'awaiting_human',
        60_000,
      );
      await view.getByText('Waiting for you').first().waitFor({ state: 'visible' });
      await until(
        'the fixed diff in the panel',
        async () =>
          (await view.locator('.ln', { hasText: 'TODO: finish this' }).count()) === 0 &&
          (await view.locator('.ln', { hasText: 'exports.subtract' }).count()) > 0,
        20_000,
      );
      await wb.screenshot('next-round');
      await view.locator('vscode-button', { hasText: /^\s*Approve\b/ }).click();
      await until(`${changesId} merged on main`, () => mergedIds(dir).includes(changesId), 30_000);
      assert.doesNotMatch(git(dir, 'show', 'main:src/subtract.js'), /TODO/);

      // Override: merge a NEEDS_CHANGES commit anyway, with a reason that is kept.
      const reason = 'Reviewed by hand: the TODO is tracked elsewhere.';
      await openReview(wb, overrideId);
      await view
        .getByText(/Needs changes/i)
        .filter({ visible: true })
        .first()
        .waitFor({ state: 'visible' });
      await view.locator('vscode-textarea textarea').fill(reason);
      await view.locator('vscode-button', { hasText: /Override/ }).click();
      await until(`${overrideId} merged on main`, () => mergedIds(dir).includes(overrideId), 30_000);
      await until(
        'the tree: all three complete, nothing waiting',
        async () => (await groupCount(wb, 'Complete')) === 3 && (await groupCount(wb, 'Needs you')) === 0,
        20_000,
      );
      await wb.screenshot();
      assertMerged(dir, [approveId, changesId, overrideId]);
      assert.match(git(dir, 'show', 'main:src/divide.js'), /TODO: finish this/, 'the overridden commit is what merged');
      const recorded = readFileSync(join(dir, '.swarm', 'tasks', overrideId, 'state.json'), 'utf8');
      assert.ok(recorded.includes(reason), 'the override reason is recorded with the task');
    });
  },
);

test('blocked task: the question shows, Answer sends the reply, the task continues and merges', { skip, timeout: SCENARIO_MS }, async () => {
  const { dir } = freshSample('blocked', { tasks: 0, extra: ['blocked'], workers: 1 });
  const id = 'pick-greeting-language';
  await scenario('blocked', dir, async (wb) => {
    await wb.openSwarmView();
    await wb.runCommand('Swarm: Start swarm');
    await until('the task under Blocked', async () => (await groupItems(wb, 'Blocked')).includes(titleOf(id)), 60_000);
    // The question shows in a notification with the Answer button, and the task says so in the tree.
    const toast = wb.notification(/Which language should the greeting use\?/);
    await toast.first().waitFor({ state: 'visible' });
    assert.match((await treeRow(wb, titleOf(id), 'Tasks').last().getAttribute('aria-label')) ?? '', /question for you/);
    await wb.screenshot('question');
    const answerButton = toast.first().getByRole('button', { name: 'Answer' });
    if (await answerButton.isVisible().catch(() => false)) await answerButton.click();
    else await wb.runCommand('Swarm: Answer question');
    await wb.page.locator('.quick-input-widget', { hasText: 'Which language should the greeting use?' }).waitFor({ state: 'visible' });
    await wb.answerQuickInput('Esperanto');
    await until(`${id} merged on main`, () => mergedIds(dir).includes(id), 60_000);
    await until('the task under Complete', async () => (await groupItems(wb, 'Complete')).includes(titleOf(id)), 20_000);
    await wb.screenshot();
    assert.equal(git(dir, 'show', 'main:src/lang.txt'), 'language: Esperanto');
    assert.match(readTask(dir, 'complete', id), /answer: '?Esperanto/);
  });
});

test('stop, reload, start again: the run resumes with nothing lost', { skip, timeout: SCENARIO_MS }, async () => {
  const { dir, tasks } = freshSample('stop-resume', { tasks: 6, workers: 2, delayMs: 2500 });
  await scenario('stop-resume', dir, async (wb) => {
    await wb.openSwarmView();
    await wb.runCommand('Swarm: Start swarm');
    await until(
      'one task complete and another in flight',
      async () => (await groupCount(wb, 'Complete')) >= 1 && (await groupCount(wb, 'Current')) >= 1,
      90_000,
      200,
    );
    await wb.runCommand('Swarm: Stop swarm');
    await until(
      'the swarm stopped (status bar not running)',
      async () => !/running/.test(await statusText(wb)) || !(await statusText(wb)).includes('Swarm'),
      30_000,
    );
    const onDisk = () => ({ pending: tasksIn(dir, 'pending'), current: tasksIn(dir, 'current'), complete: tasksIn(dir, 'complete') });
    const stopped = onDisk();
    assert.deepEqual(
      [...stopped.pending, ...stopped.current, ...stopped.complete].sort(),
      [...tasks].sort(),
      `every task is in exactly one folder after Stop: ${JSON.stringify(stopped)}`,
    );
    assert.ok(stopped.complete.length < tasks.length, 'stopped mid-run');
    await wb.screenshot('stopped');

    await wb.reload();
    await wb.openSwarmView();
    await until('the tree after reload', async () => (await groupCount(wb, 'Complete')) === stopped.complete.length, 30_000);
    await wb.runCommand('Swarm: Start swarm');
    await until('all tasks complete after the restart', async () => (await groupCount(wb, 'Complete')) === tasks.length, 150_000, 300);
    await until(
      'the worktrees are gone from the view',
      async () =>
        (await wb
          .viewPane('Worktrees')
          .locator('.monaco-list-row .label-name', { hasText: /^swarm\// })
          .count()) === 0,
      30_000,
    );
    await expandGroup(wb, 'Complete');
    await wb.screenshot();
    assertMerged(dir, tasks);
    assert.deepEqual(onDisk().pending, []);
    assert.deepEqual(onDisk().current, []);
    assert.equal(
      git(dir, 'worktree', 'list', '--porcelain')
        .split('\n')
        .filter((l) => l.startsWith('worktree ')).length,
      1,
      'no worktree left behind',
    );
  });
});

test('bad input: a malformed swarm.json names the field; a malformed task shows as quarantined', { skip, timeout: SCENARIO_MS }, async () => {
  const { dir } = freshSample('bad-input', { tasks: 2, extra: ['malformed'] });
  const good = readFileSync(join(dir, 'swarm.json'), 'utf8');
  writeFileSync(join(dir, 'swarm.json'), JSON.stringify({ workers: [{ role: 'wizard', harness: 'demo' }] }, null, 2));
  await scenario('bad-input', dir, async (wb) => {
    await wb.openSwarmView();
    const error = wb.viewPane('Tasks').locator('.monaco-list-row', { hasText: /Config error/ });
    await error.first().waitFor({ state: 'visible' });
    assert.match((await error.first().textContent()) ?? '', /workers\[0\]\.role/);
    await wb.runCommand('Swarm: Start swarm');
    const toast = wb.notification(/workers\[0\]\.role/).first();
    await toast.waitFor({ state: 'visible' });
    await wb.screenshot('config');
    // "Open config" opens swarm.json in the editor; the user fixes it (here: on disk).
    await toast.getByRole('button', { name: 'Open config' }).click();
    await wb.page.locator('.tabs-container .tab', { hasText: 'swarm.json' }).waitFor({ state: 'visible' });
    writeFileSync(join(dir, 'swarm.json'), good);
    await until('the tasks after fixing swarm.json', async () => (await groupCount(wb, 'Pending')) === 2, 30_000);
    await wb.runCommand('Swarm: Start swarm');
    await until('the malformed task under Quarantined', async () => (await groupCount(wb, 'Quarantined')) === 1, 60_000);
    await expandGroup(wb, 'Quarantined');
    const q = treeRow(wb, 'broken-task.md', 'Tasks').first();
    await q.waitFor({ state: 'visible' });
    assert.match((await q.textContent()) ?? '', /frontmatter/);
    await until('the good tasks complete', async () => (await groupCount(wb, 'Complete')) === 2, 60_000);
    await wb.screenshot();
    assert.ok(existsSync(join(dir, 'tasks', 'quarantine', 'broken-task.md')), 'the file is kept in tasks/quarantine');
    assert.ok(
      readdirSync(join(dir, 'tasks', 'quarantine')).some((f) => f.endsWith('.reason.txt')),
      'with the reason beside it',
    );
    assert.ok(!mergedIds(dir).includes('broken-task'), 'never executed');
  });
});
