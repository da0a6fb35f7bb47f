// The review seat, end to end: the packaged extension in code-server with the demo agents, review
// mode agent+human. One scenario walks the seat the way a reviewer does and checks, on the way:
//   - layout (issue 15 item 5): a diff line is on screen without scrolling, at 1440×900 and with
//     the window 640 px wide;
//   - contrast (item 7): verdict words, the reasons and hints, the decision buttons reach 4.5:1
//     against what is behind them in Dark Modern, Light Modern and Dark High Contrast (computed in
//     the webview from the theme's real colours);
//   - flow (item 9): two clicks from the notification to merged (Open review, Approve), then
//     "Next review (1 waiting)" goes to the other review; Alt+A approves from the keyboard;
//   - line comments (item 11): a comment on a diff line, made from the keyboard (Tab to the diff,
//     j to the line, C, Ctrl+Enter), goes with Request changes, the next round's
//     prompt (the file the engine gives the agent, .swarm/runs/*/prompts/) has it, and the panel
//     says the fix changed the commented line; the interdiff shows beside the full diff.
// A second scenario (item 9): keyboard only, from the review notification to merged in at most
// 4 key presses (Ctrl+Alt+R, the key the toast names, opens the review with the focus on Approve;
// Enter approves), counted; the task file ends in tasks/complete.
// Screenshots of the panel in the three themes at full and narrow width go to e2e/artifacts/.
// Every wait is on a state (a DOM node, a file, a git ref), never a fixed time.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, type Workbench } from './launcher';
import { freshSample, git, groupCount, removeSamples, skipReason, tasksIn, until } from './helpers';

const skip = skipReason();
after(removeSamples);

const THEMES = [
  { name: 'Dark Modern', body: 'vscode-dark', shot: 'dark' },
  { name: 'Light Modern', body: 'vscode-light', shot: 'light' },
  { name: 'Dark High Contrast', body: 'vscode-high-contrast', shot: 'hc' },
] as const;

function mergedIds(repo: string): string[] {
  return git(repo, 'log', '--first-parent', '--format=%s', 'main')
    .split('\n')
    .map((s) => /^Merge task ([a-z0-9._-]+)/.exec(s)?.[1])
    .filter((x): x is string => Boolean(x));
}

async function setTheme(wb: Workbench, theme: (typeof THEMES)[number]): Promise<void> {
  await wb.runCommand('Preferences: Color Theme');
  const input = wb.page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible' });
  await input.fill(theme.name);
  await wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: theme.name }).first().waitFor({ state: 'visible' });
  await input.press('Enter');
  // The webview gets the theme's class on its body when the colours have been applied.
  await wb.webview().locator(`body.${theme.body}`).waitFor({ state: 'attached' });
}

/**
 * Contrast of the panel's words against what is behind them, computed in the webview: WCAG
 * relative luminance of the text colour over the first opaque background up the tree (through
 * shadow roots, alpha composited). Returns the ones below `min`, with what they are.
 */
async function lowContrast(wb: Workbench, min: number): Promise<{ what: string; ratio: number; fg: string; bg: string }[]> {
  // A string, not a function: tsx would wrap the function's inner helpers in `__name(…)` calls
  // that do not exist in the page.
  return wb.webview().locator('body').evaluate(`(${CONTRAST_SCRIPT})(${min})`) as Promise<{ what: string; ratio: number; fg: string; bg: string }[]>;
}

