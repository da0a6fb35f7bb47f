// The decision bar, fixed at the bottom of the panel so the diff gets the screen: a two-line
// comment box, the four decisions, the reasons unavailable ones are off (as visible text, not
// only a tooltip), what the decision applies to, and the last result. When nothing is left to
// decide it shrinks to the result and "Next review (N waiting)".
//
// Keyboard: Alt+A approves when Approve is available (the label says so), Alt+N opens the next
// review; unavailable buttons stay in the tab order (aria-disabled) and name their reason.

import { PROTOCOL_LIMITS } from '../../shared/reviewProtocol';
import { type ReviewAction } from '../../shared/reviewViewModel';
import { ACTION_LABELS, describeOutcome, formatTime, shortSha } from '../format';
import { blockers, decisionHint, offerNext, working, type PageState } from '../state';
import { setAvailable, type Dom } from '../dom';

type ValueElement = HTMLElement & { value?: unknown };

export interface DecisionBarActions {
  draft(text: string): void;
  decide(action: ReviewAction): void;
  next(): void;
}

/** The keyboard shortcuts, shown on the buttons. */
export const SHORTCUTS = { approve: { key: 'KeyA', label: 'Alt+A' }, next: { key: 'KeyN', label: 'Alt+N' } } as const;

export class DecisionBar {
  readonly el: HTMLElement;
  readonly comment: ValueElement;
  private readonly form: HTMLElement;
  private readonly buttons: Record<ReviewAction, HTMLElement>;
  private readonly reasonsEl: HTMLElement;
  private readonly hintEl: HTMLElement;
  private readonly busyEl: HTMLElement;
  private readonly resultEl: HTMLElement;
  private readonly nextEl: HTMLElement;
  private readonly nextButton: HTMLElement;
  private readonly commentsEl: HTMLElement;

  constructor(
    private readonly dom: Dom,
    private readonly actions: DecisionBarActions,
  ) {
    this.el = dom.el('section', 'actions');
    this.el.setAttribute('aria-label', 'Decision');
    this.form = dom.el('div', 'decide');

    const label = dom.text('label', 'Comment — the changes to request, the reason for an Override, or a note for Reject', 'comment-label');
    label.id = 'comment-label';
    label.setAttribute('for', 'comment');
    this.comment = dom.doc.createElement('vscode-textarea') as ValueElement;
    this.comment.id = 'comment';
    this.comment.className = 'comment';
    this.comment.setAttribute('rows', '2');
    this.comment.setAttribute('resize', 'vertical');
    this.comment.setAttribute('aria-labelledby', 'comment-label');
    // The component puts `label` on its inner <textarea> as aria-label (aria-labelledby on the host
    // does not cross its shadow root).
    this.comment.setAttribute('label', 'Comment for the decision');
    this.comment.setAttribute('placeholder', 'What should change, or why you override the reviewer');
    this.comment.setAttribute('maxlength', String(PROTOCOL_LIMITS.decisionText));
    const onDraft = () => this.actions.draft(this.draftText());
    this.comment.addEventListener('input', onDraft);
    this.comment.addEventListener('change', onDraft);
    this.commentsEl = dom.el('p', 'comment-count muted');

    const bar = dom.el('div', 'buttons');
    this.buttons = {
      approve: dom.button(`Approve (${SHORTCUTS.approve.label})`, 'check', false, () => this.actions.decide('approve')),
      override: dom.button('Override', 'warning', true, () => this.actions.decide('override')),
      requestChanges: dom.button('Request changes', 'comment-discussion', true, () => this.actions.decide('requestChanges')),
      reject: dom.button('Reject / return to pending', 'close', true, () => this.actions.decide('reject')),
    };
    this.buttons.approve.setAttribute('aria-keyshortcuts', 'Alt+A');
    this.busyEl = dom.el('span', 'busy');
    this.busyEl.setAttribute('role', 'status');
    bar.append(this.buttons.approve, this.buttons.override, this.buttons.requestChanges, this.buttons.reject, this.busyEl);
    this.reasonsEl = dom.el('p', 'reasons');
    this.reasonsEl.id = 'decision-reasons';
    this.hintEl = dom.el('p', 'hint');
    this.hintEl.id = 'decision-hint';
    this.form.append(label, this.comment, this.commentsEl, bar, this.reasonsEl, this.hintEl);

    this.resultEl = dom.el('div', 'result');
    this.resultEl.setAttribute('role', 'status');
    this.resultEl.setAttribute('aria-live', 'polite');
    this.resultEl.tabIndex = -1;
    this.nextEl = dom.el('div', 'next');
    this.nextButton = dom.button('Next review', 'arrow-right', false, () => this.actions.next());
    this.nextButton.setAttribute('aria-keyshortcuts', 'Alt+N');
    this.nextEl.appendChild(this.nextButton);
    this.el.append(this.resultEl, this.nextEl, this.form);
  }

