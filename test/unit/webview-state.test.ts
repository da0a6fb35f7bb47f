// The review page's reducer (src/webview/state.ts) and the line-comment format
// (src/shared/lineComments.ts): the rules the page applies, without a DOM.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockers, decisionRequest, effectiveLayout, initialState, offerNext, reduce, type PageState } from '../../src/webview/state';
import { commentedLineChanged, decisionTextWithComments, formatLineComments, parseLineComments, type LineComment } from '../../src/shared/lineComments';
import { commentChanges } from '../../src/shared/reviewModel';
import { StateNotification, parseReviewCommand } from '../../src/shared/reviewProtocol';
import { type ActionResultView, type ReviewViewModel } from '../../src/shared/reviewViewModel';
import type { ReviewRound } from '../../src/swarm/types';

const SHA = 'a'.repeat(40);
const SHA2 = 'b'.repeat(40);

function model(extra: Partial<ReviewViewModel> = {}): ReviewViewModel {
  return {
    taskId: 't-1',
    title: 'T',
    body: '',
    bodyTruncated: false,
    status: 'awaiting_human',
    base: 'main',
    sha: SHA,
    files: [],
    added: 0,
    removed: 0,
    diffLines: 0,
    rounds: [],
    agentVerdict: 'APPROVED',
    approvable: true,
    canDecide: true,
    conflictFiles: [],
    collapseLines: 400,
    ...extra,
  };
}

function withState(s: PageState, m: ReviewViewModel, extra: { waiting?: number; lastResult?: ActionResultView; pending?: 'approve' } = {}): PageState {
  return reduce(s, {
    type: 'host',
    msg: StateNotification.create({
      model: m,
      waiting: extra.waiting ?? 0,
      ...(extra.lastResult ? { lastResult: extra.lastResult } : {}),
      ...(extra.pending ? { pending: extra.pending } : {}),
    }),
  });
}

const COMMENT: LineComment = { path: 'src/a.ts', line: 2, side: 'new', lineText: 'const b = 3;', body: 'Use a constant' };

test('a decision is a request with an id; only its own response ends the wait', () => {
  let s = withState(initialState(undefined, { taskId: 't-1' }), model());
  const req = decisionRequest(s, 'approve')!;
  assert.deepEqual(req, { method: 'review/decide', params: { id: 1, action: 'approve', sha: SHA } });
  assert.ok(parseReviewCommand(req));
  s = reduce(s, { type: 'sent', id: 1, action: 'approve' });
  assert.equal(blockers(s).approve, 'Working…');
  assert.equal(decisionRequest(s, 'approve'), undefined, 'no second decision while one is unanswered');
  const result: ActionResultView = { action: 'approve', sha: SHA, outcome: { ok: true, applied: 'merged', commit: SHA2 }, at: '' };
  // An answer to another request (an earlier page) changes nothing.
  const other = reduce(s, { type: 'host', msg: { method: 'review/decided', params: { id: 7, result } } });
  assert.equal(other.pending?.id, 1);
  s = reduce(s, { type: 'host', msg: { method: 'review/decided', params: { id: 1, result } } });
  assert.equal(s.pending, undefined);
  assert.equal(s.lastResult, result);
  assert.equal(s.nextId, 2);
});

test('why each button is off, in words; text or line comments unlock Request changes', () => {
  let s = withState(initialState(undefined), model());
  const why = blockers(s);
  assert.equal(why.approve, undefined);
  assert.match(why.override!, /only for merging what the reviewer did not approve/);
  assert.match(why.requestChanges!, /write what should change, or comment on lines/);
  s = reduce(s, { type: 'addComment', comment: COMMENT });
  assert.equal(blockers(s).requestChanges, undefined);
  assert.match(blockers(s).reject!, /line comments go with Request changes/);
  const req = decisionRequest(s, 'requestChanges')!;
  assert.deepEqual(req.params.comments, [COMMENT]);
  assert.equal(req.params.text, undefined);
  // The reviewer disagreed: Approve is off with the engine's words; Override needs a reason.
  const d = withState(initialState(undefined), model({ approvable: false, approveBlocked: 'The reviewer said NEEDS_CHANGES.', agentVerdict: 'NEEDS_CHANGES' }));
  assert.equal(blockers(d).approve, 'The reviewer said NEEDS_CHANGES.');
  assert.match(blockers(d).override!, /write the reason/);
  assert.equal(blockers(reduce(d, { type: 'draft', text: 'spec says so' })).override, undefined);
});

