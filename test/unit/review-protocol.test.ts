// The review panel's protocol guards, the diff header reader, the view model and the HTML shell:
// everything the host decides on before a message from the page can do anything.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureApprovability } from '../helpers/fake-swarm-workspace';
import {
  DecideRequest,
  DecidedResponse,
  FileDiffNotification,
  LoadFileCommand,
  OpenNativeDiffCommand,
  NextCommand,
  PROTOCOL_LIMITS,
  ReadyCommand,
  StateNotification,
  isPersistedReviewState,
  parseReviewCommand,
  parseReviewNotification,
} from '../../src/shared/reviewProtocol';
import { isActionOutcome, isReviewViewModel } from '../../src/shared/reviewViewModel';
import { countLines, readDiffFileHeader, splitDiffFiles, unquoteGitPath } from '../../src/shared/diffFiles';
import { buildReviewViewModel, latestAgentVerdict } from '../../src/shared/reviewModel';
import { buildReviewHtml, reviewCsp } from '../../src/shared/reviewHtml';
import type { ReviewDetails } from '../../src/swarm/api';
import type { ReviewRound, Task } from '../../src/swarm/types';

const SHA = 'a'.repeat(40);
const SHA2 = 'b'.repeat(40);

// A real `git diff base...head` (git 2.x): a mode change with edits, a deletion, a pure rename,
// a new file whose name git quotes, and a binary file.
const GIT_DIFF = [
  'diff --git a/bin.dat b/bin.dat',
  'index a9f4621..a79eb10 100644',
  'Binary files a/bin.dat and b/bin.dat differ',
  'diff --git a/f.txt b/f.txt',
  'old mode 100644',
  'new mode 100755',
  'index de98044..8c8a4b8',
  '--- a/f.txt',
  '+++ b/f.txt',
  '@@ -1,3 +1,4 @@',
  ' a',
  '-b',
  '+B',
  ' c',
  '+<script>alert(1)</script>',
  'diff --git a/gone.txt b/gone.txt',
  'deleted file mode 100644',
  'index abaddc0..0000000',
  '--- a/gone.txt',
  '+++ /dev/null',
  '@@ -1 +0,0 @@',
  '-del',
  'diff --git a/old.txt b/new.txt',
  'similarity index 100%',
  'rename from old.txt',
  'rename to new.txt',
  'diff --git "a/sp ace\\tx.txt" "b/sp ace\\tx.txt"',
  'new file mode 100644',
  'index 0000000..3e75765',
  '--- /dev/null',
  '+++ "b/sp ace\\tx.txt"\t',
  '@@ -0,0 +1 @@',
  '+new',
  '',
].join('\n');

function task(extra: Partial<Task> = {}): Task {
  return {
    id: 't-1',
    title: 'Add a flag',
    folder: 'current',
    status: 'awaiting_human',
    file: '/repo/tasks/current/t-1.md',
    body: 'Do it.',
    priority: 0,
    dependsOn: [],
    meta: {},
    ...extra,
  };
}

function round(n: number, extra: Partial<ReviewRound> = {}): ReviewRound {
  return {
    round: n,
    sha: SHA,
    base: 'main',
    baseSha: SHA2,
    by: 'agent',
    verdict: 'APPROVED',
    feedback: 'Looks fine.\n\nVERDICT: APPROVED',
    startedAt: '2026-11-23T09:00:00.000Z',
    finishedAt: '2026-11-23T09:01:00.000Z',
    durationMs: 60_000,
    ...extra,
  };
}

function details(extra: Partial<ReviewDetails> = {}): ReviewDetails {
  return {
    approvable: fixtureApprovability(extra.rounds ?? [round(1)]),
    task: task(),
    state: { id: 't-1', status: 'awaiting_human', workerId: 'w1', harness: 'codex', rounds: [], attempts: 1, updatedAt: '' },
    base: 'main',
    sha: SHA,
    baseSha: SHA2,
    diff: GIT_DIFF,
    rounds: [round(1)],
    canDecide: true,
    ...extra,
  };
}

// ---- commands (page → host) -------------------------------------------------------------------

