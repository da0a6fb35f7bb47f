// The review page from the keyboard (issue 15 item 9 and line comments), in happy-dom: a review
// that opens waiting for a decision puts the focus on Approve (else on the comment box) and says so
// in a live region, once, never taking the focus from where the user is; the diff has a line
// cursor (one tab stop per file, ↓/j ↑/k Home/End) and C or Enter comments on its line, saved like
// a click's comment; Escape closes the box and the cursor comes back.
// The same in real Chromium with the built bundle: test/integration/review-panel-browser.test.ts.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { ReviewApp, type VsCodeApi } from '../../src/webview/app';
import { buildReviewViewModel } from '../../src/shared/reviewModel';
import { StateNotification } from '../../src/shared/reviewProtocol';
import { type ReviewViewModel } from '../../src/shared/reviewViewModel';
import type { ReviewDetails } from '../../src/swarm/api';

type HappyWindow = { document: Document; KeyboardEvent: typeof KeyboardEvent };
let WindowCtor: new () => HappyWindow;
before(async () => {
  const mod = (await import('happy-dom')) as unknown as { Window: new () => HappyWindow };
  WindowCtor = mod.Window;
});

const SHA = 'c0ffee'.padEnd(40, '0');
const BASE = 'ba5e'.padEnd(40, '2');
const DIFF = [
  'diff --git a/src/app.ts b/src/app.ts',
  '--- a/src/app.ts',
  '+++ b/src/app.ts',
  '@@ -1,3 +1,4 @@',
  ' const a = 1;',
  '-const b = 2;',
  '+const b = 3;',
  '+// TODO: finish this',
  ' const c = 4;',
  '',
].join('\n');

function model(extra: Partial<ReviewDetails> = {}): ReviewViewModel {
  const details: ReviewDetails = {
    task: { id: 't-1', title: 'Add b', folder: 'current', status: 'awaiting_human', file: '/r/t.md', body: '', priority: 0, dependsOn: [], meta: {} },
    state: { id: 't-1', status: 'awaiting_human', rounds: [], attempts: 1, updatedAt: '' },
    base: 'main',
    sha: SHA,
    baseSha: BASE,
    diff: DIFF,
    rounds: [{ round: 1, sha: SHA, base: 'main', baseSha: BASE, by: 'agent', verdict: 'APPROVED', feedback: 'Fine.', startedAt: '2026-11-23T09:00:00.000Z' }],
    canDecide: true,
    approvable: { approvable: true, verdict: 'APPROVED', verdictSha: SHA },
    ...extra,
  };
  return buildReviewViewModel(details).model;
}

function page() {
  const win = new WindowCtor();
  const doc = win.document;
  const mount = doc.createElement('div');
  doc.body.appendChild(mount);
  const sent: { method: string; params: Record<string, unknown> }[] = [];
  let saved: unknown;
  const api: VsCodeApi = { postMessage: (m) => void sent.push(JSON.parse(JSON.stringify(m))), getState: () => saved, setState: (s) => void (saved = s) };
  const app = new ReviewApp(doc, mount, api, { taskId: 't-1' });
  app.start();
  return {
    doc,
    app,
    sent,
    state: (m: ReviewViewModel, focus?: boolean) =>
      app.receive(JSON.parse(JSON.stringify(StateNotification.create({ model: m, waiting: 0, ...(focus ? { focus } : {}) })))),
    key: (key: string, opts: KeyboardEventInit = {}) =>
      (doc.activeElement ?? doc.body).dispatchEvent(new win.KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...opts })),
    active: () => doc.activeElement as HTMLElement | null,
    announce: () => doc.querySelector('[role="status"].sr-only')?.textContent ?? '',
  };
}

test('an approvable review opened from the keyboard gets the focus on Approve and says so; Enter on it is the decision (≤ 4 keys from the notification)', () => {
  const p = page();
  assert.equal(p.announce(), '', 'nothing to say before the review is there');
  p.state(model(), true);
  assert.match(p.active()?.textContent ?? '', /^Approve \(Alt\+A\)/, 'Approve has the focus');
  assert.match(
    p.announce(),
    /^Review of Add b: the reviewer agent said APPROVED; 1 file changed, \+2 −1\. Approve has focus: Enter or Alt\+A merges commit c0ffee0/,
  );
  // A later state (a refresh) does not move the focus again.
  (p.doc.querySelector('button.file-toggle') as HTMLElement).focus();
  p.state(model());
  assert.equal(p.active()?.className, 'file-toggle');
});

