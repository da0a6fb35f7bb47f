// Issue 12 rule 1: the swarm commits only where it means to. Before it commits what an agent left
// (or removes a worktree), the worktree must still be the one it made: not a symlink, the same
// realpath, its .git file pointing at the swarm's admin dir, HEAD on the task branch. A hostile
// agent (a shell script run through the `command` harness, as the user) changes each of these.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, existsSync } from 'node:fs';
import { newRepo, TestRepo, runSwarm } from '../helpers/repo';
import { openWorkspace } from '../../src/swarm/workspace';

/** A worker that runs `attack` (sh, in its worktree, HOSTILE_ROOT = the user's checkout) and says it is ready. */
function hostileRepo(attack: string): TestRepo {
  const repo = newRepo();
  const script = repo.script('hostile.sh', `cat >/dev/null\nset -e\necho "agent work" > agent.txt\n${attack}\necho COMPLETE_AND_READY_FOR_MERGE\n`);
  const harnesses = { ...(repo.config().harnesses as object), hostile: { command: ['sh', script], env: { HOSTILE_ROOT: repo.root } } };
  // What the engine holds by itself: with the sandbox on, bubblewrap would already refuse these writes (docs/security.md).
  repo.writeConfig({ workers: [{ role: 'worker', harness: 'hostile', count: 1, iterations: 1 }], harnesses, sandbox: { mode: 'off' } });
  repo.writeTask('evil');
  return repo;
}

const attacks: { name: string; attack: string; said: RegExp; setup?: (r: TestRepo) => void; check?: (r: TestRepo) => void }[] = [
  {
    name: "replaces its worktree folder with a symlink to the user's checkout",
    attack: 'cd ..\nrm -rf "$SWARM_WORKTREE"\nln -s "$HOSTILE_ROOT" "$SWARM_WORKTREE"',
    said: /replaced by a symbolic link to .*repo/,
  },
  {
    name: "rewrites its .git file to point at the main repository's .git",
    attack: 'printf "gitdir: %s/.git\\n" "$HOSTILE_ROOT" > .git',
    said: /\.git file now points at .*repo\/\.git instead of/,
  },
  {
    name: 'switches its worktree to an existing branch of the user (git checkout feature)',
    setup: (r) => {
      r.git('branch', 'feature');
    },
    attack: 'git checkout -q feature',
    said: /HEAD is on refs\/heads\/feature instead of the task branch refs\/heads\/swarm\/w1\/evil/,
    check: (r) => assert.equal(r.rev('feature'), r.rev('main'), "the user's branch did not move"),
  },
  {
    name: 'checks out the base itself (git checkout --ignore-other-worktrees main)',
    attack: 'git checkout -q --ignore-other-worktrees main',
    said: /HEAD is on refs\/heads\/main instead of the task branch/,
  },
  {
    name: 'creates and switches to a branch of its own (git switch -c other)',
    attack: 'git switch -q -c other',
    said: /HEAD is on refs\/heads\/other instead of the task branch/,
    check: (r) => assert.equal(r.rev('other'), r.rev('main'), 'nothing was committed on the branch the agent made'),
  },
  {
    name: 'points HEAD at the base (git symbolic-ref HEAD refs/heads/main)',
    attack: 'git symbolic-ref HEAD refs/heads/main',
    said: /HEAD is on refs\/heads\/main instead of the task branch/,
  },
];

describe('issue 12 rule 1: the swarm commits only in the worktree it made', { timeout: 300_000 }, () => {
  for (const a of attacks) {
    test(`an agent that ${a.name}: nothing is committed anywhere, the task is blocked saying what changed`, async () => {
      const repo = hostileRepo(a.attack);
      a.setup?.(repo);
      // The user's own work in progress in their checkout: staged, unstaged, untracked.
      repo.write('shared.txt', 'line 1 staged by the user\nline 2\nline 3\n');
      repo.git('add', 'shared.txt');
      repo.write('README.md', '# my unsaved notes\n');
      repo.write('mine.txt', 'untracked\n');
      const cached = repo.git('diff', '--cached');
      const userStatus = () =>
        repo
          .git('status', '--porcelain')
          .split('\n')
          .filter((l) => l && !/ (tasks\/|swarm\.json)/.test(l))
          .join('\n');
      const status = userStatus();
      const main = repo.rev('main');
      const { summary, events } = await runSwarm(repo.root);
      assert.deepEqual(summary.merged, []);
      assert.equal(repo.rev('main'), main, 'the base did not move');
      assert.equal(repo.git('diff', '--cached'), cached, "the user's staged change is still staged, exactly");
      assert.equal(userStatus(), status, "the user's checkout is as it was");
      assert.equal(repo.read('README.md'), '# my unsaved notes\n');
      assert.deepEqual(summary.blocked, ['evil']);
      const question = String(repo.task('current', 'evil')!.data.question);
      assert.match(question, /no longer the one the swarm made, so nothing was committed/);
      assert.match(question, a.said);
      assert.ok(!repo.calls().some((c) => c.role === 'reviewer'), 'nothing went to review');
      const v = events.find((e) => e.type === 'security_violation');
      assert.ok(v && v.type === 'security_violation' && v.taskId === 'evil' && v.changes.some((c) => a.said.test(c)), JSON.stringify(v));
      a.check?.(repo);
    });
  }

  test("cleanup of a worktree an agent switched to the user's branch keeps that branch (and archives its work)", async () => {
    const repo = hostileRepo('git checkout -q feature\ngit add -A\ngit -c user.name=x -c user.email=x@y commit -q -m "on the user branch"');
    repo.git('branch', 'feature');
    const { summary } = await runSwarm(repo.root);
    assert.deepEqual(summary.merged, []);
    const feature = repo.rev('feature');
    assert.notEqual(feature, repo.rev('main'), "the agent committed on the user's branch itself (the swarm did not)");
    // The user drops the task, then cleans up: the worktree goes, the user's branch stays.
    rmSync(repo.path('tasks', 'current', 'evil.md'));
    const ws = await openWorkspace({ repo: repo.root });
    const report = await ws.cleanup({ dryRun: false });
    assert.ok(
      report.actions.some((a) => a.worktree?.endsWith('/evil')),
      JSON.stringify(report),
    );
    assert.equal(repo.rev('feature'), feature, "the user's branch was not deleted");
    assert.ok(!existsSync(repo.path('.swarm', 'worktrees', 'evil')), JSON.stringify(report));
  });
});
