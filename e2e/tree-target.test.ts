// Tree actions never lose their target (issue 15 item 2), the hostile way: while other rows of the
// Tasks view are redrawn over and over (a pending task's file rewritten every few hundred ms, a
// second one added and removed), context-menu and inline "Open review" clicks on the two reviews
// waiting each reach the task clicked, never a "which task?" picker. The Tasks view keeps its rows
// (src/extension/keptTree.ts): it redraws the changed row or group, not the tree. Every wait is on a
// state; the churn is the load, not a wait.
//
// The second test is the hostile one: the churn is in the clicked rows' OWN group (a task asking a
// question enters and leaves "Needs you" twice a second or more). Redrawing a group makes VS Code's
// extension host forget its rows until the view fetched them again (docs/architecture.md, "A view,
// or an action on a task"); a click in that moment reaches the command with `undefined`, and no
// extension can tell which row it was on. Such a click must never open a "which task?" picker: it
// takes the one dropped task it fits, or says to click again when several fit (both reviews here).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, SCENARIO_MS, type Workbench } from './launcher';
import { activeTabIs, freshSample, groupCount, pickFromContextMenu, removeSamples, skipReason, treeRow, until, watchPickers } from './helpers';
import { SAMPLE_TASKS, taskFile } from '../scripts/make-sample.mjs';

const skip = skipReason();
after(removeSamples);

const titleOf = (id: string): string => (SAMPLE_TASKS as { id: string; title: string }[]).find((t) => t.id === id)!.title;

test('context-menu and inline Open review reach the clicked task while other rows of the Tasks view are redrawn', { skip, timeout: SCENARIO_MS }, async () => {
  const { dir } = freshSample('tree-target', { review: 'human', tasks: 2, workers: 2 });
  const trace = join(dir, '..', 'views.trace');
  const wb = await launch({ scenario: 'tree-target', folder: dir, env: { SWARM_TRACE_VIEWS: trace } });
  let churn: NodeJS.Timeout | undefined;
  try {
    await wb.openSwarmView();
    await wb.runCommand('Swarm: Start swarm');
    await until('both reviews under Needs you', async () => (await groupCount(wb, 'Needs you')) === 2, 90_000);

    // The churn: pending tasks that wait for a review (so no worker takes them), one renamed on every
    // tick (its row redraws), another added and removed every few ticks (the Pending group redraws).
    const pending = join(dir, 'tasks', 'pending');
    const churnTask = (id: string, title: string) =>
      taskFile({ id, title, priority: 90, depends_on: ['add-farewell'], body: 'Waits.', demo: { file: `${id}.txt`, content: id } });
    let tick = 0;
    writeFileSync(join(pending, 'churn-one.md'), churnTask('churn-one', 'Churn one'));
    await until('the churn task listed', async () => (await groupCount(wb, 'Pending')) === 1, 60_000);
    churn = setInterval(() => {
      tick++;
      try {
        writeFileSync(join(pending, 'churn-one.md'), churnTask('churn-one', `Churn one (${tick})`));
        if (tick % 4 === 0) {
          const two = join(pending, 'churn-two.md');
          if (existsSync(two)) rmSync(two);
          else writeFileSync(two, churnTask('churn-two', 'Churn two'));
        }
      } catch {
        /* the swarm may be reading it: the next tick writes again */
      }
    }, 250);
    await until('a churn redraw shown', async () => /Churn one \(\d+\)/.test((await wb.viewPane('Tasks').textContent()) ?? ''), 60_000);
    const traceAt = existsSync(trace) ? readFileSync(trace, 'utf8').length : 0;

    const pickers = await watchPickers(wb);
    const seen = await clickReviews(wb, 10, pickers);
    assert.deepEqual(seen, { review: 10, picker: 0, message: 0 }, 'every click reached its task, no "which task?" picker');
    clearInterval(churn);
    churn = undefined;
    const redraws = (existsSync(trace) ? readFileSync(trace, 'utf8').slice(traceAt) : '').split(/\n(?=\d{4}-)/).filter((e) => / swarm\.tasks\n/.test(e));
    console.log(`# ${redraws.length} Tasks view redraws during the 10 clicks (${tick} churn ticks)`);
    assert.ok(redraws.length >= 5, `the rows around the clicks were being redrawn (${redraws.length} redraws)`);
    await wb.screenshot();
  } catch (e) {
    await wb.screenshot('failed').catch(() => {});
    throw e;
  } finally {
    if (churn) clearInterval(churn);
    await wb.stop();
  }
});