test('valid commands pass their guard and parseReviewCommand', () => {
  const msgs = [
    ReadyCommand.create({}),
    DecideRequest.create({ id: 1, action: 'approve', sha: SHA }),
    DecideRequest.create({ id: 2, action: 'approve', sha: 'abcdef1' }),
    DecideRequest.create({ id: 3, action: 'override', sha: SHA, text: 'tests are flaky, not the change' }),
    DecideRequest.create({ id: 4, action: 'requestChanges', sha: SHA, text: 'Add a test' }),
    DecideRequest.create({ id: 5, action: 'requestChanges', sha: SHA, comments: [{ path: 'a.ts', line: 3, side: 'new', lineText: 'x()', body: 'why?' }] }),
    DecideRequest.create({ id: 6, action: 'reject', sha: SHA }),
    DecideRequest.create({ id: 7, action: 'reject', sha: SHA, text: 'wrong approach' }),
    NextCommand.create({}),
    OpenNativeDiffCommand.create({ path: 'src/a b.ts' }),
    LoadFileCommand.create({ path: 'x' }),
  ];
  for (const m of msgs) assert.ok(parseReviewCommand(m), JSON.stringify(m));
  // Survives the JSON round trip postMessage does.
  for (const m of msgs) assert.ok(parseReviewCommand(JSON.parse(JSON.stringify(m))));
});

test('commands with a bad sha, missing or extra fields, or wrong types are refused', () => {
  const bad: unknown[] = [
    undefined,
    null,
    'review/approve',
    [],
    { method: 'review/decide' },
    { method: 'review/decide', params: {} },
    { method: 'review/approve', params: { sha: SHA } }, // the old per-action commands are gone
    { method: 'review/decide', params: { id: 1, action: 'approve', sha: 'ABCDEF1234' } }, // uppercase is not how git prints it
    { method: 'review/decide', params: { id: 1, action: 'approve', sha: 'abc12' } }, // too short
    { method: 'review/decide', params: { id: 1, action: 'approve', sha: 'a'.repeat(65) } },
    { method: 'review/decide', params: { id: 1, action: 'approve', sha: `${SHA}\n` } },
    { method: 'review/decide', params: { id: 1, action: 'approve', sha: 'HEAD' } },
    { method: 'review/decide', params: { id: 1, action: 'approve', sha: 'main~1' } },
    { method: 'review/decide', params: { id: 1, action: 'approve', sha: SHA, force: true } }, // extra field
    { method: 'review/decide', params: { id: 1, action: 'approve', sha: SHA }, extra: 1 },
    { method: 'review/decide', params: { id: 1, action: 'approve', sha: 123 } },
    { method: 'review/merge', params: { sha: SHA } }, // unknown method
    { method: 'review/decide', params: { id: 1, action: 'override', sha: SHA } }, // no reason
    { method: 'review/decide', params: { id: 1, action: 'override', sha: SHA, text: '   \n ' } }, // blank reason
    { method: 'review/decide', params: { id: 1, action: 'override', sha: SHA, text: 'x'.repeat(PROTOCOL_LIMITS.decisionText + 1) } },
    { method: 'review/decide', params: { id: 1, action: 'requestChanges', sha: SHA, text: '' } }, // no text, no comments
    { method: 'review/decide', params: { id: 1, action: 'requestChanges', sha: SHA, comments: [] } },
    { method: 'review/decide', params: { id: 1, action: 'requestChanges', sha: SHA, reason: 'x' } },
    { method: 'review/decide', params: { id: 1, action: 'reject', sha: SHA, text: 5 } },
    { method: 'review/decide', params: { id: -1, action: 'approve', sha: SHA } },
    { method: 'review/decide', params: { id: 1, action: 'merge', sha: SHA } },
    // Line comments: only with Request changes, each with a path, a line ≥ 1, a side and a comment.
    { method: 'review/decide', params: { id: 1, action: 'approve', sha: SHA, comments: [{ path: 'a', line: 1, side: 'new', lineText: '', body: 'x' }] } },
    {
      method: 'review/decide',
      params: { id: 1, action: 'requestChanges', sha: SHA, comments: [{ path: 'a', line: 0, side: 'new', lineText: '', body: 'x' }] },
    },
    {
      method: 'review/decide',
      params: { id: 1, action: 'requestChanges', sha: SHA, comments: [{ path: 'a', line: 1, side: 'left', lineText: '', body: 'x' }] },
    },
    {
      method: 'review/decide',
      params: { id: 1, action: 'requestChanges', sha: SHA, comments: [{ path: 'a', line: 1, side: 'new', lineText: '', body: '  ' }] },
    },
    {
      method: 'review/decide',
      params: { id: 1, action: 'requestChanges', sha: SHA, comments: [{ path: 'a\u0000b', line: 1, side: 'new', lineText: '', body: 'x' }] },
    },
    {
      method: 'review/decide',
      params: { id: 1, action: 'requestChanges', sha: SHA, comments: [{ path: 'a', line: 1, side: 'new', lineText: '', body: 'x', html: '<b>' }] },
    },
    {
      method: 'review/decide',
      params: {
        id: 1,
        action: 'requestChanges',
        sha: SHA,
        comments: Array.from({ length: 201 }, () => ({ path: 'a', line: 1, side: 'new', lineText: '', body: 'x' })),
      },
    },
    { method: 'review/next', params: { taskId: 'other' } },
    { method: 'review/openNativeDiff', params: { path: '' } },
    { method: 'review/openNativeDiff', params: { path: 'a\u0000b' } },
    { method: 'review/openNativeDiff', params: { path: 'x'.repeat(PROTOCOL_LIMITS.path + 1) } },
    { method: 'review/loadFile', params: { path: ['a'] } },
    { method: 'review/ready', params: { now: true } },
    JSON.parse('{"method":"review/decide","params":{"id":1,"action":"approve","sha":"aaaaaaa","__proto__":{"x":1}}}'),
  ];
  for (const m of bad) assert.equal(parseReviewCommand(m), undefined, JSON.stringify(m));
  assert.equal(DecideRequest.is({ method: 'review/decide', params: { id: 1, action: 'approve', sha: 'HEAD' } }), false);
});

