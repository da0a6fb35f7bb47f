// Task files as data (hazard 13): malformed files quarantined with a reason, never executed or
// deleted; blocked tasks keep their question and the answer reaches the agent; cleanup never
// deletes unmerged work (hazard 4).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newRepo, TestRepo, runSwarm, git, cli } from '../helpers/repo';
import { openWorkspace } from '../../src/swarm/workspace';

describe('malformed task files', { timeout: 300_000 }, () => {
  test('quarantined with a reason file, byte for byte, never executed; good tasks still run', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('good');
    const marker = join(repo.home, 'PWNED');
    const bad: Record<string, string> = {
      'bad-yaml.md': '---\ntitle: [unclosed\n---\nbody\n',
      'js-front.md': `---js\n{ title: (function () { require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); return 'pwned'; })() }\n---\nbody\n`,
      'Bad_Name.md': '---\ntitle: Upper case id\n---\nbody\n',
      'bad-deps.md': '---\ntitle: deps\ndepends_on: {a: 1}\n---\nbody\n',
      'bad-priority.md': '---\ntitle: p\npriority: high\n---\nbody\n',
      'id-mismatch.md': '---\nid: other\ntitle: x\n---\nbody\n',
      'not-a-branch.lock.md': '---\ntitle: x\n---\nbody\n',
      'aliases.md': '---\ntitle: x\na: &a [1, 2]\nb: [*a, *a]\n---\nbody\n',
    };
    for (const [name, text] of Object.entries(bad)) repo.write(`tasks/pending/${name}`, text);
    const { summary, events } = await runSwarm(repo.root);
    assert.deepEqual(summary.merged, ['good']);
    assert.equal(existsSync(marker), false, 'no frontmatter code ran');
    const reasons: Record<string, RegExp> = {
      'bad-yaml.md': /frontmatter: not valid YAML/,
      'js-front.md': /not allowed \(YAML only\)/,
      'Bad_Name.md': /id: the file name must be a task id/,
      'bad-deps.md': /depends_on: expected a task id or a list/,
      'bad-priority.md': /priority: expected a number/,
      'id-mismatch.md': /frontmatter id "other" differs/,
      'not-a-branch.lock.md': /cannot name a git branch/,
      'aliases.md': /anchors and aliases/,
    };
    for (const [name, text] of Object.entries(bad)) {
      const q = repo.path('tasks', 'quarantine', name);
      assert.equal(readFileSync(q, 'utf8'), text, `${name} kept byte for byte`);
      assert.match(readFileSync(`${q}.reason.txt`, 'utf8'), reasons[name]);
      assert.equal(existsSync(repo.path('tasks', 'pending', name)), false);
      assert.ok(
        events.some((e) => e.type === 'task_quarantined' && e.file.endsWith(name)),
        `${name} quarantine event`,
      );
    }
    assert.equal(repo.calls().filter((c) => c.role === 'worker').length, 1, 'only the good task reached an agent');
    const ws = await openWorkspace({ repo: repo.root });
    assert.equal((await ws.listTasks()).quarantined.length, Object.keys(bad).length);
  });

  test('quarantine never overwrites an earlier quarantined file of the same name', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.write('tasks/quarantine/dup.md', 'the first bad file\n');
    repo.write('tasks/quarantine/dup.md.reason.txt', 'earlier\n');
    repo.write('tasks/pending/dup.md', '---\ntitle: [\n---\nsecond\n');
    await runSwarm(repo.root);
    assert.equal(repo.read('tasks/quarantine/dup.md'), 'the first bad file\n');
    assert.equal(repo.read('tasks/quarantine/dup.1.md'), '---\ntitle: [\n---\nsecond\n');
  });

  test('a new task reusing the id of a completed one is set aside (quarantined), never merged twice or mixed up', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('again', { agent: { files: { 'v.txt': 'first\n' } } });
    await runSwarm(repo.root);
    const main = repo.rev('main');
    const completed = repo.read('tasks/complete/again.md');
    const second = repo.writeTask('again', { agent: { files: { 'v.txt': 'second\n' } } });
    const text = readFileSync(second, 'utf8');
    const { summary, events } = await runSwarm(repo.root);
    assert.deepEqual([summary.merged, summary.blocked, summary.failed], [[], [], []]);
    assert.equal(repo.rev('main'), main);
    assert.equal(repo.read('tasks/complete/again.md'), completed, 'the completed task is untouched');
    assert.equal(repo.read('tasks/quarantine/again.md'), text, 'the new one is kept byte for byte');
    assert.match(repo.read('tasks/quarantine/again.md.reason.txt'), /already in tasks\/complete; rename this file/);
    assert.ok(events.some((e) => e.type === 'task_quarantined'));
    assert.equal(repo.calls().filter((c) => c.role === 'worker').length, 1);
  });

  test('an oversized task file is quarantined, not read into a prompt', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.write('tasks/pending/huge.md', `---\ntitle: huge\n---\n${'x'.repeat(300 * 1024)}\n`);
    await runSwarm(repo.root);
    assert.match(repo.read('tasks/quarantine/huge.md.reason.txt'), /larger than/);
    assert.equal(repo.calls().length, 0);
  });
});