const CLICKS = 8;
// Opt-in: while the clicked rows' own group redraws twice a second, Playwright's right-clicks and
// hovers land on rows being re-rendered, and one click took 6 minutes on the loaded 2-core machine
// (the suite's bound is SCENARIO_MS). Run it with SWARM_E2E_OWN_GROUP=1.
const ownGroupSkip = skip || (process.env.SWARM_E2E_OWN_GROUP === '1' ? false : 'opt-in (slow): SWARM_E2E_OWN_GROUP=1');
test(
  'context-menu and inline Open review reach the clicked task while a row enters and leaves their own group',
  { skip: ownGroupSkip, timeout: SCENARIO_MS },
  async () => {
    const { dir } = freshSample('tree-target-own', { review: 'human', tasks: 2, workers: 2 });
    const trace = join(dir, '..', 'views.trace');
    const wb = await launch({ scenario: 'tree-target-own', folder: dir, env: { SWARM_TRACE_VIEWS: trace } });
    let churn: NodeJS.Timeout | undefined;
    try {
      await wb.openSwarmView();
      await wb.runCommand('Swarm: Start swarm');
      await until('both reviews under Needs you', async () => (await groupCount(wb, 'Needs you')) === 2, 90_000);

      // The churn: a task that asks a question (tasks/current, status blocked) written and removed on
      // every tick, so "Needs you" gains and loses a row twice a second or more around the clicks.
      const asking = join(dir, 'tasks', 'current', 'churn-ask.md');
      const askFile = [
        '---',
        'id: churn-ask',
        'title: "Churn asks"',
        'priority: 90',
        'status: blocked',
        'question: "Which colour?"',
        '---',
        '# Churn asks',
        '',
        'Waits for an answer.',
        '',
      ].join('\n');
      // One more question that stays: Blocked never empties, so the churn redraws groups, not the tree.
      writeFileSync(join(dir, 'tasks', 'current', 'stays-ask.md'), askFile.replace(/churn-ask/g, 'stays-ask').replace(/Churn asks/g, 'Stays asking'));
      let tick = 0;
      writeFileSync(asking, askFile);
      await until('the asking tasks under Needs you', async () => (await groupCount(wb, 'Needs you')) === 4, 60_000);
      churn = setInterval(() => {
        tick++;
        try {
          if (existsSync(asking)) rmSync(asking);
          else writeFileSync(asking, askFile);
        } catch {
          /* the next tick tries again */
        }
      }, 400);
      const traceAt = existsSync(trace) ? readFileSync(trace, 'utf8').length : 0;
      const pickers = await watchPickers(wb);
      const seen = await clickReviews(wb, CLICKS, pickers);
      clearInterval(churn);
      churn = undefined;
      const entries = (existsSync(trace) ? readFileSync(trace, 'utf8').slice(traceAt) : '').split(/\n(?=\d{4}-)/).filter((e) => / swarm\.tasks\n/.test(e));
      const own = entries.filter((e) => /needsYou:churn-ask/.test(e));
      console.log(
        `# ${CLICKS} clicks: ${JSON.stringify(seen)}; ${own.length} redraws of Needs you with the asking row coming or going (${entries.length} Tasks view redraws, ${tick} churn ticks)`,
      );
      assert.ok(own.length >= 10, `the clicked rows' own group was redrawn around the clicks (${own.length} times)`);
      assert.equal(seen.picker, 0, 'no click opened a "which task?" picker');
      // A click VS Code passed on without its row, when both reviews were dropped, says "click again"
      // (docs/architecture.md): no guess. Every other click reached its task.
      assert.equal(seen.review + seen.message, CLICKS, 'every click reached its task or said to click again');
      await wb.screenshot();
    } catch (e) {
      await wb.screenshot('failed').catch(() => {});
      throw e;
    } finally {
      if (churn) clearInterval(churn);
      await wb.stop();
    }
  },
);

