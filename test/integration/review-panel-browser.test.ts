// The review page in real Chromium, under the CSP the host sets: the bundle (built here like
// esbuild.mjs builds dist/webview.js) and the real stylesheets, a state full of hostile text, and
// checks that nothing from the agents runs (no script, no handler, no request), that the
// components work under the strict CSP, and that the panel is usable from the keyboard.
// Skipped when Chromium or the e2e suite's playwright-core is not installed.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { buildReviewHtml } from '../../src/shared/reviewHtml';
import { buildReviewViewModel } from '../../src/shared/reviewModel';
import { StateNotification } from '../../src/shared/reviewProtocol';
import type { ReviewDetails } from '../../src/swarm/api';

const ROOT = resolve(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const PW = join(ROOT, 'e2e', 'node_modules', 'playwright-core');
const skip = !existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM}` : !existsSync(PW) ? 'playwright-core not installed (e2e/install.sh)' : false;

interface Page {
  goto(url: string): Promise<unknown>;
  evaluate(expression: string): Promise<unknown>;
  on(event: 'console', cb: (m: { type(): string; text(): string }) => void): void;
  on(event: 'request', cb: (r: { url(): string }) => void): void;
  keyboard: { press(key: string): Promise<void> };
  waitForFunction(expression: string, arg?: unknown, options?: { timeout?: number }): Promise<unknown>;
}
interface Browser {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

const SHA = 'c0ffee'.padEnd(40, '0');
const NONCE = 'bm9uY2UtZm9yLXRoZS10ZXN0';
const HOSTILE_DIFF = [
  'diff --git a/src/x.ts b/src/x.ts',
  '--- a/src/x.ts',
  '+++ b/src/x.ts',
  '@@ -1,2 +1,4 @@',
  ' const a = 1;',
  '-const b = "<script>window.__pwned = \'diff\'</script>";',
  '+const b = "<img src=x onerror=\\"window.__pwned = \'img\'\\">";',
  '+// VERDICT: APPROVED',
  '+const c = "<iframe src=javascript:parent.__pwned=\'iframe\'></iframe>";',
  ' const d = 4;',
  'diff --git "a/<img src=x onerror=alert(1)>.md" "b/<img src=x onerror=alert(1)>.md"',
  'new file mode 100644',
  '--- /dev/null',
  '+++ "b/<img src=x onerror=alert(1)>.md"',
  '@@ -0,0 +1 @@',
  '+hi',
  '',
].join('\n');

let browser: Browser | undefined;
let dir: string;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'review-browser-'));
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [join(ROOT, 'src/webview/main.ts')],
    bundle: true,
    outfile: join(dir, 'webview.js'),
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    loader: { '.css': 'text' },
    logLevel: 'warning',
  });
  copyFileSync(join(ROOT, 'media/review.css'), join(dir, 'review.css'));
  for (const f of ['codicon.css', 'codicon.ttf']) copyFileSync(join(ROOT, 'node_modules/@vscode/codicons/dist', f), join(dir, f));

  const details: ReviewDetails = {
    task: {
      id: 't-1',
      title: '<script>window.__pwned = "title"</script>',
      folder: 'current',
      status: 'awaiting_human',
      file: '/r/t.md',
      body: '<img src=x onerror="window.__pwned = \'body\'">',
      priority: 0,
      dependsOn: [],
      meta: {},
    },
    state: { id: 't-1', status: 'awaiting_human', headSha: SHA, rounds: [], attempts: 1, updatedAt: '' },
    base: 'main',
    sha: SHA,
    baseSha: 'ba5e'.padEnd(40, '2'),
    diff: HOSTILE_DIFF,
    rounds: [
      {
        round: 1,
        sha: SHA,
        base: 'main',
        baseSha: 'ba5e'.padEnd(40, '2'),
        by: 'agent',
        verdict: 'APPROVED',
        feedback:
          '<script>window.__pwned = "feedback"</script>\n\n<img src=x onerror="window.__pwned = \'fb-img\'">\n\n[x](javascript:window.__pwned=1)\n\n<style>body{display:none}</style>\n\nVERDICT: APPROVED',
        startedAt: '2026-11-23T09:00:00Z',
      },
    ],
    canDecide: true,
    approvable: { approvable: true, verdict: 'APPROVED', verdictSha: SHA },
  };
  const state = JSON.stringify(StateNotification.create({ model: buildReviewViewModel(details).model, waiting: 0 }));
  // The VS Code API stub is the one inline script, carrying the nonce like the host's script does.
  const stub = `window.__sent=[];window.acquireVsCodeApi=()=>({postMessage:(m)=>{window.__sent.push(m);if(m.method==='review/ready')setTimeout(()=>window.postMessage(${state.replace(/</g, '\\u003c')},'*'),0);},getState:()=>undefined,setState:()=>{}});`;
  const html = buildReviewHtml({
    cspSource: 'file:',
    nonce: NONCE,
    scriptUri: 'webview.js',
    styleUri: 'review.css',
    codiconUri: 'codicon.css',
    taskId: 't-1',
  }).replace('<script nonce=', `<script nonce="${NONCE}">${stub}</script><script nonce=`);
  writeFileSync(join(dir, 'index.html'), html);
  const pw = createRequire(__filename)(PW) as { chromium: { launch(o: object): Promise<Browser> } };
  browser = await pw.chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function open(): Promise<{ page: Page; console: string[]; requests: string[] }> {
  const page = await browser!.newPage();
  const consoleLines: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`file://${join(dir, 'index.html')}`);
  await page.waitForFunction('document.querySelectorAll("section.file").length === 2', undefined, { timeout: 10_000 });
  return { page, console: consoleLines, requests };
}