  draftText(): string {
    const v = this.comment.value;
    return typeof v === 'string' ? v : '';
  }

  render(s: PageState): void {
    const m = s.model;
    if (this.draftText() !== s.ui.draft) this.comment.value = s.ui.draft;
    // Nothing left to decide: no empty comment box and dead buttons, only the result and what next.
    const deciding = !m || m.canDecide || working(s);
    // The focused button is about to disappear with the form: keep the keyboard user in the bar.
    const hadFocus = !deciding && !this.form.hidden && this.form.contains(this.dom.doc.activeElement);
    this.form.hidden = !deciding;
    const why = blockers(s);
    const reasons: string[] = [];
    const common = new Set<string>();
    for (const a of Object.keys(this.buttons) as ReviewAction[]) {
      const blocked = why[a];
      setAvailable(this.buttons[a], blocked, this.reasonsEl.id);
      if (!blocked) continue;
      // A reason all four share ("Working…", "not waiting") is said once.
      if (Object.values(why).every((w) => w === blocked)) common.add(blocked);
      else reasons.push(`${ACTION_LABELS[a]}: ${blocked.replace(/^[A-Z]/, (c) => c.toLowerCase())}`);
    }
    this.reasonsEl.textContent = [...common, ...reasons].join(' · ');
    const n = s.ui.comments?.length ?? 0;
    this.commentsEl.textContent = n ? `${n} line comment${n === 1 ? '' : 's'} will go with Request changes.` : '';
    this.comment.toggleAttribute('disabled', working(s));
    const pending = s.pending?.action ?? s.hostPending;
    this.busyEl.textContent = working(s) ? `${pending ? ACTION_LABELS[pending] : 'Working'}…` : '';
    this.hintEl.textContent = decisionHint(s);
    this.renderResult(s);
    const offer = offerNext(s);
    this.nextEl.hidden = !offer && !(m && !m.canDecide);
    this.nextButton.textContent = offer ? `Next review (${s.waiting} waiting) (${SHORTCUTS.next.label})` : 'No other review waiting';
    setAvailable(this.nextButton, offer ? undefined : 'No other review is waiting for you.');
    if (hadFocus) (offer ? this.nextButton : this.resultEl).focus?.();
  }

  /**
   * Where the keyboard starts when a review opens: Approve when it is available (Enter or Alt+A
   * then merges), else the comment box (Request changes and Override need words). Returns the
   * sentence a screen reader hears about the review and where the focus is.
   */
  focusStart(s: PageState): string {
    const m = s.model;
    if (!m) return '';
    const canApprove = blockers(s).approve === undefined;
    const target = canApprove ? this.buttons.approve : this.comment;
    (target as HTMLElement & { focus?: () => void }).focus?.();
    const verdict = m.agentVerdict ? `the reviewer agent said ${m.agentVerdict}` : 'no reviewer verdict';
    const files = `${m.files.length} file${m.files.length === 1 ? '' : 's'} changed, +${m.added} −${m.removed}`;
    const where = canApprove
      ? `Approve has focus: Enter or ${SHORTCUTS.approve.label} merges commit ${shortSha(m.sha)}.`
      : `The comment box has focus; Approve is unavailable: ${blockers(s).approve}`;
    return `Review of ${m.title}: ${verdict}; ${files}. ${where}`;
  }

  /** Alt+A approves, Alt+N goes to the next review; true when the key was used. */
  onKey(ev: KeyboardEvent, s: PageState): boolean {
    if (!ev.altKey || ev.ctrlKey || ev.metaKey) return false;
    if (ev.code === SHORTCUTS.approve.key && blockers(s).approve === undefined) {
      this.actions.decide('approve');
      return true;
    }
    if (ev.code === SHORTCUTS.next.key && offerNext(s)) {
      this.actions.next();
      return true;
    }
    return false;
  }

  private renderResult(s: PageState): void {
    const r = s.lastResult;
    const el = this.resultEl;
    el.replaceChildren();
    el.className = 'result';
    if (!r) return;
    const d = describeOutcome(r);
    el.classList.add(d.ok ? 'ok' : 'bad');
    el.append(this.dom.icon(d.ok ? 'pass' : 'warning'), this.dom.text('span', ` ${d.text}`));
    if (d.files.length) el.appendChild(this.dom.fileList(d.files));
    el.appendChild(this.dom.text('span', ` (${formatTime(r.at)}, on ${shortSha(r.sha)})`, 'muted'));
  }
}