test('every command guard only accepts its own method', () => {
  const approve = DecideRequest.create({ id: 1, action: 'approve', sha: SHA });
  assert.equal(DecideRequest.is(approve), true);
  assert.equal(NextCommand.is(approve), false);
  assert.equal(LoadFileCommand.is(approve), false);
});

// ---- notifications (host → page) ---------------------------------------------------------------

test('the state built from ReviewDetails passes the page-side guard', () => {
  const { model } = buildReviewViewModel(details());
  assert.ok(isReviewViewModel(model));
  const msg = StateNotification.create({ model, waiting: 0 });
  assert.ok(parseReviewNotification(JSON.parse(JSON.stringify(msg))));
  assert.equal(StateNotification.is({ ...msg, params: { ...msg.params, waiting: 'no' } }), false);
  assert.equal(StateNotification.is({ ...msg, params: { ...msg.params, busy: false } }), false, 'the busy flag is gone');
  assert.equal(StateNotification.is({ ...msg, params: { ...msg.params, model: { ...model, sha: 'nope' } } }), false);
  assert.equal(StateNotification.is({ ...msg, params: { ...msg.params, model: { ...model, status: 'exploded' } } }), false);
  assert.equal(StateNotification.is({ ...msg, params: { ...msg.params, model: { ...model, html: '<b>' } } }), false);
});

test("the panel header gets the task's cost and budget in the state message (all rounds and reviews), and the guard checks it", () => {
  const base = details();
  const { model } = buildReviewViewModel({
    ...base,
    state: { ...base.state!, usage: { costUsd: 0.42, inputTokens: 12_345, outputTokens: 1900 }, budgetUsd: 1 },
  });
  assert.equal(model.cost, '$0.42 · 12.3k in / 1.9k out (budget $1.00)');
  const msg = StateNotification.create({ model, waiting: 0 });
  assert.ok(parseReviewNotification(JSON.parse(JSON.stringify(msg))));
  assert.equal(StateNotification.is({ ...msg, params: { ...msg.params, model: { ...model, cost: 42 } } }), false);
  assert.equal(buildReviewViewModel(details()).model.cost, undefined, 'nothing reported: no cost line');
});