const CONTRAST_SCRIPT = String.raw`function (minRatio) {
  function parse(c) {
    var m = /rgba?\(([^)]+)\)/.exec(c);
    if (!m) return [0, 0, 0, 0];
    var p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function over(top, under) {
    var a = top[3];
    return [0, 1, 2].map(function (i) { return top[i] * a + under[i] * (1 - a); }).concat(1);
  }
  function parentOf(el) {
    if (el.parentElement) return el.parentElement;
    var root = el.getRootNode();
    return root && root.host ? root.host : null;
  }
  function background(el) {
    var layers = [];
    for (var e = el; e; e = parentOf(e)) {
      var c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    var bg = [255, 255, 255, 1];
    if (layers.length && layers[layers.length - 1][3] >= 1) bg = layers.pop();
    for (var i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  }
  function lum(c) {
    function f(v) { var s = v / 255; return s <= 0.03928 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4); }
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  }
  function ratio(a, b) {
    var x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }
  var out = [];
  var seen = [];
  function check(what, el) {
    var style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden' || !(el.textContent || '').trim()) return;
    if (!el.getClientRects().length) return;
    var bg = background(el);
    var fg = over(parse(style.color), bg);
    var r = ratio(fg, bg);
    if (r < minRatio) out.push({ what: what, ratio: Math.round(r * 100) / 100, fg: style.color, bg: 'rgb(' + bg.slice(0, 3).map(Math.round).join(',') + ')' });
  }
  var sels = ['.verdict', '.reasons', '.hint', '.result', '.next', 'h1', '.meta dd', '.file-path', '.view-note', '.comment-change', '.line-comment-body'];
  sels.forEach(function (sel) {
    document.querySelectorAll(sel).forEach(function (el) {
      seen.push(sel);
      check(sel + ' "' + (el.textContent || '').trim().slice(0, 40) + '"', el);
    });
  });
  // Buttons: the text inside each available vscode-button's shadow root (disabled controls are
  // exempt in WCAG; ours say why in the reasons line, checked above).
  document.querySelectorAll('vscode-button:not(.unavailable)').forEach(function (host) {
    var inner = (host.shadowRoot && host.shadowRoot.querySelector('button, .button, [part~="base"]')) || host;
    seen.push('vscode-button');
    check('button "' + (host.textContent || '').trim().slice(0, 40) + '"' + (host.hasAttribute('secondary') ? ' (secondary)' : ''), inner);
  });
  if (seen.indexOf('.verdict') < 0 || seen.indexOf('vscode-button') < 0) out.push({ what: 'nothing to measure (saw ' + seen.join(', ') + ')', ratio: 0, fg: '', bg: '' });
  return out;
}`;

/** A diff row is on screen in the webview without scrolling, above the fixed decision bar. */
async function diffLineVisible(wb: Workbench): Promise<{ ok: boolean; detail: string }> {
  return wb
    .webview()
    .locator('body')
    .evaluate(() => {
      const row = document.querySelector('.diff .ln');
      const bar = document.querySelector('.actions') as HTMLElement | null;
      if (!row || !bar) return { ok: false, detail: 'no diff row or no decision bar' };
      const r = row.getBoundingClientRect();
      const limit = window.innerHeight - bar.offsetHeight;
      return {
        ok: window.scrollY === 0 && r.top >= 0 && r.bottom <= limit,
        detail: `row ${Math.round(r.top)}–${Math.round(r.bottom)}, visible area 0–${limit} of ${window.innerHeight} (bar ${bar.offsetHeight} px), width ${window.innerWidth}, scrollY ${window.scrollY}`,
      };
    });
}

