// The review panel's vscode shell (src/extension/reviewPanel.ts) on the fake vscode module: one
// panel per task, the webview's options (scripts on, resources only from dist and media), a CSP
// with a fresh nonce, messages validated before acting, engine events refreshing the panel, the
// native diff through the `swarm-git:` provider, and the serializer refusing a forged state.

import { fake, createFakeExtensionContext, window as fakeWindow, Disposable, Uri } from '../helpers/fake-vscode';
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { REVIEW_DIFF_SCHEME, REVIEW_VIEW_TYPE, ReviewPanels, registerReviewPanels, reviewDiffUri } from '../../src/extension/reviewPanel';
import type { DecisionRequest, DecisionResult, ReviewDetails, Workspace, NeedsYouItem } from '../../src/swarm/api';
import type { SwarmEvent } from '../../src/swarm/types';

const SHA = 'abc1234'.padEnd(40, '0');
const BASE = 'def5678'.padEnd(40, '0');
const DIFF = 'diff --git a/src/a.ts b/src/a.ts\n--- a/src/a.ts\n+++ b/src/a.ts\n@@ -1 +1 @@\n-a\n+b\n';

// ---- the webview part of the vscode API, which the shared fake does not have ------------------

class FakeWebview {
  html = '';
  options: Record<string, unknown>;
  readonly cspSource = 'https://fake.vscode-cdn.net';
  readonly posted: unknown[] = [];
  private readonly listeners = new Set<(m: unknown) => void>();
  constructor(options: Record<string, unknown>) {
    this.options = options;
  }
  asWebviewUri(u: Uri): Uri {
    return Uri.from({ scheme: 'https', authority: 'fake.vscode-cdn.net', path: u.path });
  }
  async postMessage(m: unknown): Promise<boolean> {
    this.posted.push(JSON.parse(JSON.stringify(m)));
    return true;
  }
  onDidReceiveMessage(l: (m: unknown) => void): Disposable {
    this.listeners.add(l);
    return new Disposable(() => this.listeners.delete(l));
  }
  /** A message from the page. */
  send(m: unknown): void {
    for (const l of this.listeners) l(m);
  }
  get listening(): number {
    return this.listeners.size;
  }
}

class FakePanel {
  readonly webview: FakeWebview;
  revealed = 0;
  disposed = false;
  private readonly disposeListeners = new Set<() => void>();
  constructor(
    readonly viewType: string,
    public title: string,
    readonly column: unknown,
    options: Record<string, unknown>,
  ) {
    this.webview = new FakeWebview(options);
  }
  reveal(): void {
    this.revealed++;
  }
  onDidDispose(l: () => void): Disposable {
    this.disposeListeners.add(l);
    return new Disposable(() => this.disposeListeners.delete(l));
  }
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const l of this.disposeListeners) l();
  }
}

const panels: FakePanel[] = [];
let serializer: { deserializeWebviewPanel(panel: FakePanel, state: unknown): Promise<void> } | undefined;
Object.assign(fakeWindow, {
  createWebviewPanel(viewType: string, title: string, column: unknown, options: Record<string, unknown>) {
    const p = new FakePanel(viewType, title, column, options);
    panels.push(p);
    return p;
  },
  registerWebviewPanelSerializer(viewType: string, s: typeof serializer) {
    assert.equal(viewType, REVIEW_VIEW_TYPE);
    serializer = s;
    return new Disposable(() => (serializer = undefined));
  },
});

// ---- a small engine ---------------------------------------------------------------------------