test('action outcomes: every DecisionResult shape is accepted, malformed ones are not', () => {
  const good: unknown[] = [
    { ok: true, applied: 'merged', commit: SHA },
    { ok: true, applied: 'queued', detail: 'the running swarm will merge it' },
    { ok: true, applied: 'fix_requested' },
    { ok: true, applied: 'returned_to_pending' },
    { ok: true, applied: 'rejected' },
    { ok: false, reason: 'stale_sha', currentSha: SHA2 },
    { ok: false, reason: 'not_awaiting', detail: 'x' },
    { ok: false, reason: 'conflict', files: ['a.ts', 'b.ts'] },
    { ok: false, reason: 'waiting_local_changes', files: ['a.ts'] },
    { ok: false, reason: 'error', detail: 'boom' },
  ];
  for (const o of good) assert.ok(isActionOutcome(o), JSON.stringify(o));
  const bad: unknown[] = [
    { ok: true, applied: 'merged' },
    { ok: true, applied: 'merged', commit: 'HEAD' },
    { ok: true, applied: 'teleported' },
    { ok: false, reason: 'stale_sha' },
    { ok: false, reason: 'conflict', files: 'a.ts' },
    { ok: 'yes', applied: 'merged', commit: SHA },
  ];
  for (const o of bad) assert.equal(isActionOutcome(o), false, JSON.stringify(o));
  assert.equal(
    DecidedResponse.is({ method: 'review/decided', params: { result: { action: 'approve', sha: SHA, outcome: { ok: true, applied: 'rejected' }, at: '' } } }),
    false,
    'a response names its request',
  );
  const note = DecidedResponse.create({
    id: 3,
    result: { action: 'approve', sha: SHA, outcome: { ok: false, reason: 'stale_sha', currentSha: SHA2 }, at: new Date(0).toISOString() },
  });
  assert.ok(parseReviewNotification(note));
  assert.equal(FileDiffNotification.is({ method: 'review/fileDiff', params: { sha: 'zz', path: 'a', diff: '' } }), false);
});

test('persisted page state is validated before the serializer trusts it', () => {
  assert.ok(isPersistedReviewState({ taskId: 't-1', layout: 'split', expanded: { 'a.ts': true }, draft: '' }));
  assert.ok(isPersistedReviewState({ taskId: 't-1', root: '/repo', layout: 'unified', expanded: {}, draft: 'x' }));
  assert.equal(isPersistedReviewState({ taskId: '../x', layout: 'split', expanded: {}, draft: '' }), false);
  assert.equal(isPersistedReviewState({ taskId: 'T1', layout: 'split', expanded: {}, draft: '' }), false);
  assert.equal(isPersistedReviewState({ taskId: 't', layout: 'grid', expanded: {}, draft: '' }), false);
  assert.equal(isPersistedReviewState({ taskId: 't', layout: 'split', expanded: { a: 'yes' }, draft: '' }), false);
  assert.equal(isPersistedReviewState({ taskId: 't', layout: 'split', expanded: {}, draft: '', extra: 1 }), false);
  assert.equal(isPersistedReviewState(undefined), false);
});

// ---- diff headers -------------------------------------------------------------------------------

test('splitDiffFiles cuts at diff --git headers only, never inside hunks', () => {
  const chunks = splitDiffFiles(GIT_DIFF);
  assert.equal(chunks.length, 5);
  assert.equal(chunks.map((c) => c.text).join(''), GIT_DIFF);
  // A file whose content has a line "diff --git ..." shows up prefixed in the diff: not a header.
  const tricky = 'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -0,0 +1 @@\n+diff --git a/y b/y\n';
  assert.equal(splitDiffFiles(tricky).length, 1);
  assert.deepEqual(splitDiffFiles(''), []);
  assert.equal(countLines('a\nb\n'), 2);
  assert.equal(countLines('a\nb'), 2);
});