test('review seat: layout, contrast, two clicks to merged, Next review, line comments into the next prompt', { skip, timeout: 420_000 }, async () => {
  const { dir } = freshSample('review-seat', { review: 'agent+human', maxRounds: 1, tasks: 1, workers: 2, extra: ['needs-changes'] });
  const [approvedId, changesId] = ['add-farewell', 'add-subtract'];
  const wb = await launch({ scenario: 'review-seat', folder: dir });
  try {
    await wb.openSwarmView();
    await wb.runCommand('Swarm: Start swarm');
    await until('two reviews waiting', async () => (await groupCount(wb, 'Needs you')) === 2, 90_000);

    // Click 1: the notification's Open review for the change the reviewer approved.
    // One review toast at a time (notifications.ts): it names whichever review arrived first. When
    // that is the approved change, its Open review is click 1; otherwise the approved change is
    // opened with "Swarm: Open review" (the toast for the other one cannot be updated in place).
    const toast = wb.notification(/is waiting for your review|reviews? waiting/).first();
    if (!(await toast.isVisible())) await wb.runCommand('Notifications: Show Notifications');
    await toast.waitFor({ state: 'visible', timeout: 30_000 });
    if (/APPROVED|farewell/i.test((await toast.textContent()) ?? '')) {
      // The toast's action is a link in its text (a notification the extension can close: notifications.ts).
      await toast
        .locator('a', { hasText: /Open (review|next)/ })
        .first()
        .click();
    } else {
      await wb.runCommand('Swarm: Open review');
      const input = wb.page.locator('.quick-input-widget .quick-input-box input');
      await input.waitFor({ state: 'visible' });
      await input.fill(approvedId);
      await wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: approvedId }).first().waitFor({ state: 'visible' });
      await input.press('Enter');
    }
    const view = wb.webview();
    await view.locator('body', { hasText: approvedId }).waitFor({ state: 'visible', timeout: 60_000 });
    await view.locator('.diff .ln', { hasText: 'exports.farewell' }).first().waitFor({ state: 'visible' });

    // Item 5 at 1440×900, item 7 in the three themes, screenshots at full width.
    const full = await diffLineVisible(wb);
    assert.ok(full.ok, `a diff line is visible without scrolling at 1440×900: ${full.detail}`);
    for (const theme of THEMES) {
      await setTheme(wb, theme);
      assert.deepEqual(await lowContrast(wb, 4.5), [], `contrast ≥ 4.5:1 in ${theme.name}`);
      await wb.screenshot(`${theme.shot}-full`);
    }
    // Narrow: the window 640 px wide, side bar closed; side by side falls back to unified.
    await wb.runCommand('View: Close Primary Side Bar');
    await wb.page.setViewportSize({ width: 640, height: 900 });
    await view.locator('vscode-button', { hasText: 'Side by side' }).click();
    await view.locator('.view-note', { hasText: 'shown unified' }).waitFor({ state: 'visible' });
    assert.equal(await view.locator('.diff-split').count(), 0, 'no side-by-side diff in a narrow panel');
    const narrow = await diffLineVisible(wb);
    assert.ok(narrow.ok, `a diff line is visible without scrolling at 640 px: ${narrow.detail}`);
    for (const theme of [...THEMES].reverse()) {
      await setTheme(wb, theme);
      assert.deepEqual(await lowContrast(wb, 4.5), [], `contrast ≥ 4.5:1 in ${theme.name}, narrow`);
      await wb.screenshot(`${theme.shot}-narrow`);
    }
    await view.locator('vscode-button', { hasText: 'Unified' }).click();
    await wb.page.setViewportSize({ width: 1440, height: 900 });

    // Click 2: Approve. Merged; the panel offers the other review.
    await view.locator('vscode-button', { hasText: /^\s*Approve/ }).click();
    await until(`${approvedId} merged on main`, () => mergedIds(dir).includes(approvedId), 60_000);
    const next = view.locator('vscode-button', { hasText: /Next review \(1 waiting\)/ });
    await next.waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await view.locator('.decide').isVisible(), false, 'no empty comment box and dead buttons after the decision');
    await wb.screenshot('after-approve');
    await next.click();
    await view.locator('body', { hasText: changesId }).waitFor({ state: 'visible', timeout: 60_000 });

    // The reviewer said NEEDS_CHANGES: its verdict and the reasons are readable in every theme.
    await view.locator('.verdict', { hasText: 'Needs changes' }).first().waitFor({ state: 'visible' });
    for (const theme of THEMES) {
      await setTheme(wb, theme);
      assert.deepEqual(await lowContrast(wb, 4.5), [], `contrast ≥ 4.5:1 in ${theme.name} (Needs changes)`);
    }
    await setTheme(wb, THEMES[0]);
    assert.match((await view.locator('#decision-reasons').textContent()) ?? '', /Approve: the reviewer said NEEDS_CHANGES/);

    // Item 11: a comment on the TODO line, sent with Request changes (no other text).
    // By keyboard (lineCursor.ts): into the panel, Tab to the diff's line cursor, j to the TODO
    // line, C opens the comment box, Ctrl+Enter saves it.
    await view.locator('.files-head h2').click();
    const focused = () =>
      view.locator('body').evaluate(() => {
        const a = document.activeElement as HTMLElement | null;
        return { line: a?.matches('.ln[data-line]') ? (a.closest('section.file')?.getAttribute('data-path') ?? '') : '', text: a?.textContent ?? '' };
      });
    for (let i = 0; i < 40 && (await focused()).line !== 'src/subtract.js'; i++) await wb.page.keyboard.press('Tab');
    assert.equal((await focused()).line, 'src/subtract.js', 'Tab reaches the line cursor of the diff');
    for (let i = 0; i < 40 && !/TODO: finish this/.test((await focused()).text); i++) await wb.page.keyboard.press('j');
    assert.match((await focused()).text, /TODO: finish this/, 'j moves the line cursor to the TODO line');
    await wb.page.keyboard.press('c');
    await view.locator('.comment-editor').waitFor({ state: 'visible' });
    await wb.page.keyboard.type('Drop this TODO: the function is complete.');
    await wb.page.keyboard.press('Control+Enter');
    await view.locator('.line-comment', { hasText: 'Drop this TODO' }).waitFor({ state: 'visible' });
    await wb.screenshot('line-comment');
    await view.locator('vscode-button', { hasText: /^\s*Request changes/ }).click();
    const prompt = await until(
      'the fix round prompt with the line comment',
      () => {
        const runs = join(dir, '.swarm', 'runs');
        if (!existsSync(runs)) return undefined;
        for (const run of readdirSync(runs)) {
          const prompts = join(runs, run, 'prompts');
          if (!existsSync(prompts)) continue;
          for (const f of readdirSync(prompts).filter((n) => n.startsWith(`${changesId}-worker-`))) {
            const text = readFileSync(join(prompts, f), 'utf8');
            if (text.includes('Drop this TODO')) return text;
          }
        }
        return undefined;
      },
      90_000,
    );
    assert.match(
      prompt,
      /## Line comments \(file, line, the line as shown, comment\)\n\n1\. `src\/subtract\.js` line \d+:\n {3}> `TODO: finish this`\n\n {3}Drop this TODO: the function is complete\./,
    );

    // The fix comes back (the reviewer approves it, then it waits for the user): the panel says the
    // commented line changed and shows what changed since the last review.
    await view.locator('.comment-change.changed', { hasText: 'src/subtract.js' }).waitFor({ state: 'visible', timeout: 90_000 });
    await view.locator('vscode-button', { hasText: 'Since last review' }).click();
    await view.locator('.files-head', { hasText: 'Since the last review' }).waitFor({ state: 'visible' });
    await view.locator('.diff .ln.del', { hasText: 'TODO: finish this' }).first().waitFor({ state: 'visible' });
    await wb.screenshot('fix-round');

    // Keyboard: Alt+A approves (Approve is allowed now: the reviewer approved the fix).
    await view.locator('h1').click();
    await wb.page.keyboard.press('Alt+A');
    await until(`${changesId} merged on main`, () => mergedIds(dir).includes(changesId), 60_000);
    assert.doesNotMatch(git(dir, 'show', 'main:src/subtract.js'), /TODO/);
  } catch (e) {
    await wb.screenshot('failed').catch(() => {});
    throw e;
  } finally {
    await wb.stop();
  }
});