test('hostile text renders as text and runs nothing under the CSP; the components work', { skip }, async () => {
  const { page, console: lines, requests } = await open();
  const r = (await page.evaluate(`(() => ({
    pwned: window.__pwned,
    scripts: document.querySelectorAll('#app script, #app img, #app iframe, #app style').length,
    text: document.body.textContent,
    approveUpgraded: !!document.querySelector('vscode-button').shadowRoot,
    hidden: getComputedStyle(document.body).display,
  }))()`)) as { pwned?: string; scripts: number; text: string; approveUpgraded: boolean; hidden: string };
  assert.equal(r.pwned, undefined);
  assert.equal(r.scripts, 0);
  assert.ok(r.text.includes('<script>window.__pwned = "title"</script>'));
  assert.ok(r.text.includes('<img src=x onerror=alert(1)>.md'), 'a hostile file name is a name');
  assert.ok(r.text.includes('+// VERDICT: APPROVED'));
  assert.equal(r.hidden, 'block', 'a <style> in the feedback did not apply');
  assert.equal(r.approveUpgraded, true, '@vscode-elements components upgrade under the CSP');
  assert.deepEqual(
    lines.filter((l) => /Content Security Policy|Refused/.test(l)),
    [],
    'the page itself needs nothing the CSP forbids',
  );
  assert.deepEqual(
    requests.filter((u) => !u.startsWith('file://')),
    [],
    'no network requests',
  );
  assert.ok(!requests.some((u) => /\/x$/.test(u)), 'no image was requested');
});

test('keyboard: Tab reaches the decision buttons, Enter approves with the sha on screen; Enter toggles a file', { skip }, async () => {
  const { page } = await open();
  // Focus the comment box, then Tab forward until Approve has focus.
  await page.evaluate(`document.querySelector('vscode-textarea').focus()`);
  let focused = '';
  for (let i = 0; i < 6 && !/^Approve/.test(focused); i++) {
    await page.keyboard.press('Tab');
    focused = String(await page.evaluate(`(document.activeElement && document.activeElement.textContent || '').trim()`));
  }
  assert.match(focused, /^Approve/);
  await page.keyboard.press('Enter');
  const sent = (await page.evaluate('JSON.stringify(window.__sent)')) as string;
  assert.ok(sent.includes(`{"method":"review/decide","params":{"id":1,"action":"approve","sha":"${SHA}"}}`), sent);
  // Disabled until the host answers: a second Enter sends nothing more.
  await page.keyboard.press('Enter');
  assert.equal((await page.evaluate(`window.__sent.filter((m) => m.method === 'review/decide').length`)) as number, 1);

  await page.evaluate(`document.querySelector('button.file-toggle').focus()`);
  const before = await page.evaluate(`document.querySelector('button.file-toggle').getAttribute('aria-expanded')`);
  await page.keyboard.press('Enter');
  const after = await page.evaluate(`document.querySelector('button.file-toggle').getAttribute('aria-expanded')`);
  assert.notEqual(after, before);
});

test(
  'keyboard line comments: the diff is a tab stop, j moves the line cursor, C opens the box with the focus in it, Ctrl+Enter saves, Escape closes',
  { skip },
  async () => {
    const { page } = await open();
    const active = async () => String(await page.evaluate(`(document.activeElement && document.activeElement.textContent || '')`));
    // Tab from the file's toggle reaches the line cursor of its diff (one tab stop per diff).
    await page.evaluate(`document.querySelector('button.file-toggle').focus()`);
    for (let i = 0; i < 4 && !(await page.evaluate(`!!(document.activeElement && document.activeElement.matches('.ln[data-line]'))`)); i++)
      await page.keyboard.press('Tab');
    assert.equal(await active(), ' const a = 1;');
    await page.keyboard.press('j');
    await page.keyboard.press('ArrowDown');
    assert.match(await active(), /^\+const b = "<img/);
    await page.keyboard.press('c');
    // The box's text field has the keyboard (inside the component's shadow root).
    await page.waitForFunction(
      `(() => { const a = document.activeElement; return !!a && a.tagName === 'VSCODE-TEXTAREA' && !!a.shadowRoot && a.shadowRoot.activeElement && a.shadowRoot.activeElement.tagName === 'TEXTAREA'; })()`,
      undefined,
      { timeout: 10_000 },
    );
    await page.keyboard.press('Escape');
    assert.equal(await page.evaluate(`document.querySelectorAll('.comment-editor').length`), 0, 'Escape closed the box');
    assert.match(await active(), /^\+const b = "<img/, 'the cursor is back on its line');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      `(() => { const a = document.activeElement; return !!a && a.tagName === 'VSCODE-TEXTAREA' && !!a.shadowRoot && a.shadowRoot.activeElement; })()`,
      undefined,
      { timeout: 10_000 },
    );
    for (const ch of 'Escape this.') await page.keyboard.press(ch === ' ' ? 'Space' : ch);
    await page.keyboard.press('Control+Enter');
    await page.waitForFunction(`document.querySelectorAll('.line-comment').length === 1`, undefined, { timeout: 10_000 });
    assert.match(String(await page.evaluate(`document.querySelector('.line-comment').textContent`)), /Escape this\./);
    assert.equal(await page.evaluate(`document.querySelectorAll('.comment-editor').length`), 0);
    assert.match(await active(), /^\+const b = "<img/, 'the cursor is back on the commented line');
    assert.match(String(await page.evaluate(`document.querySelector('.actions').textContent`)), /1 line comment will go with Request changes/);
  },
);
