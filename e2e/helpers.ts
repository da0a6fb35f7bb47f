// Helpers shared by the scenarios: a fresh sample repository per scenario, git and task-folder
// checks (what really happened on disk, beside what the workbench shows), polling.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSample } from '../scripts/make-sample.mjs';
import type { Locator } from 'playwright-core';
import { e2eInstalled, WAIT_MS, type Workbench } from './launcher';

export interface SampleOptions {
  review?: 'agent' | 'human' | 'agent+human';
  workers?: number;
  tasks?: number;
  config?: boolean;
  extra?: string[];
  /** How long the demo worker "thinks" per turn, so the UI can be watched mid-run. */
  delayMs?: number;
  maxRounds?: number;
}

/** Why the e2e tests are skipped on this machine, or false when they can run. */
export function skipReason(): string | false {
  if (process.env.SWARM_E2E === '0') return 'SWARM_E2E=0';
  return e2eInstalled() ? false : 'e2e packages not installed (run e2e/install.sh)';
}

const made: string[] = [];
/** A freshly generated sample repository in a temp dir (removed by removeSamples()). */
export function freshSample(scenario: string, opts: SampleOptions = {}): { dir: string; tasks: string[] } {
  const parent = mkdtempSync(join(tmpdir(), `swarm-e2e-sample-${scenario}-`));
  made.push(parent);
  const r = makeSample(join(parent, 'repo'), opts) as { dir: string; tasks: string[] };
  return r;
}
export function removeSamples(): void {
  if (process.env.SWARM_E2E_KEEP) return;
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function git(repo: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Task ids in tasks/<folder> (file stems of *.md). */
export function tasksIn(repo: string, folder: string): string[] {
  const d = join(repo, 'tasks', folder);
  return existsSync(d)
    ? readdirSync(d)
        .filter((f) => f.endsWith('.md'))
        .map((f) => f.slice(0, -3))
        .sort()
    : [];
}

export function readTask(repo: string, folder: string, id: string): string {
  return readFileSync(join(repo, 'tasks', folder, `${id}.md`), 'utf8');
}

/**
 * Poll `fn` until it returns a truthy value: a wait on a state. `timeoutMs` only bounds a failure
 * and is never below WAIT_MS (launcher.ts), so a loaded machine makes a scenario slower, not red.
 */
export async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = WAIT_MS, everyMs = 250): Promise<NonNullable<T>> {
  timeoutMs = Math.max(timeoutMs, WAIT_MS);
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// --- what the user sees -------------------------------------------------------------------

/** A row of a side bar tree whose label is exactly `label` (e.g. the group "Pending"). */
export function treeRow(wb: Workbench, label: string | RegExp, pane?: string) {
  const scope = pane ? wb.viewPane(pane) : wb.page.locator('.part.sidebar');
  const exact = typeof label === 'string' ? new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : label;
  return scope.locator('.monaco-list-row[role="treeitem"]').filter({ has: wb.page.locator('.label-name', { hasText: exact }) });
}

/** The number a task group shows as its description ("Pending 4" → 4), or 0 when not shown. */
export async function groupCount(wb: Workbench, group: string): Promise<number> {
  const row = treeRow(wb, group, 'Tasks').first();
  if (!(await row.count())) return 0;
  return Number((await textNow(row.locator('.label-description').first())).trim()) || 0;
}

/**
 * The text of an element as it is now, '' when there is none. Never Playwright's wait for the
 * element to appear (the page's default timeout is WAIT_MS): a poll asks again anyway.
 */
export async function textNow(locator: Locator): Promise<string> {
  if (!(await locator.count().catch(() => 0))) return '';
  return (await locator.textContent({ timeout: 2_000 }).catch(() => '')) ?? '';
}

/** Whether the active editor tab names the task `id` (its id or its title). */
export async function activeTabIs(wb: Workbench, id: string, title: string): Promise<boolean> {
  const tab = await textNow(wb.page.locator('.tabs-container .tab.active').first());
  return tab.includes(id) || tab.includes(title);
}

/** Labels of the task rows under a group (expanded first), i.e. the rows after it one level deeper. */
export async function groupItems(wb: Workbench, group: string): Promise<string[]> {
  await expandGroup(wb, group);
  return wb.page.evaluate((g) => {
    const pane = [...document.querySelectorAll('.part.sidebar .pane')].find((p) => p.querySelector('.pane-header')?.textContent?.includes('Tasks'));
    if (!pane) return [];
    const rows = [...pane.querySelectorAll<HTMLElement>('.monaco-list-row[role="treeitem"]')].sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index));
    const out: string[] = [];
    let inGroup = false;
    let level = 0;
    for (const r of rows) {
      const name = r.querySelector('.label-name')?.textContent?.trim() ?? '';
      const lvl = Number(r.getAttribute('aria-level'));
      if (!inGroup) {
        if (name === g) {
          inGroup = true;
          level = lvl;
        }
        continue;
      }
      if (lvl <= level) break;
      out.push(name);
    }
    return out;
  }, group);
}