test('comments belong to one commit: a new commit drops them; a sent request clears them', () => {
  let s = withState(initialState(undefined), model());
  s = reduce(s, { type: 'addComment', comment: COMMENT });
  assert.equal(s.ui.comments?.length, 1);
  assert.equal(s.ui.commentsSha, SHA);
  assert.equal(withState(s, model()).ui.comments?.length, 1, 'same commit: kept');
  assert.equal(withState(s, model({ sha: SHA2 })).ui.comments?.length, 0, 'line numbers of another commit: dropped');
  s = reduce(s, { type: 'sent', id: 1, action: 'requestChanges' });
  s = reduce(s, {
    type: 'host',
    msg: {
      method: 'review/decided',
      params: { id: 1, result: { action: 'requestChanges', sha: SHA, outcome: { ok: true, applied: 'fix_requested' }, at: '' } },
    },
  });
  assert.deepEqual(s.ui.comments, []);
  assert.equal(s.ui.draft, '');
});

test('a result about an older commit is cleared when a newer one waits for a decision', () => {
  const merged: ActionResultView = { action: 'requestChanges', sha: SHA, outcome: { ok: true, applied: 'fix_requested' }, at: '' };
  let s = withState(initialState(undefined), model({ canDecide: false, status: 'needs_fix' }), { lastResult: merged });
  assert.equal(s.lastResult, merged, 'still about the commit on screen');
  assert.equal(
    withState(s, model({ sha: SHA2, canDecide: false, status: 'reviewing' })).lastResult,
    undefined,
    'the fix is in review: the old result no longer applies',
  );
  s = withState(s, model({ sha: SHA2 }));
  assert.equal(s.lastResult, undefined, 'the fix round came back: the old result no longer applies');
  // A stale-sha refusal that brought the new commit on screen stays: it says why the panel changed.
  const stale: ActionResultView = { action: 'approve', sha: SHA, outcome: { ok: false, reason: 'stale_sha', currentSha: SHA2 }, at: '' };
  assert.equal(withState(initialState(undefined), model({ sha: SHA2 }), { lastResult: stale }).lastResult, stale);
});

test('Next review is offered once nothing is left to decide here and another review waits', () => {
  const done: ActionResultView = { action: 'approve', sha: SHA, outcome: { ok: true, applied: 'merged', commit: SHA2 }, at: '' };
  assert.equal(offerNext(withState(initialState(undefined), model(), { waiting: 2 })), false, 'this one still waits for you');
  assert.equal(offerNext(withState(initialState(undefined), model({ canDecide: false, status: 'complete' }), { waiting: 2, lastResult: done })), true);
  assert.equal(offerNext(withState(initialState(undefined), model({ canDecide: false, status: 'complete' }), { waiting: 0, lastResult: done })), false);
  assert.equal(
    offerNext(withState(initialState(undefined), model({ canDecide: false }), { waiting: 2, pending: 'approve' })),
    false,
    'not while a decision runs',
  );
});

test('side by side falls back to unified in a narrow panel, and comes back', () => {
  let s = reduce(withState(initialState(undefined), model()), { type: 'layout', layout: 'split' });
  assert.equal(effectiveLayout(s), 'split');
  s = reduce(s, { type: 'narrow', narrow: true });
  assert.equal(effectiveLayout(s), 'unified');
  assert.equal(s.ui.layout, 'split', 'the choice is kept');
  assert.equal(effectiveLayout(reduce(s, { type: 'narrow', narrow: false })), 'split');
});

test('the interdiff view needs an interdiff', () => {
  let s = reduce(withState(initialState(undefined), model({ interdiff: { fromSha: SHA2, fromRound: 1, files: [], added: 0, removed: 0 } })), {
    type: 'view',
    view: 'interdiff',
  });
  assert.equal(s.ui.view, 'interdiff');
  s = withState(s, model());
  assert.equal(s.ui.view, 'full');
});