test('readDiffFileHeader: statuses, renames, binary, quoted names, counts', () => {
  const headers = splitDiffFiles(GIT_DIFF).map((c) => readDiffFileHeader(c.text));
  assert.deepEqual(headers, [
    { path: 'bin.dat', status: 'modified', binary: true, added: 0, removed: 0 },
    { path: 'f.txt', status: 'modified', binary: false, added: 2, removed: 1 },
    { path: 'gone.txt', status: 'deleted', binary: false, added: 0, removed: 1 },
    { path: 'new.txt', oldPath: 'old.txt', status: 'renamed', binary: false, added: 0, removed: 0 },
    { path: 'sp ace\tx.txt', status: 'added', binary: false, added: 1, removed: 0 },
  ]);
  // Hunk lines that look like headers ("--- x" is a removed "-- x") are counted as content.
  const h = readDiffFileHeader('diff --git a/m b/m\n--- a/m\n+++ b/m\n@@ -1,2 +1,2 @@\n--- x\n+++ y\n');
  assert.deepEqual([h.path, h.added, h.removed], ['m', 1, 1]);
  const mode = readDiffFileHeader('diff --git a/run.sh b/run.sh\nold mode 100644\nnew mode 100755\n');
  assert.equal(mode.status, 'mode');
});

test('unquoteGitPath undoes git C quoting, octal UTF-8 included', () => {
  assert.equal(unquoteGitPath('"a/\\303\\251t\\303\\251.txt"'), 'a/été.txt');
  assert.equal(unquoteGitPath('"say \\"hi\\"\\\\.md"'), 'say "hi"\\.md');
  assert.equal(unquoteGitPath('plain.txt'), 'plain.txt');
});

// ---- view model -------------------------------------------------------------------------------

test('view model: fields from ReviewDetails, totals, rounds, verdict', () => {
  const { model, fileDiffs } = buildReviewViewModel(details());
  assert.equal(model.taskId, 't-1');
  assert.equal(model.worker, 'w1');
  assert.equal(model.harness, 'codex');
  assert.equal(model.sha, SHA);
  assert.equal(model.baseSha, SHA2);
  assert.equal(model.files.length, 5);
  assert.equal(model.added, 3);
  assert.equal(model.removed, 2);
  assert.equal(model.rounds.length, 1);
  assert.equal(model.rounds[0].durationMs, 60_000);
  assert.equal(model.agentVerdict, 'APPROVED');
  assert.equal(model.canDecide, true);
  assert.equal(fileDiffs.size, 5);
  assert.ok(
    model.files.every((f) => f.diff !== undefined),
    'small files travel inline',
  );
});

test('view model: large files and long diffs are held back for loadFile', () => {
  const big = [
    'diff --git a/big.txt b/big.txt',
    '--- a/big.txt',
    '+++ b/big.txt',
    '@@ -0,0 +1,3000 @@',
    ...Array.from({ length: 3000 }, (_, i) => `+line ${i}`),
    '',
  ].join('\n');
  const { model, fileDiffs } = buildReviewViewModel(details({ diff: GIT_DIFF + big }), {
    lazyFileLines: 2000,
    inlineFiles: 3,
    inlineLines: 100_000,
    collapseLines: 400,
  });
  const bigFile = model.files.find((f) => f.path === 'big.txt')!;
  assert.equal(bigFile.diff, undefined);
  assert.equal(bigFile.added, 3000);
  assert.ok(fileDiffs.get('big.txt')!.includes('+line 2999'));
  // Only the first three files are inline (inlineFiles: 3).
  assert.deepEqual(
    model.files.map((f) => f.diff !== undefined),
    [true, true, true, false, false, false],
  );
});

test('view model: no commit means nothing to decide; the latest agent verdict and its commit', () => {
  assert.equal(buildReviewViewModel(details({ sha: undefined, diff: '' })).model.canDecide, false);
  const rounds = [round(1, { verdict: 'APPROVED', sha: SHA2 }), round(2, { verdict: 'NEEDS_CHANGES', sha: SHA })];
  assert.deepEqual(latestAgentVerdict(rounds), { verdict: 'NEEDS_CHANGES', sha: SHA });
  assert.deepEqual(
    latestAgentVerdict([...rounds, round(3, { by: 'human', verdict: 'APPROVED' })]),
    { verdict: 'NEEDS_CHANGES', sha: SHA },
    'human rounds are not the agent',
  );
  assert.deepEqual(latestAgentVerdict([]), { verdict: null });
  // The branch moved after the verdict: the verdict still counts, and the model says on which commit.
  const { model } = buildReviewViewModel(
    details({ sha: 'c'.repeat(40), rounds, state: { id: 't-1', status: 'awaiting_human', headSha: SHA, rounds: [], attempts: 1, updatedAt: '' } }),
  );
  assert.equal(model.agentVerdict, 'NEEDS_CHANGES');
  assert.equal(model.agentVerdictSha, SHA);
  assert.equal(model.reviewedSha, SHA);
  assert.equal(model.sha, 'c'.repeat(40));
});

