// The review panel's host side: one webview panel per task (revealed when already open), kept
// across window reloads by a serializer, plus the `swarm-git:` documents behind its per-file
// "Open diff" buttons. Only the vscode wiring lives here; message validation, decisions and
// refreshes are in src/shared/reviewSession.ts (ReviewSession), the HTML shell and its CSP in
// src/shared/reviewHtml.ts, so both are tested without VS Code.
//
// Wiring (extension activate):
//   const panels = registerReviewPanels(context, { getWorkspace: (root) => … });
//   // "Open review" / tree items / notifications: panels.open(taskId, root)
// Register at activation, not lazily: VS Code restores panels after a reload only through a
// serializer registered for REVIEW_VIEW_TYPE (and `onWebviewPanel:swarm.review` activation).

import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import type { Workspace } from '../swarm/api';
import { ReviewSession, type NativeDiffRequest } from '../shared/reviewSession';
import { buildReviewHtml } from '../shared/reviewHtml';
import { DEFAULT_RENDER_LIMITS, type ReviewRenderLimits } from '../shared/reviewModel';
import { SHA_RE, isPersistedReviewState, isTaskId, type ReviewNotification } from '../shared/reviewProtocol';

export const REVIEW_VIEW_TYPE = 'swarm.review';
/** Read-only documents `swarm-git:/<path>?rev=<sha>&root=<repo>` with a file's content at a commit. */
export const REVIEW_DIFF_SCHEME = 'swarm-git';

/** The engine workspace of a repository root (undefined root: the window's only/first one). */
export type ReviewWorkspaceSource = (root?: string) => Workspace | undefined | Promise<Workspace | undefined>;

export interface ReviewLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ReviewPanelsOptions {
  extensionUri: vscode.Uri;
  getWorkspace: ReviewWorkspaceSource;
  log?: ReviewLog;
  /** Override the size limits (tests); by default read from the `swarm.review.*` settings. */
  limits?: Partial<ReviewRenderLimits>;
}

/** Settings below `swarm.review.` that size the panel (package.json may contribute them). */
export const REVIEW_PANEL_SETTINGS = {
  lazyFileLines: 'largeFileLines',
  inlineFiles: 'largeDiffFiles',
  inlineLines: 'largeDiffLines',
  collapseLines: 'collapseFileLines',
} as const satisfies Record<keyof ReviewRenderLimits, string>;

function readLimits(overrides: Partial<ReviewRenderLimits> | undefined): ReviewRenderLimits {
  const cfg = vscode.workspace.getConfiguration('swarm.review');
  const out = { ...DEFAULT_RENDER_LIMITS };
  for (const key of Object.keys(REVIEW_PANEL_SETTINGS) as (keyof ReviewRenderLimits)[]) {
    const v = overrides?.[key] ?? cfg.get<unknown>(REVIEW_PANEL_SETTINGS[key]);
    if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) out[key] = v;
  }
  return out;
}

export function reviewDiffUri(rev: string, path: string, root?: string): vscode.Uri {
  const query = new URLSearchParams({ rev });
  if (root !== undefined) query.set('root', root);
  return vscode.Uri.from({ scheme: REVIEW_DIFF_SCHEME, path: `/${path.replace(/^\/+/, '')}`, query: query.toString() });
}

/** Serves `swarm-git:` documents from `workspace.showFile(rev, path)`; absent files read as empty. */
export class ReviewDiffContentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly getWorkspace: ReviewWorkspaceSource) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const query = new URLSearchParams(uri.query);
    const rev = query.get('rev') ?? '';
    // Only commit ids reach git: a URI is something any extension or link can construct.
    if (!SHA_RE.test(rev)) return '';
    const ws = await this.getWorkspace(query.get('root') ?? undefined);
    return (await ws?.showFile(rev, uri.path.replace(/^\/+/, ''))) ?? '';
  }
}

/** Registers the `swarm-git:` provider; call once from activate. */
export function registerReviewDiffProvider(getWorkspace: ReviewWorkspaceSource): vscode.Disposable {
  return vscode.workspace.registerTextDocumentContentProvider(REVIEW_DIFF_SCHEME, new ReviewDiffContentProvider(getWorkspace));
}

interface OpenPanel {
  key: string;
  taskId: string;
  root?: string;
  panel: vscode.WebviewPanel;
  session: ReviewSession;
  disposables: vscode.Disposable[];
  /** The workspace whose events this panel listens to, and how to stop listening. */
  subscribed?: Workspace;
  unsubscribe?: () => void;
}

function panelKey(taskId: string, root: string | undefined): string {
  return `${root ?? ''}\u0000${taskId}`;
}

export class ReviewPanels implements vscode.Disposable {
  private readonly panels = new Map<string, OpenPanel>();
  private readonly log: ReviewLog | undefined;

  constructor(private readonly options: ReviewPanelsOptions) {
    this.log = options.log;
  }

  /**
   * Opens the review of a task, or reveals its panel if one is open. With `focus` (opened from the
   * keyboard) the page puts the keyboard on the decision; otherwise it takes no focus (a page that
   * grabbed it would close a menu the user opened meanwhile).
   */
  async open(taskId: string, root?: string, focus = false): Promise<void> {
    if (!isTaskId(taskId)) throw new Error(`Not a task id: ${JSON.stringify(taskId).slice(0, 80)}`);
    const existing = this.panels.get(panelKey(taskId, root));
    if (existing) {
      existing.panel.reveal();
      void (focus ? existing.session.requestFocus() : existing.session.refresh());
      return;
    }
    const panel = vscode.window.createWebviewPanel(REVIEW_VIEW_TYPE, `Review: ${taskId}`, vscode.ViewColumn.Active, this.webviewOptions());
    this.adopt(panel, taskId, root);
    if (focus) void this.panels.get(panelKey(taskId, root))?.session.requestFocus();
  }

