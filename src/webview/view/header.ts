// The top of the review page, kept compact so the diff shows without scrolling: the title with its
// status, one line of facts (task, worker, agent, commit, base), then what needs attention
// (conflicts, the agent's question, the last error, commented lines the fix changed). The task
// description is rendered by `renderDescription`, below the diff.

import { STATUS } from '../../swarm/status';
import type { ReviewViewModel } from '../../shared/reviewViewModel';
import { moved, shortSha } from '../format';
import { renderMarkdown } from '../markdown';
import type { Dom } from '../dom';
import { describeDenials } from '../../swarm/sandboxDenials';

export function renderHeader(dom: Dom, into: HTMLElement, m: ReviewViewModel): void {
  into.replaceChildren();
  const titleRow = dom.el('div', 'title-row');
  const status = dom.doc.createElement('vscode-badge');
  status.className = `status status-${m.status}`;
  status.textContent = STATUS[m.status].heading;
  titleRow.append(dom.text('h1', m.title), status);

  // One wrapping line of facts (a <dl> of term/value pairs laid out inline).
  const meta = dom.el('dl', 'meta');
  const add = (term: string, value: string | undefined, cls?: string) => {
    if (!value) return;
    const item = dom.el('div', 'meta-item');
    item.append(dom.text('dt', term), dom.text('dd', value, cls));
    meta.appendChild(item);
  };
  add('Task', m.taskId, 'mono');
  add('Worker', m.worker);
  add('Agent', [m.harness, m.model].filter(Boolean).join(' · ') || undefined);
  add('Cost', m.cost);
  add('Commit', m.sha ? shortSha(m.sha) : 'no commit yet', 'mono');
  if (m.sha) meta.lastElementChild?.setAttribute('title', m.sha);
  if (moved(m)) add('Reviewed', `${shortSha(m.reviewedSha)} — the branch moved since`, 'mono warn');
  add('Against', m.base ? `${m.base}${m.baseSha ? ` at ${shortSha(m.baseSha)}` : ''}` : undefined, 'mono');
  add('Merged as', m.mergedCommit ? shortSha(m.mergedCommit) : undefined, 'mono');
  into.append(titleRow, meta);

  if (m.conflictFiles.length > 0) {
    const c = dom.el('div', 'callout warn');
    c.append(dom.text('p', 'The last merge attempt conflicted in:'), dom.fileList(m.conflictFiles));
    into.appendChild(c);
  }
  if (m.question) {
    const c = dom.el('div', 'callout warn');
    // A task that failed its attempts is not a question (issue 15): its own words, and Retry is in the tree.
    c.append(
      dom.text('p', m.failed ? 'The task failed — every attempt was used. Why:' : m.answer ? 'The agent asked (answered):' : 'The agent asks:'),
      renderMarkdown(dom.doc, m.question),
    );
    if (m.answer) c.append(dom.text('p', 'Your answer:'), renderMarkdown(dom.doc, m.answer));
    into.appendChild(c);
  }
  if (m.mergeCheck) {
    const c = dom.el('div', 'callout bad');
    c.append(
      dom.text(
        'p',
        `The merge check ${m.mergeCheck.timedOut ? 'timed out' : `failed (exit ${m.mergeCheck.exitCode ?? '?'})`} on the merge result ${shortSha(m.mergeCheck.sha)}; the base was not moved. Its output ended with:`,
      ),
      dom.text('pre', m.mergeCheck.tail),
    );
    into.appendChild(c);
  }
  if (m.lastError) {
    const c = dom.el('div', 'callout bad');
    c.append(dom.text('p', 'Last error:'), dom.text('pre', m.lastError));
    into.appendChild(c);
  }
  if (m.sandboxDenied) {
    // What the agent tried and the sandbox refused (issue 13): the reviewer should know.
    const c = dom.el('div', 'callout warn sandbox-denied');
    c.setAttribute('role', 'note');
    const p = dom.el('p');
    p.append(dom.icon('shield'), ` ${describeDenials(m.sandboxDenied)}`);
    c.appendChild(p);
    c.setAttribute('title', m.sandboxDenied.sample.join('\n'));
    into.appendChild(c);
  }
  if (m.commentChanges) {
    const cc = m.commentChanges;
    const c = dom.el('div', 'callout comment-changes');
    c.appendChild(dom.text('p', `Your line comments from round ${cc.round} (on ${shortSha(cc.sha)}) — did the fix change the line?`));
    const ul = dom.el('ul', 'paths');
    for (const item of cc.items) {
      const li = dom.el('li', `comment-change ${item.changed === true ? 'changed' : item.changed === false ? 'unchanged' : 'unknown'}`);
      const verdict = item.changed === true ? 'changed' : item.changed === false ? 'not changed' : 'cannot tell';
      li.append(
        dom.text('strong', `${verdict}: `),
        dom.path('span', item.path, 'mono'),
        ` ${item.side === 'old' ? 'removed line' : 'line'} ${item.line} — `,
        dom.text('span', item.body),
      );
      ul.appendChild(li);
    }
    c.appendChild(ul);
    into.appendChild(c);
  }
}

/** The task's description, collapsible; `open` keeps the user's choice across re-renders. */
export function renderDescription(dom: Dom, into: HTMLElement, m: ReviewViewModel, open: { value: boolean }): void {
  into.replaceChildren();
  if (!m.body.trim()) return;
  const details = dom.doc.createElement('vscode-collapsible');
  details.className = 'task-body';
  details.setAttribute('heading', 'Task description');
  details.toggleAttribute('open', open.value);
  details.addEventListener('vsc-collapsible-toggle', (ev) => {
    open.value = (ev as CustomEvent<{ open?: unknown }>).detail?.open === true;
  });
  details.appendChild(renderMarkdown(dom.doc, m.body));
  if (m.bodyTruncated) details.appendChild(dom.text('p', 'The description was cut for display.', 'muted'));
  into.appendChild(details);
}
