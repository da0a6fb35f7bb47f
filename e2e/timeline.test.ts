// Watching the swarm work (issue 16 items 3 and 4), in the packaged extension in code-server: a
// demo run with two workers; the Workers view's inline **Pause worker** pauses w1 (it reads
// "paused by you" and, per the journal, claims nothing while w2 goes on), **Resume worker** lets
// it go on; at the end **Swarm: Show run timeline** draws the run (one SVG group per span, both
// workers' lanes), hover shows a span's details and a click opens its task's review.
// Screenshot: e2e/artifacts/timeline.png (copied to docs/images/timeline.png for the README).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator } from 'playwright-core';
import { launch, type Workbench } from './launcher';
import { freshSample, removeSamples, skipReason, tasksIn, until } from './helpers';

const skip = skipReason();
after(removeSamples);

/**
 * Click a row's inline action. Should the click land while VS Code re-fetches the whole tree, it
 * reaches the command without its row (VS Code resolves the row's handle in the extension host)
 * and the command asks which worker: then pick it there, and say so. The Workers view redraws a
 * changed worker's row alone (workersTree.ts) so that this stays rare.
 */
async function clickInline(wb: Workbench, row: Locator, action: string, worker: string): Promise<void> {
  await row.hover();
  await row.locator(`.actions .action-label[aria-label^="${action}"]`).click();
  const pick = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: new RegExp(`^${worker}(?!\\d)`) }).first();
  if (
    await pick.waitFor({ state: 'visible', timeout: 2000 }).then(
      () => true,
      () => false,
    )
  ) {
    console.log(`${action}: the click reached the command without its row; picked ${worker} in the list`);
    await pick.click();
  }
}

/** The run's journal lines (the latest run). */
function journal(dir: string): { type: string; workerId?: string; message?: string; worker?: { id: string; state: string } }[] {
  const runs = join(dir, '.swarm', 'runs');
  const latest = readdirSync(runs).sort().at(-1)!;
  return readFileSync(join(runs, latest, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

test('Pause a worker from the Workers view; the run timeline renders', { skip, timeout: 600_000 }, async () => {
  const { dir, tasks } = freshSample('timeline', { workers: 2, tasks: 6, delayMs: 3000 });
  const wb = await launch({ scenario: 'timeline', folder: dir, viewport: { width: 1400, height: 900 } });
  try {
    await wb.openSwarmView();
    await wb.viewPane('Tasks').waitFor({ state: 'visible' });
    await wb.runCommand('Swarm: Start swarm');
    const workers = wb.viewPane('Workers');
    await workers.waitFor({ state: 'visible' });
    const w1 = workers.locator('.monaco-list-row', { hasText: /^w1.*running/ }).first();
    await w1.waitFor({ state: 'visible', timeout: 120_000 });
    await clickInline(wb, w1, 'Pause worker', 'w1');
    await workers
      .locator('.monaco-list-row', { hasText: /paused by you/ })
      .first()
      .waitFor({ state: 'visible', timeout: 60_000 });
    await wb.screenshot('paused');
    // While w1 is paused, w2 goes on: it merges at least one more task, and w1 claims none.
    const pausedLine = () => journal(dir).findIndex((e) => e.type === 'log' && /worker w1 paused by you/.test(e.message ?? ''));
    assert.ok(pausedLine() >= 0, 'the pause is in the journal');
    const doneAtPause = tasksIn(dir, 'complete').length;
    await until('w2 merged another task while w1 is paused', () => tasksIn(dir, 'complete').length > doneAtPause, 240_000);
    const since = journal(dir).slice(pausedLine());
    assert.deepEqual(
      since.filter((e) => e.type === 'task_claimed' && e.workerId === 'w1'),
      [],
      'w1 claimed nothing while paused',
    );
    assert.deepEqual(
      since.filter((e) => e.type === 'agent_started' && e.workerId === 'w1'),
      [],
      'w1 started no turn while paused',
    );

    const w1Paused = workers.locator('.monaco-list-row', { hasText: /paused by you/ }).first();
    await clickInline(wb, w1Paused, 'Resume worker', 'w1');
    await until('every task merged', () => tasksIn(dir, 'complete').length === tasks.length, 300_000);

    // The run's timeline.
    await wb.runCommand('Swarm: Show run timeline');
    const page = wb.webview();
    await page.locator('#chart svg g[data-i]').first().waitFor({ state: 'visible', timeout: 60_000 });
    const lanes = await page.locator('#chart svg .lane-label').allTextContents();
    assert.ok(lanes.some((l) => l.startsWith('w1')) && lanes.some((l) => l.startsWith('w2')), `both workers have a lane: ${lanes.join(', ')}`);
    const spans = await page.locator('#chart svg g[data-i]').count();
    assert.ok(spans >= tasks.length * 2, `a turn and a review per task at least (${spans} spans)`);
    assert.ok((await page.locator('#chart svg g.wait').count()) >= 1, 'the pause is drawn as a wait');
    const turn = page.locator('#chart svg g.turn.link').first();
    await turn.hover();
    await page.locator('#details', { hasText: /worker turn, round \d+, task / }).waitFor({ state: 'visible' });
    await wb.screenshot();
    await turn.click();
    await wb.page
      .locator('.tab', { hasText: /^Review: / })
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
  } catch (e) {
    await wb.screenshot('failed').catch(() => {});
    throw e;
  } finally {
    await wb.stop();
  }
});
