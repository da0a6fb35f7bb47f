// The review panel page: the host's messages and the user's intents go through one reducer
// (state.ts), and four views render from its state — the compact header, the files with their
// diffs and line comments, the review rounds, and the decision bar fixed at the bottom. Everything
// from the task, the agents or the diff goes into the DOM as text (textContent, attributes, or
// markdown built node by node); the page never parses an HTML string.
//
// A decision is a request (`review/decide` with an id) answered by `review/decided` with the same
// id: the page is working exactly while a request of its own is unanswered.
//
// `ReviewApp` takes the document and the VS Code API as arguments so tests run it in happy-dom;
// main.ts wires it to the real window.

import { LoadFileCommand, NextCommand, OpenNativeDiffCommand, ReadyCommand, RefreshCommand, parseReviewNotification } from '../shared/reviewProtocol';
import { type ReviewAction, type ReviewViewModel } from '../shared/reviewViewModel';
import { Dom } from './dom';
import { SPLIT_MIN_WIDTH, decisionRequest, initialState, reduce, working, type PageEvent, type PageState } from './state';
import { DecisionBar } from './view/decisionBar';
import { FilesView } from './view/files';
import { renderDescription, renderHeader } from './view/header';
import { renderRounds } from './view/rounds';

export { describeOutcome, formatDuration, shortSha } from './format';

/** The part of `acquireVsCodeApi()` the page uses. */
export interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

export class ReviewApp {
  private state: PageState;
  private readonly dom: Dom;
  private readonly errorEl: HTMLElement;
  private readonly headerEl: HTMLElement;
  private readonly roundsEl: HTMLElement;
  private readonly descriptionEl: HTMLElement;
  private readonly bar: DecisionBar;
  private readonly filesView: FilesView;
  private readonly descriptionOpen = { value: false };
  private renderedModel: ReviewViewModel | undefined;
  /** A polite live region: what the review is and where the keyboard focus starts. */
  private readonly announceEl: HTMLElement;
  /** The host's focus requests already served (PageState.focusRequests). */
  private focusServed = 0;

  constructor(
    private readonly doc: Document,
    mount: HTMLElement,
    private readonly vscode: VsCodeApi,
    hints: { taskId?: string; root?: string } = {},
  ) {
    this.state = initialState(vscode.getState(), hints);
    const dom = (this.dom = new Dom(doc));
    const root = dom.el('main', 'review');
    mount.replaceChildren(root);

    this.errorEl = dom.el('div', 'error-banner');
    this.errorEl.setAttribute('role', 'alert');
    this.errorEl.hidden = true;
    this.headerEl = dom.el('header', 'task');
    this.headerEl.appendChild(dom.text('p', 'Loading the review…', 'muted'));
    this.bar = new DecisionBar(dom, {
      draft: (text) => this.dispatch({ type: 'draft', text }),
      decide: (action) => this.decide(action),
      next: () => this.vscode.postMessage(NextCommand.create({})),
    });
    this.filesView = new FilesView(dom, {
      expand: (paths, open) => this.dispatch({ type: 'expand', paths, open }),
      layout: (layout) => this.dispatch({ type: 'layout', layout }),
      view: (view) => this.dispatch({ type: 'view', view }),
      loadFile: (path) => this.vscode.postMessage(LoadFileCommand.create({ path })),
      openNativeDiff: (path) => this.vscode.postMessage(OpenNativeDiffCommand.create({ path })),
      refresh: () => this.vscode.postMessage(RefreshCommand.create({})),
      addComment: (comment) => this.dispatch({ type: 'addComment', comment }),
      removeComment: (index) => this.dispatch({ type: 'removeComment', index }),
    });
    this.roundsEl = dom.el('section', 'rounds');
    this.roundsEl.setAttribute('aria-label', 'Review rounds');
    this.descriptionEl = dom.el('section', 'description');
    this.announceEl = dom.el('div', 'sr-only');
    this.announceEl.setAttribute('role', 'status');
    this.announceEl.setAttribute('aria-live', 'polite');
    // DOM order is reading and tab order: the task, the decision (fixed at the bottom on screen),
    // the diff, then the history.
    root.append(this.announceEl, this.errorEl, this.headerEl, this.bar.el, this.filesView.el, this.roundsEl, this.descriptionEl);
    this.bar.comment.value = this.state.ui.draft;

    const win = doc.defaultView;
    let scrollTimer: ReturnType<typeof setTimeout> | undefined;
    win?.addEventListener('scroll', () => {
      // setState on every scroll event would be wasteful; the last position within 250 ms is enough.
      if (scrollTimer !== undefined || !this.state.model) return;
      scrollTimer = setTimeout(() => {
        scrollTimer = undefined;
        this.dispatch({ type: 'scroll', y: win.scrollY });
      }, 250);
    });
    doc.addEventListener('keydown', (ev) => {
      if (this.bar.onKey(ev, this.state)) ev.preventDefault();
    });
    // Side by side falls back to unified when the panel is narrow.
    const narrow = win?.matchMedia?.(`(max-width: ${SPLIT_MIN_WIDTH - 1}px)`);
    if (narrow) {
      this.state = { ...this.state, narrow: narrow.matches };
      narrow.addEventListener?.('change', (e) => this.dispatch({ type: 'narrow', narrow: e.matches }));
    }
    // The fixed decision bar must not cover the end of the page.
    const RO = (win as (Window & { ResizeObserver?: typeof ResizeObserver }) | null)?.ResizeObserver;
    if (RO) new RO(() => doc.body.style.setProperty('--bar-height', `${this.bar.el.offsetHeight}px`)).observe(this.bar.el);
    this.render();
  }

