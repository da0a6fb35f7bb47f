// The decision key and the seals of approval.ts: one private key file outside every repository,
// refused when others can read it or it is a link; a decision file verifies only as signed, only
// once, only while recent; a round or a merge approval edited after the engine wrote it no longer
// verifies; approvability follows the reviewer's sealed verdict.

import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { decisionKeyPath, loadDecisionKey, scrubAgentEnv } from '../../src/swarm/decisionKey';
import {
  DECISION_MAX_AGE_MS,
  approvability,
  authorizeMerge,
  mergeAuthorized,
  roundIntact,
  sealRound,
  signDecision,
  verifyDecision,
} from '../../src/swarm/approval';
import type { ReviewRound, TaskRuntimeState } from '../../src/swarm/types';

// A home of this test's own: the key is created there, never in the user's.
process.env.HOME = mkdtempSync(join(tmpdir(), 'swarm-key-home-'));
process.on('exit', () => rmSync(process.env.HOME!, { recursive: true, force: true }));

beforeEach(() => rmSync(dirname(decisionKeyPath()), { recursive: true, force: true }));

const SHA = 'a'.repeat(40);
const round = (extra: Partial<ReviewRound> = {}): ReviewRound => ({
  round: 1,
  sha: SHA,
  base: 'main',
  baseSha: 'b'.repeat(40),
  by: 'agent',
  verdict: 'APPROVED',
  feedback: 'fine',
  startedAt: '2026-01-01T00:00:00Z',
  ...extra,
});

test('the key: one path under the home, created private (0600 in a 0700 folder), the same on every read', () => {
  assert.equal(decisionKeyPath(), join(homedir(), '.config', 'worktree-swarm', 'decision.key'));
  assert.ok(!existsSync(decisionKeyPath()));
  const k = loadDecisionKey();
  assert.equal(k.length, 32);
  assert.equal(statSync(decisionKeyPath()).mode & 0o777, 0o600);
  assert.equal(statSync(dirname(decisionKeyPath())).mode & 0o777, 0o700);
  assert.deepEqual(loadDecisionKey(), k);
});

test('the key: readable by others, a symlink, or not a key → a clear error naming the file', () => {
  loadDecisionKey();
  const file = decisionKeyPath();
  chmodSync(file, 0o644);
  assert.throws(
    () => loadDecisionKey(),
    (e: Error) => e.message.includes(file) && /chmod 600/.test(e.message),
  );
  chmodSync(file, 0o600);
  const other = join(dirname(file), 'elsewhere.key');
  writeFileSync(other, readFileSync(file), { mode: 0o600 });
  rmSync(file);
  symlinkSync(other, file);
  assert.throws(() => loadDecisionKey(), /regular file/);
  rmSync(file);
  writeFileSync(file, 'not a key\n', { mode: 0o600 });
  assert.throws(() => loadDecisionKey(), /64 hex digits/);
});

test("agents' environment: every SWARM_DECISION* variable is removed, nothing else", () => {
  const env = scrubAgentEnv({ PATH: '/bin', SWARM_DECISION_KEY: 'x', swarm_decision_key_file: '/k', SWARM_TASK_ID: 't' });
  assert.deepEqual(env, { PATH: '/bin', SWARM_TASK_ID: 't' });
});

test('decision files: verified only as signed, once, and while recent', () => {
  const d = signDecision({ taskId: 't-1', kind: 'request_changes', sha: SHA, text: 'rename it', by: 'cli' });
  for (const [field, value] of [
    ['kind', 'approve'],
    ['sha', 'c'.repeat(40)],
    ['taskId', 't-2'],
    ['text', 'ship it'],
    ['by', 'vscode'],
    ['at', new Date().toISOString()],
    ['nonce', 'f'.repeat(32)],
  ] as const) {
    const v = verifyDecision({ ...d, [field]: value });
    assert.equal(v.ok, false, `${field} changed`);
    assert.match((v as { why: string }).why, /not signed/);
  }
  assert.match((verifyDecision({ ...d, mac: undefined }) as { why: string }).why, /no mac/);
  assert.equal(verifyDecision('x').ok, false);
  const ok = verifyDecision(d);
  assert.ok(ok.ok);
  const again = verifyDecision(d);
  assert.equal(again.ok, false, 'applied at most once');
  assert.match((again as { why: string }).why, /replay/);
  const old = signDecision({ taskId: 't-1', kind: 'approve', sha: SHA });
  const late = verifyDecision(old, Date.parse(old.at) + DECISION_MAX_AGE_MS + 1);
  assert.equal(late.ok, false);
  assert.match((late as { why: string }).why, /outside the 10 minutes/);
  // A new key (the file removed): decisions signed with the old one are refused.
  const before = signDecision({ taskId: 't-1', kind: 'approve', sha: SHA });
  rmSync(decisionKeyPath());
  assert.equal(verifyDecision(before).ok, false);
});

