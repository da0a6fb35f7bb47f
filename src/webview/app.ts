// The review panel page: renders the host's state (task, rounds, diff) and sends the user's
// decisions back, each tied to the sha on screen. Everything from the task, the agents or the
// diff goes into the DOM as text (textContent, attributes, or markdown built node by node); the
// page never parses an HTML string.
//
// The page holds no swarm logic: the host says what can be decided (`canDecide`, `busy`) and the
// engine decides whether a decision applies (a moved branch comes back as `stale_sha`).
//
// `ReviewApp` takes the document and the VS Code API as arguments so tests run it in happy-dom;
// main.ts wires it to the real window.

import {
  ApproveCommand,
  LoadFileCommand,
  OpenNativeDiffCommand,
  OverrideCommand,
  PROTOCOL_LIMITS,
  ReadyCommand,
  RefreshCommand,
  RejectCommand,
  RequestChangesCommand,
  isPersistedReviewState,
  parseReviewNotification,
  type ActionOutcome,
  type ActionResultView,
  type DiffLayout,
  type PersistedReviewState,
  type ReviewAction,
  type ReviewFileView,
  type ReviewRoundView,
  type ReviewViewModel,
} from '../shared/reviewProtocol';
import { renderFileDiff } from './diffView';
import { renderMarkdown } from './markdown';
import { STATUS } from '../swarm/status';

/** The part of `acquireVsCodeApi()` the page uses. */
export interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

type ValueElement = HTMLElement & { value?: unknown };

const ACTION_LABELS: Record<ReviewAction, string> = {
  approve: 'Approve',
  override: 'Override',
  requestChanges: 'Request changes',
  reject: 'Reject',
};


const VERDICT_UI: Record<string, { text: string; icon: string; cls: string }> = {
  APPROVED: { text: 'Approved', icon: 'pass', cls: 'ok' },
  NEEDS_CHANGES: { text: 'Needs changes', icon: 'warning', cls: 'warn' },
  REJECTED: { text: 'Rejected', icon: 'error', cls: 'bad' },
  none: { text: 'No verdict', icon: 'circle-slash', cls: 'none' },
};

const DECISION_LABELS: Record<string, string> = {
  approve: 'approved',
  override: 'overrode the reviewer',
  request_changes: 'requested changes',
  reject: 'rejected',
};

/** The tip on screen is newer than the commit that was submitted for review. */
function moved(m: ReviewViewModel | undefined): boolean {
  return !!m?.sha && !!m.reviewedSha && m.sha !== m.reviewedSha;
}