test("view model: approvable is the engine's answer (ReviewDetails.approvable), with its reason; a needs_override result passes the guard", () => {
  const yes = buildReviewViewModel(details()).model;
  assert.equal(yes.approvable, true);
  assert.equal(yes.approveBlocked, undefined);
  const why = 'The reviewer said REJECTED in round 1. A plain Approve does not merge it: use Override… and give a reason.';
  const no = buildReviewViewModel(details({ approvable: { approvable: false, verdict: 'REJECTED', message: why } })).model;
  assert.equal(no.approvable, false);
  assert.equal(no.approveBlocked, why);
  assert.equal(isReviewViewModel(no), true);
  assert.equal(isReviewViewModel({ ...no, approvable: 'yes' }), false);
  assert.equal(isActionOutcome({ ok: false, reason: 'needs_override', detail: why }), true);
  assert.equal(isActionOutcome({ ok: false, reason: 'needs_override', detail: why, extra: 1 }), false);
});

test('view model: oversize text is cut with a flag, bad shas are dropped, not passed on', () => {
  const long = 'x'.repeat(PROTOCOL_LIMITS.markdown + 10);
  const { model } = buildReviewViewModel(details({ task: task({ body: long }), rounds: [round(1, { feedback: long, sha: 'not-a-sha' })] }));
  assert.equal(model.bodyTruncated, true);
  assert.equal(model.rounds[0].feedbackTruncated, true);
  assert.equal(model.rounds[0].sha, undefined);
  assert.ok(isReviewViewModel(model));
});

// ---- HTML shell -------------------------------------------------------------------------------

test('HTML shell: nonce-only scripts, no unsafe-inline or eval, resources from cspSource only', () => {
  const csp = reviewCsp('https://file+.vscode-resource.vscode-cdn.net', 'N0nce+/=');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-N0nce\+\/='(;|$)/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  const html = buildReviewHtml({
    cspSource: 'vscode-src',
    nonce: 'abc',
    scriptUri: 'vscode-src/dist/webview.js',
    styleUri: 'vscode-src/media/review.css',
    codiconUri: 'vscode-src/dist/codicon.css',
    taskId: 't-1',
    root: '/repo/"><script>x</script>',
  });
  const scripts = html.match(/<script\b[^>]*>/g) ?? [];
  assert.equal(scripts.length, 1);
  assert.match(scripts[0], /nonce="abc"/);
  assert.match(scripts[0], /src="vscode-src\/dist\/webview.js"/);
  assert.ok(!html.includes('"><script>x'), 'attribute values are escaped');
  assert.match(html, /id="vscode-codicon-stylesheet"/);
});

test("view model: a failed merge check shows its output's tail; a passed one shows nothing; a malformed one fails the guard", () => {
  const st = (ok: boolean) => ({
    id: 't-1',
    status: 'blocked' as const,
    rounds: [],
    attempts: 1,
    updatedAt: '',
    mergeCheck: { sha: SHA, ok, exitCode: 1, timedOut: false, durationMs: 5, batch: ['t-1'], tail: 'CHECK FAILED: b.js: lib.greet is not defined', at: '' },
  });
  const failed = buildReviewViewModel(details({ state: st(false) })).model;
  assert.deepEqual(failed.mergeCheck, { sha: SHA, timedOut: false, exitCode: 1, tail: 'CHECK FAILED: b.js: lib.greet is not defined' });
  assert.ok(isReviewViewModel(failed));
  assert.equal(buildReviewViewModel(details({ state: st(true) })).model.mergeCheck, undefined);
  assert.equal(isReviewViewModel({ ...failed, mergeCheck: { ...failed.mergeCheck, tail: 5 } }), false);
  assert.equal(isReviewViewModel({ ...failed, mergeCheck: { ...failed.mergeCheck, extra: 1 } }), false);
});