test('rounds and merge approvals: any edit after sealing breaks them; an approval covers one task and one sha', () => {
  const r = sealRound('t-1', round());
  assert.ok(roundIntact('t-1', r));
  assert.ok(!roundIntact('t-2', r), 'another task');
  for (const edit of [
    { verdict: 'NEEDS_CHANGES' },
    { feedback: 'great' },
    { sha: 'c'.repeat(40) },
    { by: 'human' },
    { seal: undefined },
  ] as Partial<ReviewRound>[])
    assert.ok(!roundIntact('t-1', { ...r, ...edit }), JSON.stringify(edit));
  const st: TaskRuntimeState = { id: 't-1', status: 'awaiting_human', headSha: SHA, rounds: [], attempts: 0, updatedAt: '' };
  assert.equal(mergeAuthorized('t-1', st).ok, false);
  authorizeMerge('t-1', st, 'user', 'override', 'the reviewer is wrong');
  assert.ok(mergeAuthorized('t-1', st).ok);
  assert.equal(mergeAuthorized('t-2', st).ok, false, 'copied to another task');
  assert.equal(mergeAuthorized('t-1', { ...st, headSha: 'c'.repeat(40) }).ok, false, 'a new head');
  assert.equal(
    mergeAuthorized('t-1', { ...st, headSha: 'c'.repeat(40), approval: { ...st.approval!, sha: 'c'.repeat(40) } }).ok,
    false,
    'the sha edited in the approval',
  );
  assert.equal(mergeAuthorized('t-1', { ...st, approval: { ...st.approval!, decision: 'approve', reason: undefined } }).ok, false, 'the reason edited away');
});

test("approvability: the latest sealed reviewer verdict decides; the user's own approval of the same sha stands", () => {
  assert.equal(approvability('t-1', []).approvable, true);
  assert.equal(approvability('t-1', [sealRound('t-1', round())]).approvable, true);
  const nc = sealRound('t-1', round({ verdict: 'NEEDS_CHANGES' }));
  const a = approvability('t-1', [nc], SHA);
  assert.equal(a.approvable, false);
  assert.match(a.message!, /The reviewer said NEEDS_CHANGES in round 1 on aaaaaaaaaaaa[\s\S]*Override/);
  assert.equal(
    approvability('t-1', [sealRound('t-1', round({ by: 'policy', verdict: 'REJECTED' }))]).message?.startsWith('The policy gate said REJECTED'),
    true,
  );
  // An unsealed human approval (forged) does not count; a sealed override of this sha does.
  assert.equal(approvability('t-1', [nc, round({ round: 2, by: 'human', decision: 'approve' })], SHA).approvable, false);
  assert.equal(approvability('t-1', [nc, sealRound('t-1', round({ round: 2, by: 'human', decision: 'override', reason: 'x' }))], SHA).approvable, true);
  assert.equal(
    approvability('t-1', [nc, sealRound('t-1', round({ round: 2, by: 'human', decision: 'override', reason: 'x' }))], 'c'.repeat(40)).approvable,
    false,
    'not for another sha',
  );
  // The verdict edited to APPROVED: the seal no longer matches.
  const edited = { ...nc, verdict: 'APPROVED' as const };
  assert.match(approvability('t-1', [edited], SHA).message!, /changed outside the swarm/);
});