  /** The shape extension.ts's ReviewHost expects: a session (its repository root) and a task ref. */
  async openReview(session: { root: string }, ref: { taskId: string; root?: string }, opts: { focus?: boolean } = {}): Promise<void> {
    await this.open(ref.taskId, ref.root ?? session.root, opts.focus);
  }

  /** Restores panels after a window reload; register once at activation. */
  registerSerializer(): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(REVIEW_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => {
        // The state was written by the page: validate it like any other message from there.
        if (!isPersistedReviewState(state) || this.panels.has(panelKey(state.taskId, state.root))) {
          panel.dispose();
          return;
        }
        panel.webview.options = this.webviewOptions();
        this.adopt(panel, state.taskId, state.root);
      },
    });
  }

  /** Open panels (tests). */
  get openTasks(): { taskId: string; root?: string }[] {
    return [...this.panels.values()].map((p) => ({ taskId: p.taskId, root: p.root }));
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.panel.dispose();
    this.panels.clear();
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    const { extensionUri } = this.options;
    return {
      enableScripts: true,
      enableCommandUris: false,
      enableFindWidget: true,
      // Only the bundle (dist: webview.js, codicons) and media (review.css) are readable by the page.
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')],
      // Not retained when hidden: the page restores its UI state with getState and asks again.
      retainContextWhenHidden: false,
    };
  }

  private adopt(panel: vscode.WebviewPanel, taskId: string, root: string | undefined): void {
    const key = panelKey(taskId, root);
    const entry: OpenPanel = { key, taskId, root, panel, disposables: [], session: undefined as unknown as ReviewSession };
    const getWorkspace = async (): Promise<Workspace | undefined> => {
      let ws: Workspace | undefined;
      try {
        ws = await this.options.getWorkspace(root);
      } catch (err) {
        this.log?.warn(`Swarm review ${taskId}: no workspace: ${err instanceof Error ? err.message : String(err)}`);
        ws = undefined;
      }
      // Follow the workspace object: a session that reopens (config change) gives a new one.
      if (ws !== entry.subscribed) {
        entry.unsubscribe?.();
        entry.unsubscribe = ws?.onEvent((e) => entry.session.onEvent(e));
        entry.subscribed = ws;
      }
      return ws;
    };
    entry.session = new ReviewSession(
      taskId,
      getWorkspace,
      {
        post: (msg) => this.post(entry, msg),
        openNativeDiff: (req) => this.openNativeDiff(entry, req),
        // "Next review": the next task's panel takes this one's place (one review on screen).
        openNext: async (next) => {
          if (!isTaskId(next)) return;
          await this.open(next, root);
          if (next !== taskId) entry.panel.dispose();
        },
        log: (level, message) => this.log?.[level](`Swarm: ${message}`),
      },
      { limits: readLimits(this.options.limits), decidedBy: 'vscode' },
    );

    const { extensionUri } = this.options;
    const webview = panel.webview;
    webview.html = buildReviewHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js')).toString(),
      codiconUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'codicon.css')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'review.css')).toString(),
      taskId,
      root,
    });
    entry.disposables.push(
      webview.onDidReceiveMessage((msg: unknown) => {
        entry.session
          .handleMessage(msg)
          .catch((err: unknown) => this.log?.error(`Swarm review ${taskId}: ${err instanceof Error ? err.message : String(err)}`));
      }),
      panel.onDidDispose(() => this.forget(entry)),
    );
    this.panels.set(key, entry);
    // The page also asks (ready) when its script starts; this covers a page that loads first.
    void getWorkspace();
  }

  private forget(entry: OpenPanel): void {
    entry.session.dispose();
    entry.unsubscribe?.();
    for (const d of entry.disposables) d.dispose();
    if (this.panels.get(entry.key) === entry) this.panels.delete(entry.key);
  }

  private async post(entry: OpenPanel, msg: ReviewNotification): Promise<void> {
    if (msg.method === 'review/state') entry.panel.title = `Review: ${msg.params.model.title}`;
    await entry.panel.webview.postMessage(msg);
  }

  private async openNativeDiff(entry: OpenPanel, req: NativeDiffRequest): Promise<void> {
    const left = reviewDiffUri(req.leftRev, req.oldPath ?? req.path, entry.root);
    const right = reviewDiffUri(req.rightRev, req.path, entry.root);
    const title = `${basename(req.path)} (${req.leftRev.slice(0, 8)} ↔ ${req.rightRev.slice(0, 8)})`;
    await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  }
}

/**
 * Creates the panel manager and registers what must exist from activation on: the serializer
 * (reload survival) and the `swarm-git:` content provider. Everything is disposed with the context.
 */
export function registerReviewPanels(
  context: Pick<vscode.ExtensionContext, 'extensionUri' | 'subscriptions'>,
  options: Omit<ReviewPanelsOptions, 'extensionUri'>,
): ReviewPanels {
  const panels = new ReviewPanels({ ...options, extensionUri: context.extensionUri });
  context.subscriptions.push(panels, panels.registerSerializer(), registerReviewDiffProvider(options.getWorkspace));
  return panels;
}