/**
 * Click "Open review" on the two reviews `clicks` times, by turns from the context menu (two) and
 * the inline action (two); returns what each click led to: its review in front, a "which task?"
 * picker (closed, then the next click), or a Swarm message (the click did not reach a task).
 */
async function clickReviews(wb: Workbench, clicks: number, pickers: () => Promise<number>): Promise<{ review: number; picker: number; message: number }> {
  const counts = { review: 0, picker: 0, message: 0 };
  const clickAgain = await watchToasts(wb, 'redrawing as you clicked');
  for (let i = 0; i < clicks; i++) {
    const started = Date.now();
    const id = i % 2 ? 'add-multiply' : 'add-farewell';
    const how = i % 4 < 2 ? 'context menu' : 'inline';
    const row = treeRow(wb, titleOf(id), 'Tasks').first();
    // Its review must not be in front already (after a click that reached nothing): then it would count as reached.
    if (await activeTabIs(wb, id, titleOf(id))) await wb.runCommand('View: Close All Editors');
    const pickersBefore = await pickers();
    const messagesBefore = await clickAgain();
    if (how === 'context menu') {
      const rightClicks = await pickFromContextMenu(wb, row, 'Open review');
      if (rightClicks > 1) console.log(`# click ${i + 1}: the context menu showed "Open review" after ${rightClicks} right-clicks`);
    } else {
      // The row's actions show on hover; a redraw of its group re-renders the row under the pointer: hover again.
      const action = row.locator('.actions .action-label[aria-label^="Open review"]');
      await until(
        `the inline Open review of ${id} clicked`,
        async () => {
          await row.hover({ timeout: 5_000 });
          await action.click({ timeout: 5_000 });
          return true;
        },
        60_000,
        100,
      );
    }
    // The clicked review in front, a picker (the command did not get its row: the bug), or a message.
    const seen = await until(
      `the review of ${id} in front, a picker or a message (click ${i + 1})`,
      async () => {
        if ((await pickers()) > pickersBefore) return 'picker';
        if (await activeTabIs(wb, id, titleOf(id))) return 'review';
        return (await clickAgain()) > messagesBefore ? 'message' : undefined;
      },
      60_000,
      100,
    );
    counts[seen]++;
    console.log(`# click ${i + 1} (${how}) on ${id}: ${seen} after ${Date.now() - started} ms`);
    if (seen !== 'review') {
      if (seen === 'picker') await wb.page.keyboard.press('Escape');
      if (seen === 'picker')
        await wb.page
          .locator('.quick-input-widget')
          .waitFor({ state: 'hidden', timeout: 10_000 })
          .catch(() => {});
    }
  }
  return counts;
}

/** Counts every notification toast whose text has `words` that appears from now on. */
async function watchToasts(wb: Workbench, words: string): Promise<() => Promise<number>> {
  // A string, not a function: tsx's name-keeping helper (__name) does not exist in the page.
  await wb.page.evaluate(`(() => {
    window.__toasts = 0;
    const seen = new WeakSet();
    new MutationObserver(() => {
      for (const t of document.querySelectorAll('.notifications-toasts .notification-toast')) {
        if (!seen.has(t) && (t.textContent || '').includes(${JSON.stringify(words)})) {
          seen.add(t);
          window.__toasts++;
        }
      }
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  })()`);
  return () => wb.page.evaluate(() => (window as unknown as { __toasts: number }).__toasts);
}
