// The user's checkout is sacred (hazards 1, 2) and conflicts leave nothing half-merged (hazard 3).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync, readFileSync, existsSync, mkdirSync, chmodSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { newRepo, runSwarm, snapshotFiles, userCommit, userGit } from '../helpers/repo';
import { openWorkspace } from '../../src/swarm/workspace';

describe("the user's checkout on the base branch", { timeout: 300_000 }, () => {
  test('uncommitted edits and untracked files survive byte for byte while other tasks merge', async () => {
    const repo = newRepo();
    repo.writeConfig({ workers: [{ role: 'worker', harness: 'scripted', count: 2, iterations: 50 }] });
    for (const id of ['one', 'two', 'three']) repo.writeTask(id, { agent: { files: { [`src/${id}.txt`]: `${id}\n` } } });
    // The user's own work in progress: an edited tracked file, untracked files, odd bytes.
    repo.write('README.md', '# test repo\n\nmy unsaved notes\r\n\u00e9\u00e8 \u{1F600}\n');
    repo.write('scratch/notes.txt', 'untracked notes\n');
    writeFileSync(repo.path('scratch', 'blob.bin'), Buffer.from([0, 1, 2, 255, 254, 10, 13]));
    repo.write('src/keep-me.txt', 'untracked beside the merged files\n');
    // A staged change, and a different unstaged change on top of it in the same file.
    repo.write('shared.txt', 'line 1 staged\nline 2\nline 3\n');
    repo.git('add', 'shared.txt');
    repo.write('shared.txt', 'line 1 staged and then edited\nline 2\nline 3\n');
    const cached = repo.git('diff', '--cached');
    const snap = snapshotFiles(repo.root);
    const status = repo
      .git('status', '--porcelain', '--untracked-files=all')
      .split('\n')
      .filter((l) => !l.includes('tasks/') && !l.includes('swarm.json'))
      .sort()
      .join('\n');

    const { summary } = await runSwarm(repo.root);

    assert.deepEqual([...summary.merged].sort(), ['one', 'three', 'two']);
    const after = snapshotFiles(repo.root);
    for (const [f, bytes] of Object.entries(snap)) assert.equal(after[f], bytes, `${f} unchanged`);
    for (const id of ['one', 'two', 'three'])
      assert.equal(readFileSync(repo.path('src', `${id}.txt`), 'utf8'), `${id}\n`, 'merged files appear in the checkout');
    assert.equal(repo.git('rev-parse', 'HEAD').trim(), repo.rev('main'));
    // Only the user's own changes are left: no reverse diff of the merged files.
    const statusAfter = repo
      .git('status', '--porcelain', '--untracked-files=all')
      .split('\n')
      .filter((l) => !l.includes('tasks/') && !l.includes('swarm.json'))
      .sort()
      .join('\n');
    assert.equal(statusAfter, status);
    assert.equal(repo.git('stash', 'list'), '', 'nothing stashed');
    assert.equal(repo.git('diff', '--cached'), cached, 'the staged change is still staged, exactly');
  });

  test('a merge touching a file the user edited waits (waiting_local_changes) and merges after the user commits', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('edit-shared', { agent: { files: { 'shared.txt': 'line 1\nline 2\nline 3 by the agent\n' } } });
    repo.write('shared.txt', 'line 1 by the user\nline 2\nline 3\n');
    const before = repo.rev('main');
    let waitingSeen = false;
    let userCommitted: string | undefined;
    const { summary, events } = await runSwarm(repo.root, {
      onEvent: (e) => {
        if (e.type === 'task_status' && e.status === 'waiting_local_changes' && !waitingSeen) {
          waitingSeen = true;
          // While it waits: main has not moved and the user's edit is intact.
          assert.equal(repo.rev('main'), before);
          assert.equal(repo.read('shared.txt'), 'line 1 by the user\nline 2\nline 3\n');
          setTimeout(() => {
            userCommitted = userCommit(repo.root, 'my edit', 'shared.txt');
          }, 200);
        }
      },
    });
    assert.ok(waitingSeen, 'the merge waited for the local changes');
    const wait = events.find((e) => e.type === 'merge_waiting')!;
    assert.ok(wait && wait.type === 'merge_waiting');
    assert.deepEqual(wait.files, ['shared.txt']);
    assert.deepEqual(summary.merged, ['edit-shared']);
    assert.equal(repo.read('shared.txt'), 'line 1 by the user\nline 2\nline 3 by the agent\n', 'both edits are there');
    assert.equal(repo.show('main', 'shared.txt'), 'line 1 by the user\nline 2\nline 3 by the agent\n');
    assert.ok(userCommitted && repo.git('merge-base', '--is-ancestor', userCommitted, 'main') === '');
    assert.equal(repo.git('status', '--porcelain', '--untracked-files=no'), '');
  });

  test('a merge adding a file the user has untracked waits until the user removes it', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('add-new', { agent: { files: { 'new.txt': 'from the agent\n' } } });
    repo.write('new.txt', "the user's own untracked file\n");
    let waited = false;
    const { summary, ws } = await runSwarm(repo.root, {
      onEvent: (e, w) => {
        if (e.type === 'task_status' && e.status === 'waiting_local_changes' && !waited) {
          waited = true;
          void w.needsYou().then((n) => {
            assert.equal(n[0]?.kind, 'local_changes');
            assert.equal(repo.read('new.txt'), "the user's own untracked file\n");
            setTimeout(() => rmSync(repo.path('new.txt')), 100);
          });
        }
      },
    });
    assert.ok(waited);
    assert.deepEqual(summary.merged, ['add-new']);
    assert.equal(repo.read('new.txt'), 'from the agent\n');
    assert.deepEqual(await ws.needsYou(), []);
  });

  test('the user is in the middle of a conflicted merge: the swarm waits without touching it, then merges after the user concludes', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.diverge();
    const m = userGit(repo.root, 'merge', 'side');
    assert.notEqual(m, 0, 'the user has a conflict');
    const conflicted = repo.read('shared.txt');
    assert.match(conflicted, /<<<<<<</);
    repo.writeTask('elsewhere', { agent: { files: { 'elsewhere.txt': 'e\n' } } });
    let checked = false;
    const { summary } = await runSwarm(repo.root, {
      onEvent: (e) => {
        if (e.type === 'merge_waiting' && !checked) {
          checked = true;
          assert.ok(existsSync(repo.path('.git', 'MERGE_HEAD')), "the user's merge is still in progress");
          assert.equal(repo.read('shared.txt'), conflicted);
          setTimeout(() => {
            repo.write('shared.txt', 'line 1\nline 2 resolved\nline 3\n');
            userCommit(repo.root, 'resolved', 'shared.txt');
          }, 200);
        }
      },
    });
    assert.ok(checked, 'the merge waited');
    assert.deepEqual(summary.merged, ['elsewhere']);
    assert.equal(repo.read('shared.txt'), 'line 1\nline 2 resolved\nline 3\n');
    assert.equal(repo.read('elsewhere.txt'), 'e\n');
    assert.equal(repo.git('status', '--porcelain', '--untracked-files=no'), '');
  });

  test("the user's ignored file at a path the change adds is never overwritten: the merge waits until the user moves it", async () => {
    const repo = newRepo();
    repo.write('.gitignore', 'local.cfg\n');
    userCommit(repo.root, 'ignore local.cfg', '.gitignore');
    repo.write('local.cfg', "the user's own settings\n");
    repo.writeConfig();
    // The change stops ignoring local.cfg and adds one of its own.
    repo.writeTask('adds-cfg', { agent: { files: { '.gitignore': '', 'local.cfg': 'from the agent\n' } } });
    let waited: string[] | undefined;
    const { summary } = await runSwarm(repo.root, {
      timeoutMs: 40_000,
      onEvent: (e) => {
        if (e.type === 'merge_waiting' && !waited) {
          waited = e.files;
          assert.equal(repo.read('local.cfg'), "the user's own settings\n");
          setTimeout(() => renameSync(repo.path('local.cfg'), join(repo.home, 'local.cfg.mine')), 2500); // after a retry or two
        }
      },
    });
    assert.deepEqual(waited, ['local.cfg']);
    assert.deepEqual(summary.merged, ['adds-cfg']);
    assert.equal(readFileSync(join(repo.home, 'local.cfg.mine'), 'utf8'), "the user's own settings\n");
    assert.equal(repo.read('local.cfg'), 'from the agent\n');
  });

  test('a swarm stopped while a merge waits leaves the task waiting; the next run merges it once the way is clear', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('later', { agent: { files: { 'README.md': 'agent readme\n' } } });
    repo.write('README.md', 'user readme in progress\n');
    const { summary } = await runSwarm(repo.root, {
      onEvent: (e, _ws, run) => {
        if (e.type === 'merge_waiting') setTimeout(() => void run.stop('user stopped'), 100);
      },
    });
    assert.deepEqual(summary.merged, []);
    assert.equal(repo.task('current', 'later')!.data.status, 'waiting_local_changes');
    assert.equal(repo.read('README.md'), 'user readme in progress\n');
    // The user throws their edit away (writing the committed content back), and runs again.
    repo.write('README.md', '# test repo\n');
    const second = await runSwarm(repo.root);
    assert.deepEqual(second.summary.merged, ['later'], JSON.stringify(second.events.filter((e) => !['worker_state'].includes(e.type))));
    assert.equal(repo.read('README.md'), 'agent readme\n');
    assert.equal(
      repo
        .git('log', '--merges', '--format=%s', 'main')
        .split('\n')
        .filter((s) => s.startsWith('Merge task later')).length,
      1,
    );
  });
  test('a retry of a waiting merge in flight when the swarm stops writes nothing after the run ends', async () => {
    // The merge retry runs beside the workers (waitingMerges.ts). Stopped while it is inside a git
    // call, the run must wait for it and the retry must not merge: a run that ended must not move
    // the task (or the base) afterwards, under the next run's feet.
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('later', { agent: { files: { 'README.md': 'agent readme\n' } } });
    repo.write('README.md', 'user readme in progress\n');
    const gate = join(repo.home, 'gate');
    const entered = join(repo.home, 'entered');
    const release = join(repo.home, 'release');
    const bin = join(repo.home, 'bin');
    mkdirSync(bin);
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    // Once the gate is open, the first `git worktree list` (the retry's look at the checkout) holds until released.
    writeFileSync(
      join(bin, 'git'),
      `#!/bin/sh\ncase "$*" in *"worktree list"*) if [ -e '${gate}' ] && mkdir '${entered}' 2>/dev/null; then while [ ! -e '${release}' ]; do sleep 0.02; done; fi;; esac\nexec '${realGit}' "$@"\n`,
    );
    chmodSync(join(bin, 'git'), 0o755);
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath}`;
    let ended = false;
    try {
      const { summary } = await runSwarm(repo.root, {
        onEvent: (e, _ws, run) => {
          if (e.type !== 'merge_waiting') return;
          writeFileSync(gate, '');
          void (async () => {
            while (!existsSync(entered)) await new Promise((r) => setTimeout(r, 10));
            void run.stop('user stopped');
            repo.write('README.md', '# test repo\n'); // the way is clear now, but this run has ended
            writeFileSync(release, '');
          })();
        },
      });
      ended = true;
      assert.deepEqual(summary.merged, []);
      const status = repo.task('current', 'later')?.data.status;
      const main = repo.rev('main');
      // Whatever was in flight has finished with the run: nothing changes after it (a window to
      // look in, not a wait for a state: with the rule kept, nothing can change in any window).
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(repo.task('current', 'later')?.data.status, status, 'the task file changed after the run ended');
      assert.equal(repo.rev('main'), main, 'the base moved after the run ended');
      assert.equal(status, 'waiting_local_changes');
    } finally {
      if (!ended) writeFileSync(release, '');
      process.env.PATH = oldPath;
    }
  });
});

describe("what the swarm runs in the user's checkout", { timeout: 300_000 }, () => {
  test('no reset --hard, checkout -f, clean or stash anywhere, through merges, a wait, a conflict and a cleanup', async () => {
    const repo = newRepo();
    // Every git command of this process and its agents goes through a logging wrapper.
    const bin = join(repo.home, 'bin');
    mkdirSync(bin);
    const log = join(repo.home, 'git-commands.log');
    const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
    writeFileSync(join(bin, 'git'), `#!/bin/sh\nprintf '%s\\t%s\\t%s\\n' "$PWD" "\${GIT_OPTIONAL_LOCKS:-}" "$*" >> '${log}'\nexec '${realGit}' "$@"\n`);
    chmodSync(join(bin, 'git'), 0o755);
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath}`;
    try {
      repo.writeConfig({ workers: [{ role: 'worker', harness: 'scripted', count: 2, iterations: 50 }] });
      repo.writeTask('c-first', { priority: 1, agent: { files: { 'shared.txt': 'line 1\nline 2 A\nline 3\n' } } });
      repo.writeTask('c-second', {
        priority: 2,
        agent: { files: { 'shared.txt': 'line 1\nline 2 B\nline 3\n' }, waitForMerge: 'c-first', rounds: { 2: { mergeBase: true, files: {} } } },
      });
      repo.writeTask('c-readme', { priority: 3, agent: { files: { 'README.md': 'agent\n' } } });
      repo.write('README.md', 'user edit\n');
      repo.write('mine.txt', 'untracked\n');
      const { summary } = await runSwarm(repo.root, {
        onEvent: (e) => {
          if (e.type === 'merge_waiting') setTimeout(() => repo.write('README.md', '# test repo\n'), 300);
        },
      });
      assert.deepEqual([...summary.merged].sort(), ['c-first', 'c-readme', 'c-second']);
      repo.git('worktree', 'add', '-q', '-b', 'swarm/w5/extra', repo.path('.swarm', 'worktrees', 'extra'));
      writeFileSync(repo.path('.swarm', 'worktrees', 'extra', 'x.txt'), 'x\n');
      await (await openWorkspace({ repo: repo.root })).cleanup({ dryRun: false });
    } finally {
      process.env.PATH = oldPath;
    }
    const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    assert.ok(lines.length > 50, "the wrapper saw the swarm's git commands");
    const forbidden = lines.filter((l) =>
      /\t(.* )?(reset --hard|reset --merge|checkout (-f|--force)|clean( |$)|stash( |$)|read-tree -u|checkout-index -f)/.test(l),
    );
    assert.deepEqual(forbidden, []);
    // In the user's checkout, the only command that changes files is merge --ff-only.
    const inCheckout = lines.filter((l) => l.split('\t')[0] === repo.root).map((l) => l.split('\t')[2]);
    // Polling the user's checkout never takes its index.lock (their own git commands must not fail).
    const statuses = lines.filter((l) => l.split('\t')[0] === repo.root && /^(-c \S+ )*status /.test(l.split('\t')[2]));
    assert.ok(statuses.length > 0, inCheckout.join('\n'));
    for (const l of statuses) assert.equal(l.split('\t')[1], '0', l);
    const writers = inCheckout.filter((a) => /^(-c \S+ )*(merge|checkout|switch|restore|reset|rm|mv|apply|am|rebase|cherry-pick|revert|commit)( |$)/.test(a));
    assert.ok(writers.length > 0, inCheckout.join('\n'));
    for (const w of writers) assert.match(w, /^-c core\.hooksPath=\/dev\/null (-c \S+ )*merge --ff-only /);
    assert.equal(repo.read('mine.txt'), 'untracked\n');
  });

  test('the user works on another branch: main moves by compare-and-swap; their branch and files are untouched', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write('README.md', 'feature work, uncommitted\n');
    const feature = repo.rev('feature');
    repo.writeTask('on-main', { agent: { files: { 'README.md': 'from the swarm\n' } } });
    const { summary } = await runSwarm(repo.root);
    assert.deepEqual(summary.merged, ['on-main']);
    assert.equal(repo.show('main', 'README.md'), 'from the swarm\n');
    assert.equal(repo.rev('feature'), feature);
    assert.equal(repo.git('symbolic-ref', '--short', 'HEAD').trim(), 'feature');
    assert.equal(repo.read('README.md'), 'feature work, uncommitted\n');
    assert.match(repo.git('reflog', 'show', '-1', '--format=%gs', 'refs/heads/main'), /swarm: merge on-main/);
  });
});

describe('merge conflicts (hazard 3)', { timeout: 300_000 }, () => {
  test('two tasks editing the same line: the second goes back to its worker with the file named, main untouched, then merges', async () => {
    const repo = newRepo();
    repo.writeConfig({ workers: [{ role: 'worker', harness: 'scripted', count: 2, iterations: 50 }] });
    repo.writeTask('first', { priority: 1, agent: { files: { 'shared.txt': 'line 1\nline 2 FIRST\nline 3\n' } } });
    repo.writeTask('second', {
      priority: 2,
      agent: { files: { 'shared.txt': 'line 1\nline 2 SECOND\nline 3\n' }, waitForMerge: 'first', rounds: { 2: { mergeBase: true, files: {} } } },
    });
    let mainAtConflict: string | undefined;
    let statusAtConflict: string | undefined;
    const { summary, events } = await runSwarm(repo.root, {
      onEvent: (e) => {
        if (e.type === 'merge_conflict') {
          mainAtConflict = repo.rev('main');
          statusAtConflict = repo.git('status', '--porcelain', '--untracked-files=no');
        }
      },
    });
    const conflict = events.find((e) => e.type === 'merge_conflict');
    assert.ok(conflict && conflict.type === 'merge_conflict', 'a conflict happened');
    assert.equal(conflict.taskId, 'second');
    assert.deepEqual(conflict.files, ['shared.txt']);
    // At the conflict, main was exactly "first" merged, and nothing half-merged anywhere.
    const firstMerge = events.find((e) => e.type === 'task_merged' && e.taskId === 'first');
    assert.ok(firstMerge && firstMerge.type === 'task_merged');
    assert.equal(mainAtConflict, firstMerge.commit);
    assert.equal(statusAtConflict, '');
    assert.ok(!existsSync(repo.path('.git', 'MERGE_HEAD')));
    // The fix round named the file and the way out.
    const fix = repo.calls().filter((c) => c.task === 'second' && c.role === 'worker')[1];
    assert.ok(fix, 'second got a fix round');
    assert.match(fix.prompt, /conflicts in: shared\.txt/);
    assert.match(fix.prompt, /started merging main[\s\S]*conflict markers:\n- shared\.txt/); // the integration round (issue 14 item 2)
    // Both end up merged, second after resolving (keeping its line).
    assert.deepEqual([...summary.merged].sort(), ['first', 'second']);
    assert.equal(repo.show('main', 'shared.txt'), 'line 1\nline 2 SECOND\nline 3\n');
    assert.equal(repo.read('shared.txt'), 'line 1\nline 2 SECOND\nline 3\n');
    const st = repo.state('second')!;
    assert.equal(st.conflictRounds, 1);
    assert.equal(repo.git('status', '--porcelain', '--untracked-files=no'), '');
  });

  test('a conflict that is never resolved ends blocked for the user after max_rounds, with main untouched', async () => {
    const repo = newRepo();
    repo.writeConfig({ workers: [{ role: 'worker', harness: 'scripted', count: 2, iterations: 50 }], review: { max_rounds: 1 } });
    repo.writeTask('aaa', { priority: 1, agent: { files: { 'shared.txt': 'A\n' } } });
    repo.writeTask('bbb', {
      priority: 2,
      agent: { files: { 'shared.txt': 'B\n' }, waitForMerge: 'aaa', rounds: { 2: { abortMerge: true, files: { 'shared.txt': 'B\n' } } } },
    });
    const { summary } = await runSwarm(repo.root);
    assert.deepEqual(summary.merged, ['aaa']);
    assert.equal(repo.show('main', 'shared.txt'), 'A\n');
    assert.deepEqual(summary.blocked, ['bbb']);
    assert.match(String(repo.task('current', 'bbb')!.data.question), /conflicts with main in shared\.txt/);
    assert.equal(
      repo.show('refs/heads/swarm/w2/bbb', 'shared.txt') ?? repo.show('refs/heads/swarm/w1/bbb', 'shared.txt'),
      'B\n',
      'its work is kept on its branch',
    );
  });
});
