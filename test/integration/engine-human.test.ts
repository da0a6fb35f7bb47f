// Human review (hazard 7): a decision is tied to the sha the user was shown. Approve merges exactly
// that sha; a sha the branch has moved past is refused; override needs a reason and records it;
// request changes hands the text to the next fix round.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { newRepo, runSwarm, git } from '../helpers/repo';
import { openWorkspace } from '../../src/swarm/workspace';
import type { ReviewRound, SwarmEvent } from '../../src/swarm/types';

describe('human review decisions', { timeout: 300_000 }, () => {
  test('mode human: the run leaves the change for the user; approve merges exactly the shown sha', async () => {
    const repo = newRepo();
    repo.writeConfig({ review: { mode: 'human' } });
    repo.writeTask('hum', { agent: { files: { 'h.txt': 'human reviewed\n' } } });
    const before = repo.rev('main');
    const { summary } = await runSwarm(repo.root);
    assert.deepEqual(summary.waitingForHuman, ['hum']);
    assert.equal(repo.rev('main'), before);
    assert.equal(repo.calls().filter((c) => c.role === 'reviewer').length, 0, 'no reviewer agent in human mode');

    const ws = await openWorkspace({ repo: repo.root });
    const d = await ws.reviewDetails('hum');
    assert.equal(d.canDecide, true);
    assert.equal(d.sha, repo.rev('refs/heads/swarm/w1/hum'));
    assert.match(d.diff, /\+human reviewed/);
    for (const vague of ['', d.sha!.slice(0, 1), d.sha!.slice(0, 6)]) {
      const v = await ws.decide({ taskId: 'hum', kind: 'approve', sha: vague });
      assert.deepEqual(v, { ok: false, reason: 'stale_sha', currentSha: d.sha }, `"${vague}" is not the sha shown`);
    }
    assert.equal(repo.rev('main'), before);
    const r = await ws.decide({ taskId: 'hum', kind: 'approve', sha: d.sha!, by: 'tester' });
    assert.equal(r.ok, true);
    assert.ok(r.ok && r.applied === 'merged');
    const commit = (r as { commit: string }).commit;
    assert.equal(repo.rev('main'), commit);
    assert.equal(repo.git('rev-parse', `${commit}^1`).trim(), before);
    assert.equal(repo.git('rev-parse', `${commit}^2`).trim(), d.sha, 'exactly the shown sha merged');
    assert.equal(repo.show('main', 'h.txt'), 'human reviewed\n');
    assert.equal(repo.git('rev-parse', 'HEAD').trim(), commit, 'the user checkout followed');
    const t = repo.task('complete', 'hum')!;
    assert.equal(t.data.merged_commit, commit);
    assert.equal(t.data.review_rounds, 1);
    const round = repo.state('hum')!.rounds[0] as ReviewRound;
    assert.equal(round.by, 'human');
    assert.equal(round.decision, 'approve');
    assert.equal(round.sha, d.sha);
    assert.equal(round.durationMs, undefined, 'a human decision is not a timed review round (no "0 ms")');
    // Journaled even though no swarm ran.
    assert.ok(repo.journal().some((e) => e.type === 'human_decision' && e.taskId === 'hum' && e.applied));
  });

  test('a stale sha is refused after the branch moved; main stays; the new head can be decided', async () => {
    const repo = newRepo();
    repo.writeConfig({ review: { mode: 'human' } });
    repo.writeTask('moving', { agent: { files: { 'm.txt': 'v1\n' } } });
    await runSwarm(repo.root);
    const ws = await openWorkspace({ repo: repo.root });
    const shown = (await ws.reviewDetails('moving')).sha!;
    // Someone (an agent, the user) commits on the task branch after the review was shown.
    const wt = repo.path('.swarm', 'worktrees', 'moving');
    writeFileSync(join(wt, 'm.txt'), 'v2 (never shown)\n');
    git(wt, 'add', '-A');
    git(wt, '-c', 'user.name=X', '-c', 'user.email=x@example.invalid', 'commit', '-q', '-m', 'late change');
    const moved = repo.rev('refs/heads/swarm/w1/moving')!;
    const before = repo.rev('main');

    const r = await ws.decide({ taskId: 'moving', kind: 'approve', sha: shown });
    assert.deepEqual(r, { ok: false, reason: 'stale_sha', currentSha: moved });
    assert.equal(repo.rev('main'), before, 'nothing merged');
    assert.equal(repo.task('current', 'moving')!.data.status, 'awaiting_human');
    const o = await ws.decide({ taskId: 'moving', kind: 'override', sha: shown, text: 'ship it' });
    assert.equal(o.ok, false, 'override of a stale sha is refused too');
    assert.equal(repo.rev('main'), before);

    // The panel now shows the new head; approving what is shown merges exactly that.
    const d2 = await ws.reviewDetails('moving');
    assert.equal(d2.sha, moved);
    assert.match(d2.diff, /\+v2 \(never shown\)/);
    const r2 = await ws.decide({ taskId: 'moving', kind: 'approve', sha: moved });
    assert.ok(r2.ok && r2.applied === 'merged', JSON.stringify(r2));
    assert.equal(repo.git('rev-parse', `${(r2 as { commit: string }).commit}^2`).trim(), moved);
    assert.equal(repo.show('main', 'm.txt'), 'v2 (never shown)\n');
  });

  test('override needs a reason, records it, and merges despite the agent', async () => {
    const repo = newRepo();
    repo.writeConfig({ review: { max_rounds: 1 } });
    repo.writeTask('ovr', { agent: { files: { 'o.txt': 'o\n' }, review: ['NEEDS_CHANGES'] } });
    const { summary } = await runSwarm(repo.root);
    assert.deepEqual(summary.waitingForHuman, ['ovr']);
    const ws = await openWorkspace({ repo: repo.root });
    const sha = (await ws.reviewDetails('ovr')).sha!;
    const before = repo.rev('main');
    for (const text of [undefined, '', '   ']) {
      const r = await ws.decide({ taskId: 'ovr', kind: 'override', sha, text });
      assert.equal(r.ok, false);
      assert.equal((r as { reason: string }).reason, 'invalid');
      assert.match((r as { detail: string }).detail, /reason/);
    }
    assert.equal(repo.rev('main'), before);
    assert.equal(repo.state('ovr')!.rounds.length, 1, 'refused overrides record nothing');
    const r = await ws.decide({ taskId: 'ovr', kind: 'override', sha, text: 'the reviewer is wrong: o.txt is fine' });
    assert.ok(r.ok && r.applied === 'merged');
    const rounds = repo.state('ovr')!.rounds as ReviewRound[];
    assert.equal(rounds.length, 2);
    assert.equal(rounds[1].decision, 'override');
    assert.equal(rounds[1].reason, 'the reviewer is wrong: o.txt is fine');
    assert.match(rounds[1].feedback, /Override: the reviewer is wrong/);
    assert.equal(rounds[1].sha, sha);
    assert.equal(repo.show('main', 'o.txt'), 'o\n');
    assert.equal(repo.task('complete', 'ovr')!.data.review_rounds, 2);
  });

  test('request changes: the text goes to the next fix round; the fixed change is decided again', async () => {
    const repo = newRepo();
    repo.writeConfig({ review: { mode: 'human' } });
    repo.writeTask('rc', { agent: { files: { 'rc.txt': 'round {{round}}\n' } } });
    await runSwarm(repo.root);
    const ws = await openWorkspace({ repo: repo.root });
    const sha1 = (await ws.reviewDetails('rc')).sha!;
    const empty = await ws.decide({ taskId: 'rc', kind: 'request_changes', sha: sha1, text: ' ' });
    assert.equal(empty.ok, false);
    const r = await ws.decide({ taskId: 'rc', kind: 'request_changes', sha: sha1, text: 'PLEASE-RENAME-THE-FILE' });
    assert.deepEqual(r, { ok: true, applied: 'fix_requested' });
    assert.equal(repo.task('current', 'rc')!.data.status, 'needs_fix');
    const stale = await ws.decide({ taskId: 'rc', kind: 'approve', sha: 'deadbeef' });
    assert.equal(stale.ok, false, 'an unknown sha is never approved');

    await runSwarm(repo.root);
    const fix = repo
      .calls()
      .filter((c) => c.role === 'worker')
      .pop()!;
    assert.equal(fix.round, 2);
    assert.match(fix.prompt, /PLEASE-RENAME-THE-FILE/);
    assert.match(fix.prompt, /Round 1 \(the user\)/);
    const d2 = await ws.reviewDetails('rc');
    assert.notEqual(d2.sha, sha1);
    assert.equal(repo.task('current', 'rc')!.data.status, 'awaiting_human');
    const r2 = await ws.decide({ taskId: 'rc', kind: 'approve', sha: d2.sha!.slice(0, 12) });
    assert.ok(r2.ok && r2.applied === 'merged', JSON.stringify(r2));
    assert.equal(repo.show('main', 'rc.txt'), 'round 2\n');
  });

  test('agent+human: approved by the agent, then merged by a decision handed to the running swarm', async () => {
    const repo = newRepo();
    repo.writeConfig({ review: { mode: 'agent+human' } });
    repo.writeTask('both', { agent: { files: { 'b.txt': 'b\n' } } });
    let decided: Promise<unknown> | undefined;
    let decision: unknown;
    const { summary, events } = await runSwarm(repo.root, {
      run: { waitForHumans: true },
      onEvent: (e, ws, run) => {
        if (e.type === 'human_review_requested' && !decided) {
          assert.equal(e.agentVerdict, 'APPROVED');
          // The user looks at the panel, then approves (once the worker has let go of the task).
          decided = (async () => {
            for (let i = 0; i < 100; i++) {
              await new Promise((r) => setTimeout(r, 100));
              decision = await ws.decide({ taskId: 'both', kind: 'approve', sha: e.sha });
              if ((decision as { reason?: string }).reason !== 'not_awaiting') break; // still held by its worker
            }
            void run;
          })();
        }
      },
    });
    await decided;
    assert.deepEqual(
      decision,
      { ok: true, applied: 'merged', commit: repo.rev('main') },
      JSON.stringify(events.filter((e) => e.type !== 'worker_state')) + JSON.stringify(repo.state('both')),
    );
    assert.deepEqual(summary.merged, ['both']);
    assert.equal(summary.reason, 'no work left');
    assert.ok(events.some((e) => e.type === 'human_decision' && e.applied));
    assert.equal(repo.show('main', 'b.txt'), 'b\n');
  });

  test('a decision whose merge is slow completes before the run ends; its task is never marked interrupted', async () => {
    const repo = newRepo();
    repo.writeConfig({ review: { mode: 'agent+human' } });
    repo.writeTask('slowmerge', { agent: { files: { 'sm.txt': 'sm\n' } } });
    // A slow `git merge` (a big checkout, a slow disk): a git wrapper first on PATH sleeps 1 s on merges.
    const bin = join(repo.home, 'bin');
    mkdirSync(bin);
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(join(bin, 'git'), `#!/bin/sh\nfor a in "$@"; do [ "$a" = merge ] && sleep 1 && break; done\nexec '${realGit}' "$@"\n`);
    chmodSync(join(bin, 'git'), 0o755);
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath}`;
    let decided: Promise<unknown> | undefined;
    const { summary, events } = await runSwarm(repo.root, {
      run: { waitForHumans: true },
      onEvent: (e, ws) => {
        if (e.type === 'human_review_requested' && !decided) {
          decided = (async () => {
            for (let i = 0; i < 100; i++) {
              await new Promise((r) => setTimeout(r, 100));
              const r = await ws.decide({ taskId: 'slowmerge', kind: 'approve', sha: e.sha });
              if ((r as { reason?: string }).reason !== 'not_awaiting') return r;
            }
          })();
        }
      },
    });
    const r = await decided;
    process.env.PATH = oldPath;
    assert.deepEqual(r, { ok: true, applied: 'merged', commit: repo.rev('main') });
    assert.deepEqual(summary.merged, ['slowmerge']);
    assert.ok(!events.some((e) => e.type === 'task_status' && e.status === 'interrupted'), 'never marked interrupted');
    const st = repo.state('slowmerge')!;
    assert.equal(st.status, 'complete');
    assert.equal(st.mergedCommit, repo.rev('main'));
  });

  test('uncommitted edits left in the worktree when the reviewed sha merges are archived, not deleted with the worktree', async () => {
    const repo = newRepo();
    repo.writeConfig({ review: { mode: 'human' } });
    repo.writeTask('leftover', { agent: { files: { 'lo.txt': 'reviewed\n' } } });
    await runSwarm(repo.root);
    const wt = repo.path('.swarm', 'worktrees', 'leftover');
    // Someone (the user poking around, a tool) edits the worktree after the review.
    writeFileSync(join(wt, 'lo.txt'), 'edited after the review\n');
    writeFileSync(join(wt, 'notes.md'), 'my notes\n');
    const ws = await openWorkspace({ repo: repo.root });
    const d = await ws.reviewDetails('leftover');
    const events: SwarmEvent[] = [];
    ws.onEvent((e) => events.push(e));
    const r = await ws.decide({ taskId: 'leftover', kind: 'approve', sha: d.sha! });
    assert.ok(r.ok && r.applied === 'merged');
    assert.equal(repo.show('main', 'lo.txt'), 'reviewed\n', 'only the reviewed content merged');
    assert.ok(!repo.lsTree('main').includes('notes.md'));
    const removed = events.find((e) => e.type === 'worktree_removed');
    assert.ok(removed && removed.type === 'worktree_removed' && removed.archivedRef, 'the worktree removal names its archive');
    assert.equal(repo.show(removed.archivedRef!, 'lo.txt'), 'edited after the review\n');
    assert.equal(repo.show(removed.archivedRef!, 'notes.md'), 'my notes\n');
  });

  test('reject by the user: back to pending, the work archived', async () => {
    const repo = newRepo();
    repo.writeConfig({ review: { mode: 'human' } });
    repo.writeTask('nah', { agent: { files: { 'nah.txt': 'nah\n' } } });
    await runSwarm(repo.root);
    const ws = await openWorkspace({ repo: repo.root });
    const sha = (await ws.reviewDetails('nah')).sha!;
    const r = await ws.decide({ taskId: 'nah', kind: 'reject', sha, text: 'not wanted' });
    assert.deepEqual(r, { ok: true, applied: 'returned_to_pending' });
    assert.equal(repo.task('pending', 'nah')!.data.last_feedback, 'not wanted');
    const arch = repo.refs('refs/swarm/archive/nah/');
    assert.equal(arch.length, 1);
    assert.equal(repo.rev(arch[0]), sha);
  });
});