  /** Tell the host the page is ready (it answers with the state). */
  start(): void {
    this.vscode.postMessage(ReadyCommand.create({}));
  }

  /** Every message from the host goes through here; invalid ones are reported, not rendered. */
  receive(data: unknown): void {
    const msg = parseReviewNotification(data);
    if (!msg) {
      this.dispatch({ type: 'invalidMessage' });
      return;
    }
    this.dispatch({ type: 'host', msg });
    if (msg.method === 'review/fileDiff') this.filesView.onFileDiff(msg.params.sha, msg.params.path, msg.params.diff);
  }

  /** The model on screen (tests). */
  get current(): ReviewViewModel | undefined {
    return this.state.model;
  }

  /** The page state (tests). */
  get pageState(): PageState {
    return this.state;
  }

  private dispatch(e: PageEvent): void {
    const before = this.state;
    this.state = reduce(before, e);
    if (this.state.ui !== before.ui) this.vscode.setState(this.state.ui);
    if (e.type !== 'scroll') this.render();
  }

  private decide(action: ReviewAction): void {
    // The bar's state is advisory (a script or a stale event can still click): this check counts
    // on the page, and the host re-validates the message.
    const msg = decisionRequest(this.state, action);
    if (!msg) return;
    this.dispatch({ type: 'sent', id: msg.params.id, action });
    this.vscode.postMessage(msg);
  }

  private render(): void {
    const s = this.state;
    this.errorEl.hidden = s.error === undefined;
    this.errorEl.textContent = s.error ?? '';
    const m = s.model;
    if (m && m !== this.renderedModel) {
      const first = this.renderedModel === undefined;
      this.renderedModel = m;
      renderHeader(this.dom, this.headerEl, m);
      renderRounds(this.dom, this.roundsEl, m);
      renderDescription(this.dom, this.descriptionEl, m, this.descriptionOpen);
      this.vscode.setState(s.ui);
      // Back where the user was before the panel was hidden or the window reloaded.
      if (first && s.ui.scrollY) this.doc.defaultView?.scrollTo(0, s.ui.scrollY);
    }
    this.filesView.render(s);
    this.bar.render(s);
    this.placeFocus(s);
  }

  /**
   * A review opened from the keyboard (Swarm: Open next review; issue 15 item 9: from the
   * notification to merged in a few keys) puts the keyboard on the decision when it waits for one:
   * Approve when available, else the comment box; and says so to a screen reader. Only when the
   * host asks (a page that took the focus on its own would close a menu the user opened
   * meanwhile), once per request, and never from something the user is in.
   */
  private placeFocus(s: PageState): void {
    if ((s.focusRequests ?? 0) <= this.focusServed || !s.model?.canDecide || !s.model.sha || working(s)) return;
    this.focusServed = s.focusRequests ?? 0;
    const active = this.doc.activeElement;
    if (active && active !== this.doc.body && active !== this.doc.documentElement) return;
    this.announceEl.textContent = this.bar.focusStart(s);
  }
}

/** Starts the page on a document: the mount is `#app` (its data-task-id names the task). */
export function startReviewApp(doc: Document, vscode: VsCodeApi, win: { addEventListener(type: 'message', cb: (e: MessageEvent) => void): void }): ReviewApp {
  const mount = doc.getElementById('app') ?? doc.body;
  const app = new ReviewApp(doc, mount, vscode, { taskId: mount.dataset.taskId, root: mount.dataset.root });
  win.addEventListener('message', (e: MessageEvent) => app.receive(e.data));
  app.start();
  return app;
}