describe('blocked tasks', { timeout: 300_000 }, () => {
  test('BLOCKED: line keeps the question; `answer` resumes it and the agent gets the answer', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('ask', { agent: { blocked: 'Which colour should it be?', files: { 'colour.txt': 'blue\n' } } });
    const first = await runSwarm(repo.root);
    assert.deepEqual(first.summary.blocked, ['ask']);
    const t = repo.task('current', 'ask')!;
    assert.equal(t.data.status, 'blocked');
    assert.equal(t.data.question, 'Which colour should it be?');
    assert.ok(first.events.some((e) => e.type === 'task_blocked' && e.question === 'Which colour should it be?'));
    const ws = await openWorkspace({ repo: repo.root });
    const needs = await ws.needsYou();
    assert.deepEqual(
      needs.map((n) => [n.kind, n.taskId, n.question]),
      [['question', 'ask', 'Which colour should it be?']],
    );
    await assert.rejects(ws.answer('ask', '   '), /empty/);
    await ws.answer('ask', 'ANSWER-IS-BLUE');
    assert.equal(repo.task('current', 'ask')!.data.answer, 'ANSWER-IS-BLUE');
    assert.equal(repo.task('current', 'ask')!.data.question, 'Which colour should it be?', 'the question is kept with the answer');

    const second = await runSwarm(repo.root);
    assert.deepEqual(second.summary.merged, ['ask']);
    const resumed = repo
      .calls()
      .filter((c) => c.role === 'worker')
      .pop()!;
    assert.match(resumed.prompt, /Question: Which colour should it be\?\nAnswer: ANSWER-IS-BLUE/);
    assert.equal(repo.show('main', 'colour.txt'), 'blue\n');
  });

  test('a BLOCKED.md file blocks the task; it never merges; answering a task that is not blocked is refused', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('askfile', { agent: { blockedFile: 'Is the API v1 or v2?', files: { 'api.txt': 'v2\n' } } });
    await runSwarm(repo.root);
    assert.equal(repo.task('current', 'askfile')!.data.question, 'Is the API v1 or v2?');
    const ws = await openWorkspace({ repo: repo.root });
    await assert.rejects(ws.answer('nope', 'x'), /not waiting for an answer/);
    await ws.answer('askfile', 'v2');
    await assert.rejects(ws.answer('askfile', 'again'), /not waiting for an answer/);
    const { summary } = await runSwarm(repo.root);
    assert.deepEqual(summary.merged, ['askfile']);
    assert.ok(!repo.lsTree('main').includes('BLOCKED.md'), 'BLOCKED.md is a signal, not part of the change');
    assert.equal(repo.show('main', 'api.txt'), 'v2\n');
  });

  test('an answered task waiting in current is taken by exactly one of several workers starting at once', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('once', { agent: { blocked: 'Go?', files: { 'once.txt': 'once\n' } } });
    await runSwarm(repo.root);
    const ws = await openWorkspace({ repo: repo.root });
    await ws.answer('once', 'go');
    const before = repo.calls().filter((c) => c.task === 'once' && c.role === 'worker').length;
    // Four workers list tasks/current at the same moment; each must see the task as taken once another has it.
    repo.writeConfig({ workers: [{ role: 'worker', harness: 'scripted', count: 4, iterations: 50 }] });
    const { summary } = await runSwarm(repo.root);
    assert.deepEqual(summary.merged, ['once']);
    assert.equal(repo.calls().filter((c) => c.task === 'once' && c.role === 'worker').length - before, 1, 'one worker turn after the answer');
    assert.equal(repo.calls().filter((c) => c.task === 'once' && c.role === 'reviewer').length, 1, 'one review');
  });

  test('task ids from the outside (CLI, extension) never reach paths outside the task folders', async () => {
    const repo = newRepo();
    repo.writeConfig();
    // A file that looks like a blocked task, two folders above tasks/current/.
    const evil = '---\ntitle: not a task\nstatus: blocked\nquestion: gotcha\n---\nbody\n';
    repo.write('evil.md', evil);
    const ws = await openWorkspace({ repo: repo.root });
    await assert.rejects(ws.answer('../../evil', 'overwrite it'), /not a task id/);
    await assert.rejects(ws.retry('../../evil'), /not a task id/);
    assert.equal(await ws.taskState('../../evil'), undefined);
    assert.deepEqual(await ws.decide({ taskId: '../../evil', kind: 'approve', sha: 'x'.repeat(40) }), { ok: false, reason: 'invalid', detail: 'bad task id' });
    assert.equal(repo.read('evil.md'), evil, 'untouched');
    assert.ok(!existsSync(repo.path('evil')), 'no state written outside .swarm/tasks');
    const r = cli(['review', 'answer', '../../evil', 'hi', '--repo', repo.root]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not a task id/);
    assert.equal(repo.read('evil.md'), evil);
  });

  test('an answer given while the swarm waits (waitForHumans) is picked up by the running swarm', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('live', { agent: { blocked: 'Go?', files: { 'go.txt': 'go\n' } } });
    const { summary } = await runSwarm(repo.root, {
      run: { waitForHumans: true },
      onEvent: (e, ws) => {
        if (e.type === 'task_blocked') setTimeout(() => void ws.answer('live', 'yes, go'), 100);
      },
    });
    assert.deepEqual(summary.merged, ['live']);
    assert.equal(summary.reason, 'no work left');
  });
});