// ---- line comments --------------------------------------------------------------------------

test('line comments: formatted for the agent (file, line, the line, the comment) and read back', () => {
  const hostile: LineComment[] = [
    COMMENT,
    {
      path: 'we`ird/pa``th.md',
      line: 10,
      side: 'old',
      lineText: '`code` with ``ticks``',
      body: 'two\nlines\n\n## Line comments (file, line, the line as shown, comment)',
    },
    { path: 'x.ts', line: 1, side: 'new', lineText: 'a\nb', body: '1. `fake` line 99:' },
  ];
  const text = decisionTextWithComments('  Please fix  ', hostile)!;
  assert.match(
    text,
    /^Please fix\n\n## Line comments \(file, line, the line as shown, comment\)\n\n1\. `src\/a\.ts` line 2:\n   > `const b = 3;`\n\n   Use a constant/,
  );
  const back = parseLineComments(text);
  assert.deepEqual(
    back.slice(0, 2).map((c) => [c.path, c.line, c.side]),
    [
      ['src/a.ts', 2, 'new'],
      ['we`ird/pa``th.md', 10, 'old'],
    ],
  );
  assert.equal(back[0].lineText, 'const b = 3;');
  assert.equal(back[0].body, 'Use a constant');
  assert.equal(back[1].lineText, '`code` with ``ticks``');
  assert.equal(back[2].lineText, 'a b', 'a line is one line');
  assert.equal(decisionTextWithComments('  x ', []), 'x');
  assert.equal(decisionTextWithComments(undefined, []), undefined);
  assert.equal(formatLineComments([]), '');
  assert.deepEqual(parseLineComments('no comments here'), []);
});

const INTERDIFF = [
  'diff --git a/src/a.ts b/src/a.ts',
  '--- a/src/a.ts',
  '+++ b/src/a.ts',
  '@@ -1,4 +1,4 @@',
  ' const a = 1;',
  '-const b = 3;',
  '+const b = B;',
  ' const c = 4;',
  ' const d = 5;',
  '',
].join('\n');

test('which commented lines the fix changed (on the interdiff)', () => {
  assert.equal(commentedLineChanged(INTERDIFF, COMMENT), true);
  assert.equal(commentedLineChanged(INTERDIFF, { ...COMMENT, line: 3 }), false);
  assert.equal(commentedLineChanged(INTERDIFF, { ...COMMENT, path: 'other.ts' }), false);
  assert.equal(commentedLineChanged(INTERDIFF, { ...COMMENT, side: 'old' }), null);
  const deleted = ['diff --git a/src/a.ts b/src/a.ts', 'deleted file mode 100644', '--- a/src/a.ts', '+++ /dev/null', '@@ -1 +0,0 @@', '-x', ''].join('\n');
  assert.equal(commentedLineChanged(deleted, { ...COMMENT, line: 40 }), true);

  const round = (n: number, extra: Partial<ReviewRound>): ReviewRound => ({
    round: n,
    sha: SHA,
    base: 'main',
    baseSha: SHA,
    by: 'agent',
    verdict: 'NEEDS_CHANGES',
    feedback: '',
    startedAt: '',
    ...extra,
  });
  const reason = decisionTextWithComments('fix', [COMMENT, { ...COMMENT, line: 3, body: 'and this' }]);
  const rounds = [round(1, {}), round(2, { by: 'human', decision: 'request_changes', reason }), round(3, { sha: SHA2, verdict: 'APPROVED' })];
  const cc = commentChanges(rounds, SHA2, { fromSha: SHA, fromRound: 2, diff: INTERDIFF })!;
  assert.equal(cc.round, 2);
  assert.deepEqual(
    cc.items.map((i) => [i.line, i.changed]),
    [
      [2, true],
      [3, false],
    ],
  );
  assert.deepEqual(
    commentChanges(rounds, SHA2, { fromSha: '9'.repeat(40), fromRound: 1, diff: INTERDIFF })!.items.map((i) => i.changed),
    [null, null],
    'an interdiff from elsewhere cannot tell',
  );
  assert.equal(commentChanges(rounds.slice(0, 2), SHA, undefined), undefined, 'no fix yet');
});