class FakeWorkspace {
  listeners = new Set<(e: SwarmEvent) => void>();
  decisions: DecisionRequest[] = [];
  shown: [string, string][] = [];
  detailsCalls = 0;
  onEvent(l: (e: SwarmEvent) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  emit(e: SwarmEvent): void {
    for (const l of this.listeners) l(e);
  }
  async reviewDetails(taskId: string): Promise<ReviewDetails> {
    this.detailsCalls++;
    return {
      task: {
        id: taskId,
        title: `Title of ${taskId}`,
        folder: 'current',
        status: 'awaiting_human',
        file: '/r/t.md',
        body: '',
        priority: 0,
        dependsOn: [],
        meta: {},
      },
      state: undefined,
      base: 'main',
      sha: SHA,
      baseSha: BASE,
      diff: DIFF,
      rounds: [],
      canDecide: true,
      approvable: { approvable: true, verdict: null },
    };
  }
  async decide(req: DecisionRequest): Promise<DecisionResult> {
    this.decisions.push(req);
    return { ok: true, applied: 'merged', commit: '9'.repeat(40) };
  }
  waiting: NeedsYouItem[] = [];
  async needsYou(): Promise<NeedsYouItem[]> {
    return this.waiting;
  }
  async showFile(rev: string, path: string): Promise<string | undefined> {
    this.shown.push([rev, path]);
    return rev === BASE ? 'a\n' : 'b\n';
  }
}

let ws: FakeWorkspace;
const ext = Uri.file('/ext');
const wait = (ms = 0) => new Promise((r) => setTimeout(r, ms));
const methods = (p: FakePanel) => p.webview.posted.map((m) => (m as { method: string }).method);

beforeEach(() => {
  fake.reset();
  panels.length = 0;
  ws = new FakeWorkspace();
});

function manager(): ReviewPanels {
  return new ReviewPanels({ extensionUri: ext, getWorkspace: () => ws as unknown as Workspace });
}

test('open: one panel per task, scripts on, resources only from dist and media, nonce CSP', async () => {
  const m = manager();
  await m.open('t-1');
  assert.equal(panels.length, 1);
  const p = panels[0];
  assert.equal(p.viewType, REVIEW_VIEW_TYPE);
  const o = p.webview.options;
  assert.equal(o.enableScripts, true);
  assert.equal(o.enableCommandUris, false);
  assert.deepEqual(
    (o.localResourceRoots as Uri[]).map((u) => u.path),
    ['/ext/dist', '/ext/media'],
  );
  const html = p.webview.html;
  // The attribute is HTML-escaped; the browser reads it decoded.
  const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1].replace(/&#39;/g, "'").replace(/&amp;/g, '&');
  const nonce = /script-src 'nonce-([^']+)'/.exec(csp)![1];
  assert.ok(nonce.length >= 16);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.match(html, new RegExp(`<script nonce="${nonce.replace(/[+/=]/g, (c) => `\\${c}`)}" src="https://fake.vscode-cdn.net/ext/dist/webview.js">`));
  assert.match(html, /href="https:\/\/fake.vscode-cdn.net\/ext\/media\/review.css"/);

  // Again for the same task: revealed, not duplicated. Another task or repository: a new panel.
  await m.open('t-1');
  assert.equal(panels.length, 1);
  assert.equal(p.revealed, 1);
  await m.open('t-2');
  await m.open('t-1', '/other/repo');
  assert.equal(panels.length, 3);
  const nonce2 = /<script nonce="([^"]+)"/.exec(panels[1].webview.html)![1];
  assert.notEqual(nonce2, nonce, 'a fresh nonce per page');
  await assert.rejects(m.open('../etc'), /Not a task id/);
  m.dispose();
});

test('messages: ready sends the state and names the panel; invalid ones do nothing; approve decides', async () => {
  const m = manager();
  await m.open('t-1');
  const p = panels[0];
  p.webview.send({ method: 'review/ready', params: {} });
  await wait(5);
  assert.deepEqual(methods(p), ['review/state']);
  assert.equal(p.title, 'Review: Title of t-1');

  p.webview.send({ method: 'review/approve', params: { sha: 'HEAD' } });
  p.webview.send({ method: 'review/approve', params: { sha: SHA, taskId: 'other' } });
  p.webview.send({ method: 'review/override', params: { sha: SHA, reason: '' } });
  p.webview.send('<script>');
  await wait(5);
  assert.equal(ws.decisions.length, 0);
  assert.deepEqual(methods(p), ['review/state']);

  p.webview.send({ method: 'review/decide', params: { id: 1, action: 'approve', sha: SHA } });
  await wait(5);
  assert.deepEqual(ws.decisions, [{ taskId: 't-1', kind: 'approve', sha: SHA, by: 'vscode' }]);
  assert.ok(methods(p).includes('review/decided'));
  m.dispose();
});

test('engine events of the panel task refresh it; closing the panel unsubscribes', async () => {
  const m = manager();
  await m.open('t-1');
  const p = panels[0];
  await wait(5);
  assert.equal(ws.listeners.size, 1);
  const before = ws.detailsCalls;
  ws.emit({ type: 'task_status', taskId: 'someone-else', status: 'running' });
  ws.emit({ type: 'human_review_requested', taskId: 't-1', sha: SHA, agentVerdict: 'APPROVED' });
  await wait(250);
  assert.equal(ws.detailsCalls, before + 1);
  assert.ok(methods(p).includes('review/state'));
  p.dispose();
  assert.equal(ws.listeners.size, 0);
  assert.equal(p.webview.listening, 0);
  assert.deepEqual(m.openTasks, []);
  m.dispose();
});