describe('agents and the task hub', { timeout: 300_000 }, () => {
  test('an agent that moves its own task file to complete/ (as oompa prompts ask) or deletes it: the swarm keeps the task and completes it properly', async () => {
    const repo = newRepo();
    const mover = repo.script(
      'mover.cjs',
      `
      const fs = require('fs'); const path = require('path'); try { fs.readFileSync(0); } catch {}
      if (process.env.SWARM_ROLE === 'reviewer') { console.log('VERDICT: APPROVED'); process.exit(0); }
      const id = process.env.SWARM_TASK_ID;
      fs.writeFileSync(id + '.txt', id + '\\n');
      const f = process.env.SWARM_TASK_FILE;
      if (id === 'mover') fs.renameSync(f, path.join(process.env.SWARM_TASKS_DIR, 'complete', path.basename(f)));
      else fs.unlinkSync(f);
      console.log('COMPLETE_AND_READY_FOR_MERGE');
    `,
    );
    repo.writeConfig({
      workers: [{ role: 'worker', harness: 'mv', count: 1 }],
      review: { harness: 'mv' },
      harnesses: { mv: { command: [process.execPath, mover] } },
      sandbox: { mode: 'off' } /* no sandbox: sandboxed, tasks/current is read-only and the move fails; this tests what the engine does when it succeeds */,
    });
    repo.writeTask('mover', { priority: 1 });
    repo.writeTask('deleter', { priority: 2 });
    const { summary, events } = await runSwarm(repo.root);
    assert.equal(summary.reason, 'no work left');
    assert.deepEqual(summary.merged, ['mover', 'deleter']);
    for (const id of ['mover', 'deleter']) {
      const t = repo.task('complete', id)!;
      assert.equal(t.data.completed_by, 'w1', `${id} is annotated by the swarm`);
      assert.equal(t.data.merged_commit, repo.git('log', '--format=%H', '--grep', `Merge task ${id}:`, 'main').trim());
      assert.equal(t.data.status, undefined);
      assert.match(t.content, new RegExp(`Do task ${id}`), 'the body is kept');
    }
    assert.ok(events.some((e) => e.type === 'log' && /the worker of mover moved its task file/.test(e.message)));
    assert.ok(events.some((e) => e.type === 'log' && /the worker of deleter deleted its task file/.test(e.message)));
  });
});