test('a review Approve cannot merge opens with the focus in the comment box and says why', () => {
  const p = page();
  p.state(
    model({ approvable: { approvable: false, verdict: 'NEEDS_CHANGES', verdictSha: SHA, message: 'The reviewer said NEEDS_CHANGES in round 1.' } }),
    true,
  );
  assert.equal(p.active()?.id, 'comment');
  assert.match(p.announce(), /The comment box has focus; Approve is unavailable: The reviewer said NEEDS_CHANGES/);
});

test('no focus is taken unless the host asks (a click in the tree), when nothing waits for a decision, or from an element the user is in', () => {
  const o = page();
  o.state(model());
  assert.ok(!o.active() || o.active() === o.doc.body, 'not opened from the keyboard: the page takes no focus (it would close a menu open in the workbench)');
  assert.equal(o.announce(), '');
  const p = page();
  p.state(model({ canDecide: false }), true);
  assert.ok(!p.active() || p.active() === p.doc.body, 'nothing to decide: focus stays');
  const q = page();
  (q.doc.querySelector('#comment') as HTMLElement).focus();
  q.state(model(), true);
  assert.equal(q.active()?.id, 'comment', 'the user was typing: the focus stays there');
});

test('line cursor: one tab stop per diff, ↓/j ↑/k Home/End move it (the same line twice in side by side counts once)', () => {
  const p = page();
  p.state(model());
  const stops = [...p.doc.querySelectorAll('.diff [tabindex="0"]')] as HTMLElement[];
  assert.equal(stops.length, 1, 'one tab stop in the diff');
  assert.equal(stops[0].textContent, ' const a = 1;');
  stops[0].focus();
  p.key('j');
  assert.equal(p.active()?.textContent, '-const b = 2;');
  assert.match(p.active()!.getAttribute('aria-label')!, /^src\/app\.ts old line 2, removed: const b = 2;\. C or Enter: comment on this line\.$/);
  p.key('ArrowDown');
  assert.equal(p.active()?.textContent, '+const b = 3;');
  p.key('k');
  p.key('ArrowUp');
  assert.equal(p.active()?.textContent, ' const a = 1;');
  p.key('End');
  assert.equal(p.active()?.textContent, ' const c = 4;');
  assert.equal(p.doc.querySelectorAll('.diff [tabindex="0"]').length, 1, 'still one tab stop: the line the cursor is on');
  p.key('Home');
  assert.equal(p.active()?.textContent, ' const a = 1;');
  // Modifier keys are not the cursor's (Alt+A approves, Ctrl+… is the browser's).
  p.key('j', { ctrlKey: true });
  assert.equal(p.active()?.textContent, ' const a = 1;');
});

test('C or Enter on the cursor line opens the comment box; Ctrl+Enter saves the comment as a click does; Escape closes; the cursor comes back', () => {
  const p = page();
  p.state(model());
  (p.doc.querySelector('.diff [tabindex="0"]') as HTMLElement).focus();
  p.key('j');
  p.key('j');
  p.key('j');
  assert.equal(p.active()?.textContent, '+// TODO: finish this');
  p.key('c');
  const box = p.doc.querySelector('.comment-editor') as HTMLElement;
  assert.ok(box, 'C opened the comment box');
  assert.match(box.textContent ?? '', /Comment on src\/app\.ts line 3/);
  const input = box.querySelector('vscode-textarea') as HTMLElement & { value?: string };
  assert.equal(p.active(), input, 'the box has the focus');
  p.key('Escape');
  assert.equal(p.doc.querySelector('.comment-editor'), null, 'Escape closed it');
  assert.equal(p.active()?.textContent, '+// TODO: finish this', 'back on the line');

  p.key('Enter');
  const input2 = p.doc.querySelector('.comment-editor vscode-textarea') as HTMLElement & { value?: string };
  input2.value = 'Drop this TODO.';
  p.key('Enter', { ctrlKey: true });
  assert.equal(p.doc.querySelector('.comment-editor'), null);
  assert.deepEqual(p.app.pageState.ui.comments, [{ path: 'src/app.ts', line: 3, side: 'new', lineText: '// TODO: finish this', body: 'Drop this TODO.' }]);
  assert.match(p.doc.querySelector('.line-comment')?.textContent ?? '', /Drop this TODO\./);
  assert.equal(p.active()?.textContent, '+// TODO: finish this', 'the cursor is back on the commented line');
});

test('where comments are not possible (nothing to decide), the cursor moves but C and Enter open nothing', () => {
  const p = page();
  p.state(model({ canDecide: false }));
  (p.doc.querySelector('.diff [tabindex="0"]') as HTMLElement).focus();
  p.key('j');
  assert.equal(p.active()?.textContent, '-const b = 2;');
  p.key('c');
  p.key('Enter');
  assert.equal(p.doc.querySelector('.comment-editor'), null);
});
