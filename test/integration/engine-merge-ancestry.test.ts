// Red team (docs/security.md "What merges is what was reviewed", history): an agent grafts another
// task's unmerged branch into its own history with `git merge -s ours` — its tree keeps none of that
// work, so the reviewed diff (against the base at review time) shows only its own file. Real git,
// real processes, the default sandbox (bubblewrap where it works: the other branch and its objects
// are readable from a turn). Two ways the graft made the other task's work be lost silently:
//   - the other task merges first: the queue's 3-way merge of the grafted branch took the other
//     task's head as merge base, so the base lost that task's file (a change nobody reviewed);
//   - the grafted branch merges first: the other task's head was then an ancestor of the base, and
//     the queue called it "already merged" — completed, its content never on the base.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newRepo, runSwarm, type TestRepo } from '../helpers/repo';
import { openWorkspace } from '../../src/swarm/workspace';

const AGENT = String.raw`'use strict';
const cp = require('child_process'); const fs = require('fs');
try { fs.readFileSync(0); } catch {}
const sh = (...a) => cp.execFileSync('git', a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const ID = ['-c', 'user.name=Agent', '-c', 'user.email=agent@example.com'];
const task = process.env.SWARM_TASK_ID;
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
if (task === 'feature') {
  fs.writeFileSync('feature.txt', 'the feature\n');
  fs.appendFileSync('shared.txt', 'line 4 of the feature\n');
  sh('add', '-A'); sh(...ID, 'commit', '-q', '-m', 'feature');
} else {
  // Wait until the other task's commit is in the shared store (imported after its turn), then graft it.
  let other;
  for (const end = Date.now() + 40000; Date.now() < end && !other; sleep(100)) {
    const ref = sh('for-each-ref', '--format=%(refname)', 'refs/heads/swarm/').split('\n').find((r) => r.endsWith('/feature'));
    if (ref && cp.spawnSync('git', ['cat-file', '-e', ref + ':feature.txt']).status === 0) other = sh('rev-parse', ref);
  }
  if (!other) { console.log('no feature branch'); process.exit(1); }
  sh(...ID, 'merge', '-q', '-s', 'ours', '--no-edit', other);
  fs.writeFileSync('hostile.txt', 'an innocent-looking change\n');
  sh('add', '-A'); sh(...ID, 'commit', '-q', '-m', 'hostile');
}
console.log('COMPLETE_AND_READY_FOR_MERGE');
`;

/** Two workers; `feature` and `hostile` (which grafts feature's branch) both left for the user's review. */
async function setUp(): Promise<{ repo: TestRepo; ws: Awaited<ReturnType<typeof openWorkspace>>; sha: Record<string, string> }> {
  const repo = newRepo();
  const agent = repo.script('graft.cjs', AGENT);
  repo.writeConfig({
    workers: [{ role: 'worker', harness: 'graft', count: 2, iterations: 1 }],
    review: { mode: 'human' },
    harnesses: { graft: { command: [process.execPath, agent], timeout_s: 60 } },
  });
  repo.writeTask('feature');
  repo.writeTask('hostile');
  const { summary } = await runSwarm(repo.root, { timeoutMs: 80_000 });
  assert.deepEqual(summary.merged, [], summary.reason);
  const ws = await openWorkspace({ repo: repo.root });
  const sha: Record<string, string> = {};
  for (const id of ['feature', 'hostile']) {
    const d = await ws.reviewDetails(id);
    assert.ok(d.sha, `${id} waits for review: ${JSON.stringify(repo.state(id)?.status)}`);
    sha[id] = d.sha;
    if (id === 'hostile') {
      // What the user reviews: only its own file — nothing about feature.txt or shared.txt.
      assert.match(d.diff, /hostile\.txt/);
      assert.doesNotMatch(d.diff, /feature|shared\.txt/, d.diff);
    }
  }
  assert.equal(repo.git('merge-base', '--is-ancestor', sha.feature, sha.hostile), '', "feature's head is in the hostile branch's history");
  return { repo, ws, sha };
}

function assertBothOnBase(repo: TestRepo): void {
  assert.equal(repo.show('main', 'feature.txt'), 'the feature\n', "the other task's new file is on the base");
  assert.match(repo.show('main', 'shared.txt') ?? '', /line 4 of the feature/, "the other task's edit is on the base");
  assert.equal(repo.show('main', 'hostile.txt'), 'an innocent-looking change\n', 'the reviewed change merged too');
  assert.equal(repo.read('feature.txt'), 'the feature\n', "the user's checkout has it");
}

describe("a branch that grafts another task's unmerged head into its history", { timeout: 300_000 }, () => {
  test("merged after that task: the base keeps that task's work (the merge applies the reviewed diff only)", async () => {
    const { repo, ws, sha } = await setUp();
    const f = await ws.decide({ taskId: 'feature', kind: 'approve', sha: sha.feature, by: 'tester' });
    assert.equal(f.ok, true, JSON.stringify(f));
    const h = await ws.decide({ taskId: 'hostile', kind: 'approve', sha: sha.hostile, by: 'tester' });
    assert.equal(h.ok, true, JSON.stringify(h));
    assertBothOnBase(repo);
  });

  test('merged before that task: that task is not taken as "already merged", its work reaches the base', async () => {
    const { repo, ws, sha } = await setUp();
    const h = await ws.decide({ taskId: 'hostile', kind: 'approve', sha: sha.hostile, by: 'tester' });
    assert.equal(h.ok, true, JSON.stringify(h));
    assert.equal(repo.show('main', 'feature.txt'), undefined, 'the graft brings none of its content');
    const f = await ws.decide({ taskId: 'feature', kind: 'approve', sha: sha.feature, by: 'tester' });
    assert.equal(f.ok, true, JSON.stringify(f));
    assertBothOnBase(repo);
  });
});