test('review seat by keyboard only: from the notification to merged in at most 4 keys', { skip, timeout: 300_000 }, async () => {
  const { dir } = freshSample('review-keys', { review: 'agent+human', maxRounds: 1, tasks: 1, workers: 1 });
  const id = 'add-farewell';
  const wb = await launch({ scenario: 'review-keys', folder: dir });
  try {
    await wb.openSwarmView();
    await wb.runCommand('Swarm: Start swarm');
    // From the moment the review notification appears: no click from here on, every key counted.
    const toast = wb.notification(/is waiting for your review/).first();
    await toast.waitFor({ state: 'visible', timeout: 90_000 });
    assert.match((await toast.textContent()) ?? '', /Ctrl\+Alt\+R opens it/, 'the toast names the key');
    await wb.screenshot('toast');
    const keys: string[] = [];
    const press = async (key: string) => {
      keys.push(key);
      await wb.page.keyboard.press(key);
    };
    await press('Control+Alt+R');
    const view = wb.webview();
    await view.locator('body', { hasText: id }).waitFor({ state: 'visible', timeout: 60_000 });
    // Item 8: the key opened the review, so its toast closed (it does not stack over the panel).
    await until(
      'the review toast closed once its review is on screen',
      async () =>
        !(await wb
          .notification(/is waiting for your review|reviews? waiting/)
          .first()
          .isVisible()),
      30_000,
    );
    await wb.screenshot('toast-closed');
    // The panel opened with the keyboard on Approve (and said so in its live region).
    await until('Approve has the keyboard focus in the review panel', () =>
      view.locator('body').evaluate(() => document.hasFocus() && /^Approve/.test((document.activeElement?.textContent ?? '').trim())),
    );
    assert.match((await view.locator('[role="status"].sr-only').textContent()) ?? '', /Approve has focus: Enter or Alt\+A merges/);
    await wb.screenshot('focus');
    await press('Enter');
    await until(`${id} merged on main`, () => mergedIds(dir).includes(id), 60_000);
    await until(`tasks/complete/${id}.md`, () => tasksIn(dir, 'complete').includes(id));
    assert.ok(keys.length <= 4, `keys from the notification to merged: ${keys.join(', ')}`);
    console.log(`review-keys: merged with ${keys.length} keys (${keys.join(', ')})`);
    await wb.screenshot();
  } catch (e) {
    await wb.screenshot('failed').catch(() => {});
    throw e;
  } finally {
    await wb.stop();
  }
});