export function shortSha(sha: string | undefined): string {
  return sha ? sha.slice(0, 8) : '—';
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

function formatTime(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** What the page says about the outcome of an action. Plain text, shown with textContent. */
export function describeOutcome(result: ActionResultView): { text: string; ok: boolean; files: string[] } {
  const o: ActionOutcome = result.outcome;
  const label = ACTION_LABELS[result.action];
  if (o.ok) {
    switch (o.applied) {
      case 'merged':
        return { text: `${label}: merged as commit ${shortSha(o.commit)}.`, ok: true, files: [] };
      case 'queued':
        return { text: `${label}: queued — ${o.detail}`, ok: true, files: [] };
      case 'fix_requested':
        return { text: `${label}: sent to the worker for a fix round.`, ok: true, files: [] };
      case 'returned_to_pending':
        return { text: `${label}: the task went back to pending.`, ok: true, files: [] };
      case 'rejected':
        return { text: `${label}: the change was rejected.`, ok: true, files: [] };
      case 'completed_without_change':
        return { text: `${label}: completed; the task needed no change.`, ok: true, files: [] };
    }
  }
  switch (o.reason) {
    case 'stale_sha':
      return {
        text: `Not done: the branch moved since this diff was shown (it is now at ${shortSha(o.currentSha)}). The panel was refreshed — review the new commit, then decide again.`,
        ok: false,
        files: [],
      };
    case 'conflict':
      return { text: `${label}: the merge conflicts; nothing was merged. Conflicting files:`, ok: false, files: o.files };
    case 'waiting_local_changes':
      return { text: `${label}: the merge waits — your own uncommitted changes on the base checkout are in the way:`, ok: false, files: o.files };
    case 'waiting_base':
      return { text: `${label}: the merge waits for the base branch: ${o.detail}`, ok: false, files: [] };
    case 'busy':
      return { text: `Not done: another action is still running. ${o.detail}`, ok: false, files: [] };
    case 'not_awaiting':
      return { text: `Not done: the task is not waiting for a decision. ${o.detail}`, ok: false, files: [] };
    case 'not_found':
      return { text: `Not done: the task was not found. ${o.detail}`, ok: false, files: [] };
    case 'invalid':
      return { text: `Not done: ${o.detail}`, ok: false, files: [] };
    case 'needs_override':
      return { text: `Not merged: ${o.detail}`, ok: false, files: [] };
    case 'error':
      return { text: `${label} failed: ${o.detail}`, ok: false, files: [] };
  }
}

interface FileEntry {
  view: ReviewFileView;
  el: HTMLElement;
  toggle: HTMLElement;
  body: HTMLElement;
  open: boolean;
  /** The diff text, inline or loaded on expand. */
  diff?: string;
  loading: boolean;
  /** The layout the body was rendered in (undefined: not rendered yet). */
  renderedLayout?: DiffLayout;
}

export class ReviewApp {
  private model: ReviewViewModel | undefined;
  private busy = false;
  private pending: ReviewAction | undefined;
  /** Set on click, until the host answers: a double click must not send two decisions. */
  private localBusy = false;
  private lastResult: ActionResultView | undefined;
  private ui: PersistedReviewState;
  private files = new Map<string, FileEntry>();
  /** Identity of the rendered diff: the file DOM is kept while it stays the same. */
  private diffKey = '';
  private descriptionOpen = false;

  private readonly root: HTMLElement;
  private readonly headerEl: HTMLElement;
  private readonly errorEl: HTMLElement;
  private readonly resultEl: HTMLElement;
  private readonly actionsEl: HTMLElement;
  private readonly roundsEl: HTMLElement;
  private readonly filesEl: HTMLElement;
  private readonly filesHeadEl: HTMLElement;
  private readonly fileListEl: HTMLElement;
  private readonly comment: ValueElement;
  private readonly hintEl: HTMLElement;
  private readonly busyEl: HTMLElement;
  private readonly buttons: Record<ReviewAction, HTMLElement>;
  private readonly layoutButtons: Record<DiffLayout, HTMLElement>;

  constructor(
    private readonly doc: Document,
    mount: HTMLElement,
    private readonly vscode: VsCodeApi,
    hints: { taskId?: string; root?: string } = {},
  ) {
    const saved = vscode.getState();
    this.ui = isPersistedReviewState(saved) ? saved : { taskId: hints.taskId ?? 'unknown', layout: 'unified', expanded: {}, draft: '' };
    // The serializer reopens the panel after a reload from this state, so it names the repository too.
    if (hints.root !== undefined && this.ui.root === undefined) this.ui.root = hints.root;

    this.root = this.el('main', 'review');
    mount.replaceChildren(this.root);

    this.errorEl = this.el('div', 'error-banner');
    this.errorEl.setAttribute('role', 'alert');
    this.errorEl.hidden = true;

    this.headerEl = this.el('header', 'task');
    this.headerEl.appendChild(this.text('p', 'Loading the review…', 'muted'));

    // Decisions -----------------------------------------------------------------------------
    this.actionsEl = this.el('section', 'actions');
    this.actionsEl.setAttribute('aria-label', 'Decision');
    const label = this.text('label', 'Comment — the reason for an Override, the changes to request, or a note for Reject', 'comment-label');
    label.id = 'comment-label';
    label.setAttribute('for', 'comment');
    this.comment = this.doc.createElement('vscode-textarea') as ValueElement;
    this.comment.id = 'comment';
    this.comment.className = 'comment';
    this.comment.setAttribute('rows', '4');
    this.comment.setAttribute('resize', 'vertical');
    this.comment.setAttribute('aria-labelledby', 'comment-label');
    // The component puts `label` on its inner <textarea> as aria-label (aria-labelledby on the host
    // does not cross its shadow root).
    this.comment.setAttribute('label', 'Comment for the decision');
    this.comment.setAttribute('placeholder', 'What should change, or why you override the reviewer');
    this.comment.setAttribute('maxlength', String(PROTOCOL_LIMITS.decisionText));
    this.comment.value = this.ui.draft;
    this.comment.addEventListener('input', () => this.onDraft());
    this.comment.addEventListener('change', () => this.onDraft());

    const bar = this.el('div', 'buttons');
    this.buttons = {
      approve: this.button('Approve', 'check', false, () => this.act('approve')),
      override: this.button('Override', 'warning', true, () => this.act('override')),
      requestChanges: this.button('Request changes', 'comment-discussion', true, () => this.act('requestChanges')),
      reject: this.button('Reject / return to pending', 'close', true, () => this.act('reject')),
    };
    bar.append(this.buttons.approve, this.buttons.override, this.buttons.requestChanges, this.buttons.reject);
    this.busyEl = this.el('span', 'busy');
    this.busyEl.setAttribute('role', 'status');
    bar.appendChild(this.busyEl);
    this.hintEl = this.el('p', 'hint');
    this.hintEl.id = 'decision-hint';
    this.resultEl = this.el('div', 'result');
    this.resultEl.setAttribute('role', 'status');
    this.resultEl.setAttribute('aria-live', 'polite');
    this.actionsEl.append(label, this.comment, bar, this.hintEl, this.resultEl);

    // Rounds and files ------------------------------------------------------------------------
    this.roundsEl = this.el('section', 'rounds');
    this.roundsEl.setAttribute('aria-label', 'Review rounds');

    this.filesEl = this.el('section', 'files');
    this.filesEl.setAttribute('aria-label', 'Changes');
    this.filesHeadEl = this.el('div', 'files-head');
    const toolbar = this.el('div', 'toolbar');
    toolbar.setAttribute('role', 'toolbar');
    toolbar.setAttribute('aria-label', 'Diff view');
    this.layoutButtons = {
      unified: this.button('Unified', 'list-flat', true, () => this.setLayout('unified')),
      split: this.button('Side by side', 'split-horizontal', true, () => this.setLayout('split')),
    };
    toolbar.append(
      this.layoutButtons.unified,
      this.layoutButtons.split,
      this.button('Expand all', 'expand-all', true, () => this.setAllOpen(true)),
      this.button('Collapse all', 'collapse-all', true, () => this.setAllOpen(false)),
      this.button('Refresh', 'refresh', true, () => this.vscode.postMessage(RefreshCommand.create({}))),
    );
    this.fileListEl = this.el('div', 'file-list');
    this.filesEl.append(this.filesHeadEl, toolbar, this.fileListEl);

    this.root.append(this.errorEl, this.headerEl, this.actionsEl, this.roundsEl, this.filesEl);
    const win = doc.defaultView;
    let scrollTimer: ReturnType<typeof setTimeout> | undefined;
    win?.addEventListener('scroll', () => {
      // setState on every scroll event would be wasteful; the last position within 250 ms is enough.
      if (scrollTimer !== undefined || !this.model) return;
      scrollTimer = setTimeout(() => {
        scrollTimer = undefined;
        this.ui.scrollY = Math.max(0, Math.round(win.scrollY));
        this.save();
      }, 250);
    });
    this.updateLayoutButtons();
    this.updateButtons();
  }

  /** Tell the host the page is ready (it answers with the state). */
  start(): void {
    this.vscode.postMessage(ReadyCommand.create({}));
  }

  /** Every message from the host goes through here; invalid ones are reported, not rendered. */
  receive(data: unknown): void {
    const msg = parseReviewNotification(data);
    if (!msg) {
      this.showError('The panel received a message it does not understand; try Refresh.');
      return;
    }
    switch (msg.method) {
      case 'review/state':
        this.errorEl.hidden = true;
        this.busy = msg.params.busy;
        this.pending = msg.params.pending;
        this.localBusy = false;
        if (msg.params.lastResult) this.lastResult = msg.params.lastResult;
        this.setModel(msg.params.model);
        return;
      case 'review/busy':
        this.busy = msg.params.busy;
        this.pending = msg.params.pending;
        if (!this.busy) this.localBusy = false;
        this.updateButtons();
        return;
      case 'review/actionResult':
        this.localBusy = false;
        this.lastResult = msg.params.result;
        if (this.lastResult.outcome.ok) this.setDraft('');
        this.renderResult();
        this.updateButtons();
        return;
      case 'review/fileDiff':
        this.onFileDiff(msg.params.sha, msg.params.path, msg.params.diff);
        return;
      case 'review/error':
        this.localBusy = false;
        this.showError(msg.params.message);
        this.updateButtons();
        return;
    }
  }

  /** The model on screen (tests). */
  get current(): ReviewViewModel | undefined {
    return this.model;
  }

  // ---------------------------------------------------------------------------------------------

  private setModel(model: ReviewViewModel): void {
    if (model.taskId !== this.ui.taskId) {
      // Another task's saved UI state (should not happen: one panel per task). Start fresh.
      const root = this.ui.root;
      this.ui = { taskId: model.taskId, layout: this.ui.layout, expanded: {}, draft: '' };
      if (root !== undefined) this.ui.root = root;
      this.setDraft('');
    }
    const first = this.model === undefined;
    this.model = model;
    this.renderHeader();
    this.renderRounds();
    this.renderFiles();
    this.renderResult();
    this.updateButtons();
    this.save();
    // Back where the user was before the panel was hidden or the window reloaded.
    if (first && this.ui.scrollY) this.doc.defaultView?.scrollTo(0, this.ui.scrollY);
  }

  private renderHeader(): void {
    const m = this.model!;
    const h = this.headerEl;
    h.replaceChildren();
    const titleRow = this.el('div', 'title-row');
    const title = this.text('h1', m.title);
    const status = this.doc.createElement('vscode-badge');
    status.className = `status status-${m.status}`;
    status.textContent = STATUS[m.status].heading;
    titleRow.append(title, status);

    const meta = this.el('dl', 'meta');
    const add = (term: string, value: string | undefined, cls?: string) => {
      if (!value) return;
      const dt = this.text('dt', term);
      const dd = this.text('dd', value, cls);
      meta.append(dt, dd);
    };
    add('Task', m.taskId, 'mono');
    add('Worker', m.worker);
    add('Agent', [m.harness, m.model].filter(Boolean).join(' · ') || undefined);
    add('Cost', m.cost);
    add('Commit', m.sha ? `${shortSha(m.sha)} (full: ${m.sha})` : 'no commit yet', 'mono');
    if (moved(m)) add('Reviewed', `${shortSha(m.reviewedSha)} — the branch moved since`, 'mono warn');
    add('Against', m.base ? `${m.base}${m.baseSha ? ` at ${shortSha(m.baseSha)}` : ''}` : undefined, 'mono');
    add('Merged as', m.mergedCommit ? shortSha(m.mergedCommit) : undefined, 'mono');
    h.append(titleRow, meta);

    if (m.conflictFiles.length > 0) {
      const c = this.el('div', 'callout warn');
      c.append(this.text('p', 'The last merge attempt conflicted in:'), this.fileList(m.conflictFiles));
      h.appendChild(c);
    }
    if (m.question) {
      const c = this.el('div', 'callout warn');
      c.append(this.text('p', m.answer ? 'The agent asked (answered):' : 'The agent asks:'), renderMarkdown(this.doc, m.question));
      if (m.answer) c.append(this.text('p', 'Your answer:'), renderMarkdown(this.doc, m.answer));
      h.appendChild(c);
    }
    if (m.mergeCheck) {
      const c = this.el('div', 'callout bad');
      c.append(this.text('p', `The merge check ${m.mergeCheck.timedOut ? 'timed out' : `failed (exit ${m.mergeCheck.exitCode ?? '?'})`} on the merge result ${shortSha(m.mergeCheck.sha)}; the base was not moved. Its output ended with:`), this.text('pre', m.mergeCheck.tail));
      h.appendChild(c);
    }
    if (m.lastError) {
      const c = this.el('div', 'callout bad');
      c.append(this.text('p', 'Last error:'), this.text('pre', m.lastError));
      h.appendChild(c);
    }
    if (m.body.trim()) {
      const details = this.doc.createElement('vscode-collapsible');
      details.className = 'task-body';
      details.setAttribute('heading', 'Task description');
      // The header is rebuilt on every state push; keep the description open if the user opened it.
      details.toggleAttribute('open', this.descriptionOpen);
      details.addEventListener('vsc-collapsible-toggle', (ev) => {
        this.descriptionOpen = (ev as CustomEvent<{ open?: unknown }>).detail?.open === true;
      });
      details.appendChild(renderMarkdown(this.doc, m.body));
      if (m.bodyTruncated) details.appendChild(this.text('p', 'The description was cut for display.', 'muted'));
      h.appendChild(details);
    }
  }

  private renderRounds(): void {
    const m = this.model!;
    const sec = this.roundsEl;
    sec.replaceChildren(this.text('h2', m.rounds.length ? `Review rounds (${m.rounds.length})` : 'Review rounds'));
    if (m.rounds.length === 0) {
      sec.appendChild(this.text('p', 'No review yet.', 'muted'));
      return;
    }
    const list = this.el('ol', 'round-list');
    m.rounds.forEach((r, i) => list.appendChild(this.roundItem(r, m.rounds[i + 1])));
    sec.appendChild(list);
  }

  private roundItem(r: ReviewRoundView, next: ReviewRoundView | undefined): HTMLElement {
    const li = this.el('li', 'round');
    const head = this.el('div', 'round-head');
    const v = VERDICT_UI[r.verdict ?? 'none'];
    const verdict = this.el('span', `verdict ${v.cls}`);
    verdict.append(this.icon(v.icon), this.doc.createTextNode(` ${v.text}`));
    head.append(this.text('strong', `Round ${r.round}`), verdict, this.text('span', r.by === 'agent' ? 'reviewer agent' : r.by === 'policy' ? 'policy gate' : 'you', 'by'));
    if (r.sha) head.appendChild(this.text('span', shortSha(r.sha), 'mono sha'));
    const when = [formatTime(r.startedAt), formatDuration(r.durationMs)].filter(Boolean).join(' · ');
    if (when) head.appendChild(this.text('span', when, 'muted when'));
    li.appendChild(head);

    if (r.decision) {
      const d = this.el('div', 'decision');
      d.appendChild(this.text('p', `Decision: ${DECISION_LABELS[r.decision] ?? r.decision}${r.reason ? ' —' : ''}`));
      if (r.reason) d.appendChild(renderMarkdown(this.doc, r.reason));
      li.appendChild(d);
    }
    if (r.violations.length > 0) {
      li.appendChild(this.text('p', 'Policy violations:', 'warn'));
      li.appendChild(this.fileList(r.violations));
    }
    if (r.diffTruncated) li.appendChild(this.text('p', 'The reviewer saw a truncated diff (over its budget); the panel shows all of it.', 'muted'));
    // A decision's round keeps its text as feedback too (for fix-round prompts); shown once, above.
    const restatesReason = !!r.decision && !!r.reason && [r.reason.trim(), `Override: ${r.reason.trim()}`].includes(r.feedback.trim());
    if (r.feedback.trim() && !restatesReason) {
      const fb = renderMarkdown(this.doc, r.feedback);
      fb.classList.add('feedback');
      li.appendChild(fb);
      if (r.feedbackTruncated) li.appendChild(this.text('p', 'Feedback cut for display.', 'muted'));
    }
    const askedForFix = r.verdict === 'NEEDS_CHANGES' || r.decision === 'request_changes';
    if (askedForFix && next?.sha && next.sha !== r.sha) {
      li.appendChild(this.text('p', `The fix that followed: commit ${shortSha(next.sha)}, reviewed in round ${next.round}.`, 'fix'));
    }
    return li;
  }

  // Files --------------------------------------------------------------------------------------

  private renderFiles(): void {
    const m = this.model!;
    const key = `${m.sha ?? ''}\n${m.files.map((f) => `${f.path}\t${f.lines}`).join('\n')}`;
    this.filesHeadEl.replaceChildren(
      this.text('h2', m.files.length ? `Changes: ${m.files.length} file${m.files.length === 1 ? '' : 's'}, +${m.added} −${m.removed}` : 'Changes'),
    );
    if (key === this.diffKey) {
      // Same commit and files: keep the DOM (open files, scroll); pick up diffs that came inline.
      for (const f of m.files) {
        const e = this.files.get(f.path);
        if (e && f.diff !== undefined && e.diff === undefined) {
          e.diff = f.diff;
          if (e.open) this.renderBody(e);
        }
      }
      return;
    }
    this.diffKey = key;
    this.files.clear();
    const list = this.fileListEl;
    list.replaceChildren();
    if (m.files.length === 0) {
      list.appendChild(this.text('p', m.sha ? 'No changes against the base.' : 'Nothing to show until the worker commits.', 'muted'));
      return;
    }
    for (const [i, f] of m.files.entries()) {
      const entry = this.fileEntry(f, m.collapseLines, i);
      this.files.set(f.path, entry);
      list.appendChild(entry.el);
      if (entry.open) this.renderBody(entry);
    }
  }

  /**
   * One file: a native disclosure button (path, counts, status) and the "Open diff" button, then
   * the body. Not a vscode-collapsible: its heading is upper-cased by the component, and paths are
   * case-sensitive; a <button aria-expanded> is also keyboard- and screen-reader-ready as is.
   */
  private fileEntry(f: ReviewFileView, collapseLines: number, index: number): FileEntry {
    const el = this.el('section', `file file-${f.status}`);
    el.setAttribute('data-path', f.path);
    const head = this.el('div', 'file-head');
    const toggle = this.doc.createElement('button');
    toggle.className = 'file-toggle';
    toggle.type = 'button';
    const bodyId = `file-body-${index}`;
    toggle.setAttribute('aria-controls', bodyId);
    const chevron = this.icon('chevron-right');
    chevron.classList.add('chevron');
    const letter = { added: 'A', deleted: 'D', modified: 'M', renamed: 'R', copied: 'C', mode: 'M' }[f.status];
    const status = this.text('span', letter, `file-status file-status-${f.status}`);
    status.setAttribute('title', f.status);
    const parts = [`+${f.added} −${f.removed}`];
    if (f.oldPath) parts.push(`${f.status} from ${f.oldPath}`);
    else if (f.status !== 'modified') parts.push(f.status);
    if (f.binary) parts.push('binary');
    if (f.diff === undefined) parts.push(`large: ${f.lines} lines, loads when opened`);
    toggle.append(chevron, status, this.text('span', f.path, 'file-path'), this.text('span', parts.join(' · '), 'file-desc'));

    // A native button, not a vscode-button: one custom element (with its shadow root) per file
    // made a 3,000-file diff take seconds to open; this one is styled to match.
    const nativeDiff = this.doc.createElement('button');
    nativeDiff.type = 'button';
    nativeDiff.className = 'open-diff';
    nativeDiff.append(this.icon('diff'), this.doc.createTextNode(' Open diff'));
    nativeDiff.setAttribute('aria-label', `Open ${f.path} in the diff editor`);
    nativeDiff.setAttribute('title', 'Open in VS Code’s diff editor');
    nativeDiff.disabled = !this.model?.sha || !this.model.baseSha;
    nativeDiff.addEventListener('click', () => {
      if (!nativeDiff.disabled) this.vscode.postMessage(OpenNativeDiffCommand.create({ path: f.path }));
    });
    head.append(toggle, nativeDiff);

    const body = this.el('div', 'file-body');
    body.id = bodyId;
    el.append(head, body);

    const open = this.ui.expanded[f.path] ?? (f.diff !== undefined && f.lines <= collapseLines);
    const entry: FileEntry = { view: f, el, toggle, body, open, loading: false };
    if (f.diff !== undefined) entry.diff = f.diff;
    this.setOpen(entry, open);
    toggle.addEventListener('click', () => {
      const nowOpen = !entry.open;
      this.ui.expanded[f.path] = nowOpen;
      this.setOpen(entry, nowOpen);
      this.save();
    });
    return entry;
  }

  private setOpen(e: FileEntry, open: boolean): void {
    e.open = open;
    e.toggle.setAttribute('aria-expanded', String(open));
    e.el.classList.toggle('open', open);
    e.body.hidden = !open;
    if (open) this.renderBody(e);
  }

  /** Renders an open file's diff, asking the host for it first when it was held back. */
  private renderBody(e: FileEntry): void {
    if (e.diff === undefined) {
      if (!e.loading && this.model?.sha) {
        e.loading = true;
        e.body.replaceChildren(this.text('p', `Loading ${e.view.lines} lines…`, 'muted loading'));
        this.vscode.postMessage(LoadFileCommand.create({ path: e.view.path }));
      }
      return;
    }
    if (e.renderedLayout === this.ui.layout) return;
    const scroller = this.el('div', 'diff-scroll');
    scroller.appendChild(renderFileDiff(this.doc, e.diff, this.ui.layout).element);
    e.body.replaceChildren(scroller);
    e.renderedLayout = this.ui.layout;
  }

  private onFileDiff(sha: string, path: string, diff: string): void {
    // A diff for another commit than the one on screen is stale: drop it.
    if (!this.model || sha !== this.model.sha) return;
    const e = this.files.get(path);
    if (!e) return;
    e.diff = diff;
    e.loading = false;
    e.renderedLayout = undefined;
    if (e.open) this.renderBody(e);
  }

  private setLayout(layout: DiffLayout): void {
    if (this.ui.layout === layout) return;
    this.ui.layout = layout;
    this.updateLayoutButtons();
    // Re-render open files now; closed ones re-render when opened (renderedLayout differs).
    for (const e of this.files.values()) if (e.open) this.renderBody(e);
    this.save();
  }

  private setAllOpen(open: boolean): void {
    for (const e of this.files.values()) {
      // Expand all leaves held-back large files closed: each is opened on purpose.
      if (open && e.diff === undefined) continue;
      this.ui.expanded[e.view.path] = open;
      this.setOpen(e, open);
    }
    this.save();
  }

  private updateLayoutButtons(): void {
    for (const l of ['unified', 'split'] as const) {
      const b = this.layoutButtons[l];
      b.setAttribute('aria-pressed', String(this.ui.layout === l));
      b.toggleAttribute('secondary', this.ui.layout !== l);
    }
  }

  // Decisions ----------------------------------------------------------------------------------

  private draftText(): string {
    const v = this.comment.value;
    return typeof v === 'string' ? v : '';
  }

  private onDraft(): void {
    this.ui.draft = this.draftText().slice(0, PROTOCOL_LIMITS.decisionText);
    this.updateButtons();
    this.save();
  }

  private setDraft(text: string): void {
    this.ui.draft = text;
    this.comment.value = text;
  }

  /** Why each action is unavailable right now (undefined: available). */
  private blockers(): Record<ReviewAction, string | undefined> {
    const m = this.model;
    const text = this.draftText().trim();
    const common = !m
      ? 'Loading…'
      : !m.sha
        ? 'There is no commit to decide on yet.'
        : this.busy || this.localBusy
          ? 'Working…'
          : !m.canDecide
            ? 'This task is not waiting for a decision.'
            : undefined;
    // The engine says whether a plain Approve may merge (approvable); the page only shows it.
    const disagrees = m ? !m.approvable : false;
    return {
      approve: common ?? (disagrees ? (m?.approveBlocked ?? 'The reviewer did not approve: use Override with a reason.') : undefined),
      override: common ?? (!disagrees ? 'Override is for merging despite a reviewer that did not approve.' : !text ? 'Write the reason for the override in the comment.' : undefined),
      requestChanges: common ?? (!text ? 'Write the changes you want in the comment.' : undefined),
      reject: common,
    };
  }

  private updateButtons(): void {
    const why = this.blockers();
    for (const a of Object.keys(this.buttons) as ReviewAction[]) {
      const b = this.buttons[a];
      const blocked = why[a];
      b.toggleAttribute('disabled', blocked !== undefined);
      b.setAttribute('aria-disabled', String(blocked !== undefined));
      if (blocked) b.setAttribute('title', blocked);
      else b.removeAttribute('title');
    }
    const working = this.busy || this.localBusy;
    this.comment.toggleAttribute('disabled', working);
    this.busyEl.textContent = working ? `${this.pending ? ACTION_LABELS[this.pending] : 'Working'}…` : '';
    const m = this.model;
    let hint = '';
    if (m && m.sha && m.canDecide && !working) {
      hint = `Your decision applies to commit ${shortSha(m.sha)}. If the branch moves first, nothing happens and the panel refreshes.`;
      // The engine merges the head the user was shown; say plainly that the reviewer did not see all of it.
      if (moved(m)) hint = `The branch moved after it was submitted for review (reviewed ${shortSha(m.reviewedSha)}, now ${shortSha(m.sha)}): the diff below includes the newer commits, which the reviewer has not seen. ${hint}`;
      if (m.agentVerdict === 'NEEDS_CHANGES' || m.agentVerdict === 'REJECTED') hint += ` The reviewer did not approve${m.agentVerdictSha && m.agentVerdictSha !== m.sha ? ` (on ${shortSha(m.agentVerdictSha)})` : ''}: Override merges anyway and records your reason.`;
      else if (!m.approvable) hint += ` ${m.approveBlocked ?? 'Only Override merges this change.'}`;
    } else if (m && !m.canDecide) hint = 'Nothing to decide right now.';
    this.hintEl.textContent = hint;
  }

  private act(action: ReviewAction): void {
    // The buttons' disabled state is advisory (a script or a stale event can still click them);
    // this check is the one that counts on the page, and the host re-validates the message.
    if (this.blockers()[action] !== undefined || !this.model?.sha) return;
    const sha = this.model.sha;
    const text = this.draftText().trim();
    let msg: unknown;
    switch (action) {
      case 'approve':
        msg = ApproveCommand.create({ sha });
        break;
      case 'override':
        msg = OverrideCommand.create({ sha, reason: text });
        break;
      case 'requestChanges':
        msg = RequestChangesCommand.create({ sha, text });
        break;
      case 'reject':
        msg = RejectCommand.create(text ? { sha, text } : { sha });
        break;
    }
    this.localBusy = true;
    this.pending = action;
    this.updateButtons();
    this.vscode.postMessage(msg);
  }

  private renderResult(): void {
    const r = this.lastResult;
    this.resultEl.replaceChildren();
    this.resultEl.className = 'result';
    if (!r) return;
    const d = describeOutcome(r);
    this.resultEl.classList.add(d.ok ? 'ok' : 'bad');
    this.resultEl.append(this.icon(d.ok ? 'pass' : 'warning'), this.text('span', ` ${d.text}`));
    if (d.files.length) this.resultEl.appendChild(this.fileList(d.files));
    this.resultEl.appendChild(this.text('span', ` (${formatTime(r.at)}, on ${shortSha(r.sha)})`, 'muted'));
  }

  private showError(message: string): void {
    this.errorEl.textContent = message;
    this.errorEl.hidden = false;
  }

  private save(): void {
    this.vscode.setState(this.ui);
  }

  // Small DOM helpers: every string goes in through textContent or setAttribute. ---------------

  private el(tag: string, cls?: string): HTMLElement {
    const e = this.doc.createElement(tag);
    if (cls) e.className = cls;
    return e;
  }

  private text(tag: string, text: string, cls?: string): HTMLElement {
    const e = this.el(tag, cls);
    e.textContent = text;
    return e;
  }

  private icon(name: string): HTMLElement {
    const i = this.el('span', `codicon codicon-${name}`);
    i.setAttribute('aria-hidden', 'true');
    return i;
  }

  private fileList(items: readonly string[]): HTMLElement {
    const ul = this.el('ul', 'paths');
    for (const p of items) ul.appendChild(this.text('li', p, 'mono'));
    return ul;
  }

  private button(label: string, icon: string, secondary: boolean, onClick: () => void): HTMLElement {
    const b = this.doc.createElement('vscode-button');
    b.textContent = label;
    b.setAttribute('icon', icon);
    if (secondary) b.setAttribute('secondary', '');
    b.addEventListener('click', (ev) => {
      ev.stopPropagation();
      if (b.hasAttribute('disabled')) return;
      onClick();
    });
    return b;
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
