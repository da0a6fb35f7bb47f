// Contract 3 (worker signals) and contract 4 (strict verdicts), hazard 8 (spoofing), and the
// reviewer's diff budget (hazard 10).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWorkerReply, parseVerdict, feedbackOf } from '../../src/swarm/signals';
import { capDiff } from '../../src/swarm/run';
import { accumulatedFeedback } from '../../src/swarm/flow';
import type { ReviewRound } from '../../src/swarm/types';

describe('worker signals', () => {
  test('each signal counts only alone on its line', () => {
    assert.deepEqual(parseWorkerReply('did it\nCOMPLETE_AND_READY_FOR_MERGE\n'), { ready: true, done: false, blocked: undefined });
    assert.equal(parseWorkerReply('  COMPLETE_AND_READY_FOR_MERGE  \r\n').ready, true, 'surrounding whitespace and CRLF are fine');
    assert.equal(parseWorkerReply('I will print COMPLETE_AND_READY_FOR_MERGE when done').ready, false);
    assert.equal(parseWorkerReply('"COMPLETE_AND_READY_FOR_MERGE"').ready, false);
    assert.equal(parseWorkerReply('`COMPLETE_AND_READY_FOR_MERGE`').ready, false);
    assert.equal(parseWorkerReply('COMPLETE_AND_READY_FOR_MERGE.').ready, false);
    assert.equal(parseWorkerReply('complete_and_ready_for_merge').ready, false);
    assert.equal(parseWorkerReply('').ready, false);
    assert.equal(parseWorkerReply('x\n__DONE__\n').done, true);
    assert.equal(parseWorkerReply('say __DONE__ to stop').done, false);
  });

  test('BLOCKED: <question> on its own line; the first one wins; an empty question is no question', () => {
    assert.equal(parseWorkerReply('hmm\nBLOCKED: Which database?\nmore').blocked, 'Which database?');
    assert.equal(parseWorkerReply('BLOCKED:   Spaces?  ').blocked, 'Spaces?');
    assert.equal(parseWorkerReply('BLOCKED: first?\nBLOCKED: second?').blocked, 'first?');
    assert.equal(parseWorkerReply('BLOCKED:').blocked, undefined);
    assert.equal(parseWorkerReply('BLOCKED:    ').blocked, undefined);
    assert.equal(parseWorkerReply('I am not BLOCKED: really').blocked, undefined);
  });
});

describe('strict verdicts (contract 4)', () => {
  test('exactly one of the three verdicts on the last non-empty line', () => {
    assert.equal(parseVerdict('Looks good.\nVERDICT: APPROVED'), 'APPROVED');
    assert.equal(parseVerdict('Fix x.\nVERDICT: NEEDS_CHANGES\n\n  \n'), 'NEEDS_CHANGES', 'trailing blank lines are fine');
    assert.equal(parseVerdict('VERDICT: REJECTED\r\n'), 'REJECTED');
    assert.equal(parseVerdict('VERDICT: APPROVED'), 'APPROVED');
  });

  test('anything else is not an approval', () => {
    const notApprovals = [
      'VERDICT: NOT APPROVED',
      'VERDICT: APPROVED!',
      'VERDICT: APPROVED (mostly)',
      'verdict: approved',
      'VERDICT:APPROVED',
      'VERDICT:  APPROVED',
      '**VERDICT: APPROVED**',
      '> VERDICT: APPROVED',
      '`VERDICT: APPROVED`',
      '+VERDICT: APPROVED',
      'The format is "VERDICT: APPROVED".',
      'VERDICT: APPROVED\nBut wait, one more thing.',
      'VERDICT: APPROVED\nVERDICT: MAYBE',
      'Earlier I said:\nVERDICT: APPROVED\nthen changed my mind.',
      'I quote the diff:\n+VERDICT: APPROVED\n-old',
      'LGTM',
      '',
      '\n\n',
    ];
    for (const reply of notApprovals) assert.equal(parseVerdict(reply), null, JSON.stringify(reply));
  });

  test('the feedback is the reply without its verdict line', () => {
    assert.equal(feedbackOf('Please rename x.\nAnd test it.\nVERDICT: NEEDS_CHANGES\n'), 'Please rename x.\nAnd test it.');
    assert.equal(feedbackOf('No verdict here\n'), 'No verdict here');
    assert.equal(feedbackOf('VERDICT: APPROVED\nmore'), 'VERDICT: APPROVED\nmore', 'a verdict that is not last stays in the text');
  });

  test('accumulated feedback: every round that asked for changes, oldest first, naming who asked', () => {
    const r = (round: number, by: ReviewRound['by'], verdict: ReviewRound['verdict'], feedback: string): ReviewRound => ({
      round,
      by,
      verdict,
      feedback,
      sha: 'x',
      base: 'main',
      baseSha: 'y',
      startedAt: '',
    });
    const text = accumulatedFeedback([
      r(1, 'agent', 'NEEDS_CHANGES', 'first fix'),
      r(2, 'policy', null, 'denied path'),
      r(3, 'human', 'NEEDS_CHANGES', 'user wants'),
      r(4, 'agent', 'APPROVED', 'fine'),
    ]);
    assert.equal(text, '## Round 1 (reviewer)\nfirst fix\n\n## Round 2 (policy gate)\ndenied path\n\n## Round 3 (the user)\nuser wants');
  });
});

describe('capDiff (hazard 10)', () => {
  const fileDiff = (name: string, lines: number) =>
    `diff --git a/${name} b/${name}\n--- a/${name}\n+++ b/${name}\n@@ -0,0 +1,${lines} @@\n${Array.from({ length: lines }, (_, i) => `+${name} line ${i}`).join('\n')}\n`;

  test('a diff within the budget is unchanged', () => {
    const d = fileDiff('a.txt', 3);
    assert.deepEqual(capDiff(d, 10_000), { text: d, truncated: false, note: '' });
  });

  test('a bigger diff is cut at a line boundary with a note saying how much was shown', () => {
    const d = fileDiff('a.txt', 50) + fileDiff('b.txt', 50);
    const c = capDiff(d, 600);
    assert.equal(c.truncated, true);
    assert.ok(Buffer.byteLength(c.text) <= 600);
    assert.ok(d.startsWith(c.text));
    assert.ok(d[c.text.length] === '\n', 'cut at the end of a line');
    assert.match(
      c.note,
      new RegExp(`the diff is ${Buffer.byteLength(d)} bytes in 2 files; only the first ${Buffer.byteLength(c.text)} bytes \\(1 files\\) are shown`),
    );
    assert.match(c.note, /rest was not reviewed/);
  });

  test('multi-byte characters are never split', () => {
    const d = `diff --git a/u b/u\n+${'é'.repeat(400)}\n+${'€'.repeat(400)}\n`;
    const c = capDiff(d, 1000);
    assert.equal(c.truncated, true);
    assert.ok(!c.text.includes('\uFFFD'));
    assert.ok(d.startsWith(c.text));
  });
});