describe('cleanup (hazard 4)', { timeout: 300_000 }, () => {
  /** An orphan as a crashed run leaves it: a worktree on a swarm branch with a commit, an edit and an untracked file. */
  function orphan(repo: TestRepo): { wt: string; committed: string } {
    const wt = repo.path('.swarm', 'worktrees', 'orphan');
    repo.git('worktree', 'add', '-q', '-b', 'swarm/w9/orphan', wt);
    writeFileSync(join(wt, 'committed.txt'), 'committed work\n');
    git(wt, 'add', '-A');
    git(wt, '-c', 'user.name=A', '-c', 'user.email=a@example.invalid', 'commit', '-q', '-m', 'agent work');
    writeFileSync(join(wt, 'README.md'), 'uncommitted edit\n');
    writeFileSync(join(wt, 'untracked.txt'), 'untracked work\n');
    return { wt, committed: git(wt, 'rev-parse', 'HEAD').trim() };
  }

  test('--dry-run lists what it would do and changes nothing; cleanup archives unmerged work before deleting', async () => {
    const repo = newRepo();
    repo.writeConfig();
    const { wt, committed } = orphan(repo);
    // A merged leftover branch: nothing to keep.
    repo.git('branch', 'swarm/w9/merged', 'main');
    const refsBefore = repo.git('for-each-ref');
    const ws = await openWorkspace({ repo: repo.root });

    const dry = await ws.cleanup({ dryRun: true });
    assert.equal(dry.dryRun, true);
    const a = dry.actions.find((x) => x.branch === 'swarm/w9/orphan')!;
    assert.equal(a.action, 'archive_and_remove');
    assert.match(a.archivedRef!, /^refs\/swarm\/archive\/orphan\//);
    const m = dry.actions.find((x) => x.branch === 'swarm/w9/merged')!;
    assert.equal(m.action, 'remove');
    assert.equal(repo.git('for-each-ref'), refsBefore, 'dry run wrote no ref');
    assert.equal(readFileSync(join(wt, 'README.md'), 'utf8'), 'uncommitted edit\n');
    assert.equal(readFileSync(join(wt, 'untracked.txt'), 'utf8'), 'untracked work\n');
    assert.equal(git(wt, 'status', '--porcelain').split('\n').filter(Boolean).length, 2, 'the worktree index is untouched');

    const real = await ws.cleanup({ dryRun: false });
    const ra = real.actions.find((x) => x.branch === 'swarm/w9/orphan')!;
    assert.equal(ra.action, 'archive_and_remove');
    assert.ok(real.freedBytes > 0);
    const ref = ra.archivedRef!;
    assert.ok(repo.rev(ref), 'the archive ref exists');
    assert.equal(repo.show(ref, 'committed.txt'), 'committed work\n');
    assert.equal(repo.show(ref, 'README.md'), 'uncommitted edit\n', 'uncommitted edits are in the archive');
    assert.equal(repo.show(ref, 'untracked.txt'), 'untracked work\n', 'untracked files are in the archive');
    assert.equal(repo.git('rev-parse', `${ref}^`).trim(), committed);
    assert.equal(existsSync(wt), false, 'the worktree is removed');
    assert.equal(repo.rev('refs/heads/swarm/w9/orphan'), undefined);
    assert.equal(repo.rev('refs/heads/swarm/w9/merged'), undefined);
    assert.deepEqual(repo.refs('refs/swarm/archive/merged/'), [], 'merged work needs no archive');
    // The user's checkout is untouched.
    assert.equal(repo.read('README.md'), '# test repo\n');
  });

  test('cleanup keeps the worktree of a task still in current (waiting for review)', async () => {
    const repo = newRepo();
    repo.writeConfig({ review: { mode: 'human' } });
    repo.writeTask('waiting');
    await runSwarm(repo.root);
    const ws = await openWorkspace({ repo: repo.root });
    const r = await ws.cleanup({ dryRun: false });
    const keep = r.actions.find((a) => a.branch === 'swarm/w1/waiting')!;
    assert.equal(keep.action, 'keep');
    assert.ok(existsSync(repo.path('.swarm', 'worktrees', 'waiting')));
    assert.ok(repo.rev('refs/heads/swarm/w1/waiting'));
  });

  test('cleanup keeps the branch and worktree of a failed task back in pending (the next worker continues there)', async () => {
    const repo = newRepo();
    repo.writeConfig({ workers: [{ role: 'worker', harness: 'scripted', count: 1, iterations: 1 }], limits: { max_attempts: 5 } });
    repo.writeTask('flaky', { agent: { files: { 'wip.txt': 'half done\n' }, exit: 1 } });
    await runSwarm(repo.root);
    assert.equal(repo.task('pending', 'flaky')!.data.branch, 'swarm/w1/flaky');
    const ws = await openWorkspace({ repo: repo.root });
    const r = await ws.cleanup({ dryRun: false });
    assert.equal(r.actions.find((a) => a.branch === 'swarm/w1/flaky')?.action, 'keep');
    assert.equal(repo.show('refs/heads/swarm/w1/flaky', 'wip.txt'), 'half done\n', "the failed turn's work is committed on its branch");
  });
});