test('open in native diff: vscode.diff of swarm-git URIs at the merge-base and the sha, served by showFile', async () => {
  const ctx = createFakeExtensionContext('/ext');
  const m = registerReviewPanels(ctx as never, { getWorkspace: () => ws as unknown as Workspace });
  assert.equal(ctx.subscriptions.length, 3);
  assert.ok(serializer, 'the serializer is registered at activation');
  await m.open('t-1');
  const p = panels[0];
  p.webview.send({ method: 'review/ready', params: {} });
  await wait(5);
  p.webview.send({ method: 'review/openNativeDiff', params: { path: 'src/a.ts' } });
  p.webview.send({ method: 'review/openNativeDiff', params: { path: 'src/not-in-the-diff.ts' } });
  await wait(5);
  const diffs = fake.executed.filter((e) => e.command === 'vscode.diff');
  assert.equal(diffs.length, 1);
  const [left, right, title] = diffs[0].args as [Uri, Uri, string];
  assert.equal(left.scheme, REVIEW_DIFF_SCHEME);
  assert.equal(left.path, '/src/a.ts');
  assert.equal(new URLSearchParams(left.query).get('rev'), BASE);
  assert.equal(new URLSearchParams(right.query).get('rev'), SHA);
  assert.match(title, /a\.ts \(def56780 ↔ abc12340\)/);

  const provider = fake.contentProviders.get(REVIEW_DIFF_SCHEME) as { provideTextDocumentContent(u: Uri): Promise<string> };
  assert.equal(await provider.provideTextDocumentContent(left), 'a\n');
  assert.equal(await provider.provideTextDocumentContent(right), 'b\n');
  // Only commit ids reach git: a forged URI asking for another revision reads as empty.
  assert.equal(await provider.provideTextDocumentContent(reviewDiffUri('HEAD~3', 'src/a.ts')), '');
  assert.equal(await provider.provideTextDocumentContent(Uri.from({ scheme: REVIEW_DIFF_SCHEME, path: '/x', query: 'rev=--output=/tmp/x' })), '');
  assert.deepEqual(ws.shown, [
    [BASE, 'src/a.ts'],
    [SHA, 'src/a.ts'],
  ]);
  for (const d of ctx.subscriptions) d.dispose();
});

test('reload: the serializer restores a panel from the page state, and refuses a forged one', async () => {
  const ctx = createFakeExtensionContext('/ext');
  const m = registerReviewPanels(ctx as never, { getWorkspace: () => ws as unknown as Workspace });
  const restored = new FakePanel(REVIEW_VIEW_TYPE, 'Review', 1, {});
  await serializer!.deserializeWebviewPanel(restored, { taskId: 't-9', root: '/repo', layout: 'split', expanded: {}, draft: 'x' });
  assert.equal(restored.disposed, false);
  assert.match(restored.webview.html, /data-task-id="t-9"/);
  assert.match(restored.webview.html, /data-root="\/repo"/);
  assert.deepEqual(
    (restored.webview.options.localResourceRoots as Uri[]).map((u) => u.path),
    ['/ext/dist', '/ext/media'],
  );
  assert.deepEqual(m.openTasks, [{ taskId: 't-9', root: '/repo' }]);
  restored.webview.send({ method: 'review/ready', params: {} });
  await wait(5);
  assert.deepEqual(methods(restored), ['review/state']);

  for (const forged of [
    { taskId: '../../x', layout: 'split', expanded: {}, draft: '' },
    { taskId: 't-1', layout: 'split', expanded: {}, draft: '', html: '<script>' },
    null,
    'state',
  ]) {
    const p = new FakePanel(REVIEW_VIEW_TYPE, 'Review', 1, {});
    await serializer!.deserializeWebviewPanel(p, forged);
    assert.equal(p.disposed, true, JSON.stringify(forged));
    assert.equal(p.webview.html, '');
  }
  for (const d of ctx.subscriptions) d.dispose();
  assert.equal(restored.disposed, true, 'disposing the manager closes its panels');
});

test('Next review: the next waiting task opens in a panel of its own and this one closes', async () => {
  const m = manager();
  ws.waiting = [
    { kind: 'review', taskId: 't-1', title: 'this one', since: '2026-11-29T08:00:00.000Z' },
    { kind: 'review', taskId: 't-2', title: 'next', since: '2026-11-29T09:00:00.000Z' },
  ];
  await m.open('t-1');
  const p = panels[0];
  p.webview.send({ method: 'review/next', params: {} });
  for (let i = 0; i < 1000 && !p.disposed; i++) await wait(1);
  assert.equal(p.disposed, true, 'the finished review closed');
  assert.deepEqual(
    m.openTasks.map((t) => t.taskId),
    ['t-2'],
  );
  assert.equal(panels.length, 2);
  m.dispose();
});
