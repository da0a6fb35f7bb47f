// The review rounds of a task, oldest first: who judged which commit, the verdict, the decision
// and its reason, the feedback (markdown from agents, rendered as text-only DOM).

import { describeDenials } from '../../swarm/sandboxDenials';
import type { ReviewRoundView, ReviewViewModel } from '../../shared/reviewViewModel';
import { DECISION_LABELS, VERDICT_UI, formatDuration, formatTime, shortSha } from '../format';
import { renderMarkdown } from '../markdown';
import type { Dom } from '../dom';

export function renderRounds(dom: Dom, into: HTMLElement, m: ReviewViewModel): void {
  into.replaceChildren(dom.text('h2', m.rounds.length ? `Review rounds (${m.rounds.length})` : 'Review rounds'));
  if (m.rounds.length === 0) {
    into.appendChild(dom.text('p', 'No review yet.', 'muted'));
    return;
  }
  const list = dom.el('ol', 'round-list');
  m.rounds.forEach((r, i) => list.appendChild(roundItem(dom, r, m.rounds[i + 1])));
  into.appendChild(list);
}

function roundItem(dom: Dom, r: ReviewRoundView, next: ReviewRoundView | undefined): HTMLElement {
  const li = dom.el('li', 'round');
  const head = dom.el('div', 'round-head');
  const v = VERDICT_UI[r.verdict ?? 'none'];
  const verdict = dom.el('span', `verdict ${v.cls}`);
  verdict.append(dom.icon(v.icon), dom.doc.createTextNode(` ${v.text}`));
  head.append(
    dom.text('strong', `Round ${r.round}`),
    verdict,
    dom.text('span', r.by === 'agent' ? 'reviewer agent' : r.by === 'policy' ? 'policy gate' : 'you', 'by'),
  );
  if (r.sha) head.appendChild(dom.text('span', shortSha(r.sha), 'mono sha'));
  const when = [formatTime(r.startedAt), formatDuration(r.durationMs)].filter(Boolean).join(' · ');
  if (when) head.appendChild(dom.text('span', when, 'muted when'));
  li.appendChild(head);

  if (r.decision) {
    const d = dom.el('div', 'decision');
    d.appendChild(dom.text('p', `Decision: ${DECISION_LABELS[r.decision] ?? r.decision}${r.reason ? ' —' : ''}`));
    if (r.reason) d.appendChild(renderMarkdown(dom.doc, r.reason));
    li.appendChild(d);
  }
  if (r.violations.length > 0) {
    li.appendChild(dom.text('p', 'Policy violations:', 'warn'));
    li.appendChild(dom.fileList(r.violations));
  }
  if (r.sandboxDenied) li.appendChild(dom.text('p', describeDenials(r.sandboxDenied), 'warn sandbox-denied'));
  if (r.diffTruncated) li.appendChild(dom.text('p', 'The reviewer saw a truncated diff (over its budget); the panel shows all of it.', 'muted'));
  // A decision's round keeps its text as feedback too (for fix-round prompts); shown once, above.
  const restatesReason = !!r.decision && !!r.reason && [r.reason.trim(), `Override: ${r.reason.trim()}`].includes(r.feedback.trim());
  if (r.feedback.trim() && !restatesReason) {
    const fb = renderMarkdown(dom.doc, r.feedback);
    fb.classList.add('feedback');
    li.appendChild(fb);
    if (r.feedbackTruncated) li.appendChild(dom.text('p', 'Feedback cut for display.', 'muted'));
  }
  const askedForFix = r.verdict === 'NEEDS_CHANGES' || r.decision === 'request_changes';
  if (askedForFix && next?.sha && next.sha !== r.sha) {
    li.appendChild(dom.text('p', `The fix that followed: commit ${shortSha(next.sha)}, reviewed in round ${next.round}.`, 'fix'));
  }
  return li;
}