/** Expand a task group (e.g. "Complete", collapsed by default) so its tasks show. */
export async function expandGroup(wb: Workbench, group: string): Promise<void> {
  // A refresh of the tree can re-render the row under the click (it is then selected, not
  // expanded): click again until it says it is expanded.
  await until(
    `the group ${group} expanded`,
    async () => {
      const row = treeRow(wb, group, 'Tasks').first();
      if ((await row.getAttribute('aria-expanded').catch(() => null)) !== 'false') return true;
      await row.click().catch(() => {});
      return false;
    },
    WAIT_MS,
    300,
  );
}

/** Counts every time the quick input (a picker) becomes visible from now on. */
export async function watchPickers(wb: Workbench): Promise<() => Promise<number>> {
  // A string, not a function: tsx's name-keeping helper (__name) does not exist in the page.
  await wb.page.evaluate(`(() => {
    window.__pickers = 0;
    let shown = false;
    new MutationObserver(() => {
      const el = document.querySelector('.quick-input-widget');
      const now = !!el && el.style.display !== 'none' && el.offsetParent !== null;
      if (now && !shown) window.__pickers++;
      shown = now;
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['style', 'class'] });
  })()`);
  return () => wb.page.evaluate(() => (window as unknown as { __pickers: number }).__pickers);
}

/**
 * Right-click a tree row and pick `entry` from its context menu; returns how many right-clicks it
 * took. On a loaded machine VS Code sometimes shows no menu for a right-click (or closes it as the
 * tree redraws), and sometimes takes no notice of a click that comes as the menu opens: both are
 * retried, on states (the menu shown, the menu closed), never on a fixed pause. A menu without the
 * entry (another row's) is closed with Escape and the row right-clicked again.
 */
export async function pickFromContextMenu(wb: Workbench, row: Locator, entry: string): Promise<number> {
  const menu = wb.page.locator('.context-view .monaco-menu');
  const item = menu.locator('.action-item', { hasText: entry }).first();
  let rightClicks = 0;
  await until(
    `the context menu entry "${entry}" shown`,
    async () => {
      if (await menu.isVisible().catch(() => false)) {
        if (await item.isVisible().catch(() => false)) return true;
        await wb.page.keyboard.press('Escape');
        await menu.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
      }
      rightClicks++;
      await row.click({ button: 'right', timeout: 10_000 }).catch(() => {});
      return await item
        .waitFor({ state: 'visible', timeout: 5_000 })
        .then(() => true)
        .catch(() => false);
    },
    60_000,
    100,
  );
  // The menu closes when its entry runs: click again until it does.
  await until(
    `the context menu closed by "${entry}"`,
    async () => {
      if (!(await item.isVisible().catch(() => false))) return true;
      await item.click({ timeout: 5_000 }).catch(() => {});
      return await menu
        .waitFor({ state: 'hidden', timeout: 5_000 })
        .then(() => true)
        .catch(() => false);
    },
    60_000,
    100,
  );
  return rightClicks;
}
