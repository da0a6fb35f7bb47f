// Issue 12 rule 9: the user's git operation in progress in their checkout — a rebase (both
// backends), merge, cherry-pick, revert or bisect — means the base is busy: the merge waits with
// that reason (status waiting_base), touches nothing of it, and goes on once the user finished or
// aborted it. Real git for each kind.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { newRepo, TestRepo, runSwarm, userCommit, userGit } from '../helpers/repo';

const kinds: { name: string; marker: string; said: RegExp; start: (r: TestRepo) => void; finish: (r: TestRepo) => void }[] = [
  {
    name: 'a rebase of main (merge backend) stopped on a conflict',
    marker: 'rebase-merge',
    said: /your rebase in progress/,
    start: (r) => {
      r.diverge();
      assert.notEqual(userGit(r.root, 'rebase', '--merge', 'side'), 0);
    },
    finish: (r) => {
      assert.equal(userGit(r.root, 'rebase', '--abort'), 0);
    },
  },
  {
    name: 'a rebase of main (apply backend) stopped on a conflict',
    marker: 'rebase-apply',
    said: /your rebase in progress/,
    start: (r) => {
      r.diverge();
      assert.notEqual(userGit(r.root, 'rebase', '--apply', 'side'), 0);
    },
    finish: (r) => {
      assert.equal(userGit(r.root, 'rebase', '--abort'), 0);
    },
  },
  {
    name: 'a merge not yet committed (--no-commit, no conflict)',
    marker: 'MERGE_HEAD',
    said: /your merge in progress/,
    start: (r) => {
      r.git('checkout', '-q', '-b', 'side');
      r.write('side.txt', 'side\n');
      userCommit(r.root, 'side file', 'side.txt');
      r.git('checkout', '-q', 'main');
      assert.equal(userGit(r.root, 'merge', '--no-ff', '--no-commit', 'side'), 0);
    },
    finish: (r) => {
      assert.equal(userGit(r.root, 'commit', '-q', '--no-edit'), 0);
    },
  },
  {
    name: 'a cherry-pick stopped on a conflict',
    marker: 'CHERRY_PICK_HEAD',
    said: /your cherry-pick in progress/,
    start: (r) => {
      r.diverge();
      assert.notEqual(userGit(r.root, 'cherry-pick', 'side'), 0);
    },
    finish: (r) => {
      assert.equal(userGit(r.root, 'cherry-pick', '--abort'), 0);
    },
  },
  {
    name: 'a revert stopped on a conflict',
    marker: 'REVERT_HEAD',
    said: /your revert in progress/,
    start: (r) => {
      r.write('shared.txt', 'line 1\nline 2 A\nline 3\n');
      const a = userCommit(r.root, 'A', 'shared.txt');
      r.write('shared.txt', 'line 1\nline 2 B\nline 3\n');
      userCommit(r.root, 'B', 'shared.txt');
      assert.notEqual(userGit(r.root, 'revert', '--no-edit', a), 0);
    },
    finish: (r) => {
      assert.equal(userGit(r.root, 'revert', '--abort'), 0);
    },
  },
  {
    name: 'a bisect (HEAD detached at a commit in the middle)',
    marker: 'BISECT_LOG',
    said: /your bisect in progress/,
    start: (r) => {
      const first = r.rev('main')!;
      for (const n of [1, 2, 3, 4]) {
        r.write(`b${n}.txt`, `${n}\n`);
        userCommit(r.root, `b${n}`, `b${n}.txt`);
      }
      assert.equal(userGit(r.root, 'bisect', 'start', 'main', first), 0);
    },
    finish: (r) => {
      assert.equal(userGit(r.root, 'bisect', 'reset'), 0);
    },
  },
];

describe("issue 12 rule 9: the user's git operation in progress makes the base busy", { timeout: 300_000 }, () => {
  for (const k of kinds) {
    test(`${k.name}: the merge waits with that reason, touches nothing, and merges after the user ends it`, async () => {
      const repo = newRepo();
      repo.writeConfig();
      repo.writeTask('elsewhere', { agent: { files: { 'elsewhere.txt': 'e\n' } } });
      k.start(repo);
      const marker = repo.path('.git', k.marker);
      assert.ok(existsSync(marker), `${k.marker} is there`);
      const main = repo.rev('main');
      const head = repo.git('rev-parse', 'HEAD').trim();
      let waited: { reason: string } | undefined;
      const { summary, events } = await runSwarm(repo.root, {
        onEvent: (e) => {
          if (e.type !== 'merge_waiting' || waited) return;
          waited = { reason: e.reason };
          // While it waits: the base and the user's operation are exactly as the user left them.
          assert.equal(repo.rev('main'), main, 'the base did not move under the operation');
          assert.equal(repo.git('rev-parse', 'HEAD').trim(), head);
          assert.ok(existsSync(marker), `${k.marker} is still there`);
          setTimeout(() => k.finish(repo), 200);
        },
      });
      assert.ok(waited, `the merge waited; events: ${events.map((e) => e.type).join(', ')}`);
      assert.match(waited.reason, k.said);
      const st = events.find((e) => e.type === 'task_status' && e.status === 'waiting_base');
      assert.ok(st && st.type === 'task_status' && st.taskId === 'elsewhere' && k.said.test(st.detail ?? ''), 'the task waited as waiting_base, saying why');
      assert.deepEqual(summary.merged, ['elsewhere']);
      assert.equal(repo.show('main', 'elsewhere.txt'), 'e\n');
      assert.ok(!existsSync(marker), 'the operation ended as the user ended it');
      assert.ok(repo.git('log', '--format=%s', 'main').includes('Merge task elsewhere'));
    });
  }

  test('the base checked out in another checkout of the user (a linked worktree) with a merge in progress there: the merge waits too', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('elsewhere', { agent: { files: { 'elsewhere.txt': 'e\n' } } });
    repo.git('checkout', '-q', '-b', 'side');
    repo.write('side.txt', 'side\n');
    userCommit(repo.root, 'side file', 'side.txt');
    const other = join(repo.home, 'main-checkout');
    repo.git('worktree', 'add', '-q', other, 'main');
    assert.equal(userGit(other, 'merge', '--no-ff', '--no-commit', 'side'), 0);
    const main = repo.rev('main');
    let waited: string | undefined;
    const { summary } = await runSwarm(repo.root, {
      onEvent: (e) => {
        if (e.type !== 'merge_waiting' || waited) return;
        waited = e.reason;
        assert.equal(repo.rev('main'), main);
        setTimeout(() => {
          assert.equal(userGit(other, 'merge', '--abort'), 0);
        }, 200);
      },
    });
    assert.ok(waited);
    assert.match(waited, /your merge in progress on main in .*main-checkout/);
    assert.deepEqual(summary.merged, ['elsewhere']);
  });
});
