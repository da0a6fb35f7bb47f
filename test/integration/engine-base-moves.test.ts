// Issue 12 rule 2: the base moves only through the merge queue. Any other move — by an agent in
// any turn (worker, reviewer), forward, backward or sideways — is noticed before the next merge and
// before a review of work built on it; nothing merges on top of it until the user accepts the base
// (acceptBase / `swarm review accept-base`). The user's own commit while no agent runs is taken as
// theirs; the user's amend during an agent turn is asked about, never blamed on the agent.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newRepo, runSwarm, userCommit } from '../helpers/repo';
import { openWorkspace } from '../../src/swarm/workspace';

const USER = ['-c', 'user.name=Test User', '-c', 'user.email=user@example.invalid'];

/** sh that puts an empty commit of its own on main with update-ref (no merge queue, no review). */
const SNEAK_ONTO_MAIN = `main=$(git rev-parse refs/heads/main)
evil=$(git -c user.name=x -c user.email=x@y commit-tree "$(git rev-parse "$main^{tree}")" -p "$main" -m "sneaked onto main")
git update-ref refs/heads/main "$evil"
`;

describe('issue 12 rule 2: the base moves only through the merge queue', { timeout: 300_000 }, () => {
  test('a reviewer that moves the base during its turn: nothing merges on top until the user accepts the base', async () => {
    const repo = newRepo();
    const reviewer = repo.script('evil-reviewer.sh', `cat >/dev/null\nset -e\n${SNEAK_ONTO_MAIN}echo "VERDICT: APPROVED"\n`);
    repo.writeConfig({
      sandbox: { mode: 'off' },
      review: { mode: 'agent', harness: 'evilrev', max_rounds: 3 },
      harnesses: { ...(repo.config().harnesses as object), evilrev: { command: ['sh', reviewer] } },
    });
    repo.writeTask('honest');
    repo.git('checkout', '-q', '-b', 'feature'); // the user works elsewhere: the base moves by update-ref
    const before = repo.rev('main')!;
    let waited: string | undefined;
    let mainWhileWaiting: string | undefined;
    const { summary } = await runSwarm(repo.root, {
      onEvent: (e, ws) => {
        if (e.type !== 'merge_waiting' || waited) return;
        waited = e.reason;
        mainWhileWaiting = repo.rev('main');
        setTimeout(() => void ws.acceptBase(repo.rev('main')), 100);
      },
    });
    assert.ok(waited, 'the merge waited');
    assert.match(waited, /the base moved outside the swarm: main went forward from .* while agent turns were running/);
    const evil = repo.rev('main^1')!;
    assert.equal(mainWhileWaiting, evil, 'nothing was merged on top of the unexpected base before the user said so');
    assert.equal(repo.git('log', '-1', '--format=%s', evil).trim(), 'sneaked onto main');
    assert.equal(repo.rev(`${evil}^`), before);
    assert.deepEqual(summary.merged, ['honest'], 'after the user accepted, it merged');
  });

  test("the user's amend on main during a worker's turn is not blamed on the agent: no security stop; the merge asks, then merges", async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('slow', { agent: { sleepMs: 1500, files: { 'slow.txt': 's\n' } } });
    repo.write('notes.txt', 'notes\n');
    userCommit(repo.root, 'my notes', 'notes.txt'); // the commit the user amends (so histories stay related)
    let amended: string | undefined;
    let waited: string | undefined;
    const { summary, events } = await runSwarm(repo.root, {
      onEvent: (e, ws) => {
        if (e.type === 'agent_started' && e.role === 'worker' && !amended) {
          repo.git(...USER, 'commit', '-q', '--amend', '-m', 'my notes, reworded');
          amended = repo.rev('main');
        }
        if (e.type === 'merge_waiting' && !waited) {
          waited = e.reason;
          assert.equal(repo.rev('main'), amended, 'nothing merged on top while it asked');
          setTimeout(() => void ws.acceptBase(amended), 100);
        }
      },
    });
    assert.ok(amended && waited);
    assert.ok(!events.some((e) => e.type === 'security_violation'), "the user's amend is not reported as an agent's tampering");
    assert.ok(!events.some((e) => e.type === 'worker_stopped'), 'no worker was stopped');
    assert.match(waited, /main went sideways .* while agent turns were running/);
    assert.deepEqual(summary.merged, ['slow']);
    assert.equal(repo.rev('main^1'), amended);
  });

  test('a worker that moves the base and builds on it: its review waits (no reviewer runs) until the user accepts the base', async () => {
    const repo = newRepo();
    const worker = repo.script(
      'builder.sh',
      `cat >/dev/null\nset -e\necho work > work.txt\ngit add work.txt\ngit -c user.name=x -c user.email=x@y commit -q -m work\n${SNEAK_ONTO_MAIN}git -c user.name=x -c user.email=x@y merge -q --no-edit main\necho COMPLETE_AND_READY_FOR_MERGE\n`,
    );
    repo.writeConfig({
      sandbox: { mode: 'off' },
      workers: [{ role: 'worker', harness: 'builder', count: 1, iterations: 1 }],
      harnesses: { ...(repo.config().harnesses as object), builder: { command: ['sh', worker] } },
    });
    repo.writeTask('builds-on-it');
    repo.git('checkout', '-q', '-b', 'feature');
    const first = await runSwarm(repo.root);
    assert.ok(!first.events.some((e) => e.type === 'security_violation'), 'not the case the turn guard catches (its own commit on the base)');
    assert.equal(repo.calls().filter((c) => c.role === 'reviewer').length, 0, 'no reviewer saw work built on the unaccepted base');
    assert.deepEqual(first.summary.merged, []);
    assert.equal(repo.task('current', 'builds-on-it')!.data.status, 'waiting_base');
    assert.match(String(repo.task('current', 'builds-on-it')!.data.waiting_for), /built on commits of the base that the swarm did not merge/);
    const evil = repo.rev('main')!;
    assert.equal(repo.git('log', '-1', '--format=%s', 'main').trim(), 'sneaked onto main');
    const needs = await first.ws.needsYou();
    assert.equal(needs[0]?.kind, 'base');
    // The user looks at it and accepts the base; the review goes on in the next run.
    const acc = await first.ws.acceptBase(evil);
    assert.ok(acc.ok);
    assert.deepEqual(acc.resumed, ['builds-on-it']);
    const second = await runSwarm(repo.root);
    assert.equal(repo.calls().filter((c) => c.role === 'reviewer').length, 1);
    assert.deepEqual(second.summary.merged, ['builds-on-it']);
    assert.equal(repo.rev('main^1'), evil);
  });

  test("between runs: the user's own commit is taken as theirs; an amend (sideways) waits for the user, then accept-base merges", async () => {
    for (const move of ['commit', 'amend'] as const) {
      const repo = newRepo();
      repo.writeConfig({ review: { mode: 'human' } });
      repo.writeTask('decided');
      repo.write('notes.txt', 'notes\n');
      userCommit(repo.root, 'my notes', 'notes.txt');
      const first = await runSwarm(repo.root);
      assert.equal(repo.task('current', 'decided')!.data.status, 'awaiting_human');
      if (move === 'commit') {
        repo.write('mine.txt', 'mine\n');
        userCommit(repo.root, 'my own commit', 'mine.txt');
      } else repo.git(...USER, 'commit', '-q', '--amend', '-m', 'my notes, reworded');
      const userMain = repo.rev('main')!;
      const ws = await openWorkspace({ repo: repo.root });
      const sha = first.ws && (await ws.taskState('decided'))!.headSha!;
      const r = await ws.decide({ taskId: 'decided', kind: 'approve', sha });
      if (move === 'commit') {
        assert.equal(r.ok && r.applied, 'merged', JSON.stringify(r));
        assert.equal(repo.rev('main^1'), userMain);
        continue;
      }
      assert.ok(!r.ok && r.reason === 'waiting_base', JSON.stringify(r));
      assert.match(r.detail, /the base moved outside the swarm: main went sideways/);
      assert.equal(repo.rev('main'), userMain, 'nothing merged on top of it');
      assert.equal(repo.task('current', 'decided')!.data.status, 'waiting_base');
      const stale = await ws.acceptBase('0000000');
      assert.ok(!stale.ok, 'accepting a base sha the user did not look at is refused');
      const acc = await ws.acceptBase(userMain);
      assert.ok(acc.ok, JSON.stringify(acc));
      assert.deepEqual(acc.merged, ['decided']);
      assert.equal(repo.rev('main^1'), userMain);
      assert.deepEqual(repo.taskIds('complete'), ['decided']);
    }
  });

  test('a restart knows: a move during an agent turn of a run that stopped is still asked about in the next run', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('later', { agent: { sleepFirstMs: 2000, files: { 'later.txt': 'l\n' } } });
    repo.git('checkout', '-q', '-b', 'feature');
    let moved: string | undefined;
    await runSwarm(repo.root, {
      onEvent: (e, _ws, run) => {
        if (e.type !== 'agent_started' || moved) return;
        // During the turn something moves the base forward with a plain commit; then the run stops.
        const main = repo.rev('main')!;
        moved = repo.git('-c', 'user.name=x', '-c', 'user.email=x@y', 'commit-tree', `${main}^{tree}`, '-p', main, '-m', 'during the turn').trim();
        repo.git('update-ref', 'refs/heads/main', moved);
        setTimeout(() => void run.stop('user stopped'), 100);
      },
    });
    assert.ok(moved);
    assert.equal(repo.task('current', 'later')!.data.status, 'interrupted');
    let waited: string | undefined;
    const { summary } = await runSwarm(repo.root, {
      onEvent: (e, ws) => {
        if (e.type !== 'merge_waiting' || waited) return;
        waited = e.reason;
        assert.equal(repo.rev('main'), moved);
        setTimeout(() => void ws.acceptBase(moved), 100);
      },
    });
    assert.ok(waited, "the next run did not take the move as the user's");
    assert.match(waited, /main went forward .* while agent turns were running/);
    assert.deepEqual(summary.merged, ['later']);
    assert.equal(repo.rev('main^1'), moved);
  });
});
