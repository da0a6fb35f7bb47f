// Crash and Ctrl-C mid-run (hazard 5): the next start reconciles from the journal — no task lost,
// duplicated or merged twice, no stray agent process left running.

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, writeFileSync, linkSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { newRepo, TestRepo, runSwarm, spawnCli, cli, ensureCli, waitFor, alive, countBy, killedAfterAll } from '../helpers/repo';
import { openWorkspace } from '../../src/swarm/workspace';
import { MergeQueue } from '../../src/swarm/merge';
import { Git } from '../../src/swarm/git';
import { TaskStore } from '../../src/swarm/tasks';
import { spawn } from 'node:child_process';

const pids = killedAfterAll();
before(() => {
  ensureCli();
});

const sleeperPid = (repo: TestRepo, task: string) => {
  const f = join(repo.logDir, `sleeper-${task}.pid`);
  return existsSync(f) ? Number(readFileSync(f, 'utf8')) : undefined;
};

function assertEachMergedOnce(repo: TestRepo, ids: string[]): void {
  const merged = repo.journal().filter((e) => e.type === 'task_merged') as { taskId: string }[];
  assert.deepEqual(
    countBy(merged, (e) => e.taskId),
    Object.fromEntries(ids.map((id) => [id, 1])),
    'each task merged once (journal)',
  );
  const subjects = repo.git('log', '--merges', '--format=%s', 'main').split('\n').filter(Boolean);
  for (const id of ids) assert.equal(subjects.filter((s) => s.startsWith(`Merge task ${id}:`)).length, 1, `one merge commit for ${id}`);
  assert.deepEqual(repo.taskIds('complete'), [...ids].sort());
  assert.deepEqual(repo.taskIds('pending'), []);
  assert.deepEqual(repo.taskIds('current'), []);
}

describe('crash and restart', { timeout: 300_000 }, () => {
  test('SIGKILL of `swarm run` mid-turn: recovery kills the stray agent group, then every task completes exactly once', async () => {
    const repo = newRepo();
    repo.writeConfig({
      workers: [{ role: 'worker', harness: 'scripted', count: 3, iterations: 50 }],
      sandbox: { mode: 'off' } /* without the sandbox agents outlive a crash; with it they die with it (test/integration/sandbox.test.ts) */,
    });
    repo.writeTask('slow-empty', { priority: 1, agent: { files: { 'slow-empty.txt': 'se\n' }, sleeper: true, sleeperWaitMs: 60_000 } });
    repo.writeTask('slow-wip', {
      priority: 1,
      agent: { preFiles: { 'wip.txt': 'work in progress\n' }, files: { 'wip.txt': 'finished\n' }, sleepFirstMs: 60_000 },
    });
    for (const id of ['fast-1', 'fast-2', 'fast-3']) repo.writeTask(id, { priority: 5 });

    const { child, done } = spawnCli(['run', '--repo', repo.root]);
    pids.push(child.pid!);
    // Mid-run: both slow agents are in their turn, and at least one fast task has merged.
    const sleeper = await waitFor(() => sleeperPid(repo, 'slow-empty'), 20_000, 'the slow agent to start its sleeper');
    pids.push(sleeper);
    await waitFor(
      () => repo.calls().some((c) => c.task === 'slow-wip') && existsSync(repo.path('.swarm', 'worktrees', 'slow-wip', 'wip.txt')),
      20_000,
      'slow-wip in progress',
    );
    await waitFor(() => repo.journal().some((e) => e.type === 'task_merged'), 20_000, 'a first merge');
    const agents = repo
      .calls()
      .filter((c) => c.task.startsWith('slow-'))
      .map((c) => c.pid);
    pids.push(...agents);
    child.kill('SIGKILL');
    const r = await done;
    assert.equal(r.signal, 'SIGKILL');
    // The agents outlive the crash (own process groups): that is what recovery must clean up.
    assert.ok(agents.every(alive), 'the agents were still running after the crash');
    assert.ok(alive(sleeper));
    assert.ok(existsSync(repo.path('.swarm', 'lock')), 'a stale lock is left behind');
    const currentAtCrash = repo.taskIds('current');
    assert.ok(currentAtCrash.includes('slow-empty') && currentAtCrash.includes('slow-wip'));

    const second = cli(['run', '--repo', repo.root], { timeoutMs: 60_000 });
    assert.equal(second.status, 0, second.stderr + second.stdout);
    assert.match(second.stdout, /recovered an earlier run/);
    const recovered = repo.journal().find((e) => e.type === 'run_recovered');
    assert.ok(recovered && recovered.type === 'run_recovered');
    for (const p of agents) assert.ok(recovered.killedPids.includes(p), `recovery killed agent ${p}`);
    assert.ok(recovered.resumed.includes('slow-wip'), 'work in progress resumed');
    assert.ok(recovered.returnedToPending.includes('slow-empty') || recovered.resumed.includes('slow-empty'));
    await waitFor(() => !agents.some(alive) && !alive(sleeper), 5_000, 'agents and their children to be gone');

    assertEachMergedOnce(repo, ['fast-1', 'fast-2', 'fast-3', 'slow-empty', 'slow-wip']);
    assert.equal(repo.show('main', 'wip.txt'), 'finished\n');
    assert.equal(repo.show('main', 'slow-empty.txt'), 'se\n');
    assert.ok(!existsSync(repo.path('.swarm', 'lock')), 'the lock is released');
    // Claims: a task returned to pending by recovery is claimed again, never by two workers at once.
    const claims = repo.journal().filter((e) => e.type === 'task_claimed') as { taskId: string; runId: string }[];
    for (const id of ['fast-1', 'fast-2', 'fast-3']) assert.ok(claims.filter((c) => c.taskId === id).length <= 2);
  });

  test('Ctrl-C (SIGINT) of `swarm run`: exit 130, agents killed, state resumable; the next run finishes', async () => {
    const repo = newRepo();
    repo.writeConfig({
      workers: [{ role: 'worker', harness: 'scripted', count: 2, iterations: 50 }],
      sandbox: { mode: 'off' } /* without the sandbox agents outlive a crash; with it they die with it (test/integration/sandbox.test.ts) */,
    });
    repo.writeTask('interrupted-a', { agent: { files: { 'ia.txt': 'a\n' }, sleeper: true, sleeperWaitMs: 60_000 } });
    repo.writeTask('interrupted-b', { agent: { preFiles: { 'ib.txt': 'draft\n' }, files: { 'ib.txt': 'b\n' }, sleepFirstMs: 60_000 } });
    const { child, done } = spawnCli(['run', '--repo', repo.root]);
    pids.push(child.pid!);
    const sleeper = await waitFor(() => sleeperPid(repo, 'interrupted-a'), 20_000, 'agent a in its turn');
    pids.push(sleeper);
    await waitFor(() => existsSync(repo.path('.swarm', 'worktrees', 'interrupted-b', 'ib.txt')), 20_000, 'agent b in its turn');
    const agents = repo.calls().map((c) => c.pid);
    pids.push(...agents);
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /stopping/);
    await waitFor(() => !agents.some(alive) && !alive(sleeper), 5_000, 'agents and their children killed by the stop');
    for (const id of ['interrupted-a', 'interrupted-b']) assert.equal(repo.task('current', id)!.data.status, 'interrupted');
    assert.ok(!existsSync(repo.path('.swarm', 'lock')));
    const lastRun = repo
      .journal()
      .filter((e) => e.type === 'run_finished')
      .pop();
    assert.ok(lastRun && lastRun.type === 'run_finished' && /Ctrl-C/.test(lastRun.summary.reason ?? ''));

    const second = cli(['run', '--repo', repo.root], { timeoutMs: 60_000 });
    assert.equal(second.status, 0, second.stderr);
    assertEachMergedOnce(repo, ['interrupted-a', 'interrupted-b']);
    assert.equal(repo.show('main', 'ib.txt'), 'b\n');
  });

  test('interrupted during review (Ctrl-C or crash): the next run reviews the same commit again, without another worker turn', async () => {
    for (const how of ['SIGINT', 'SIGKILL'] as const) {
      const repo = newRepo();
      repo.writeConfig();
      repo.writeTask('in-review', { agent: { files: { 'r.txt': 'r\n' }, reviewSleepFirstMs: 60_000 } });
      const { child, done } = spawnCli(['run', '--repo', repo.root]);
      pids.push(child.pid!);
      await waitFor(() => repo.calls().some((c) => c.role === 'reviewer'), 20_000, 'the review to start');
      pids.push(...repo.calls().map((c) => c.pid));
      child.kill(how);
      const r = await done;
      if (how === 'SIGINT') assert.equal(r.code, 130);
      const sha = repo.state('in-review')!.headSha as string;
      assert.ok(sha);
      const second = cli(['run', '--repo', repo.root], { timeoutMs: 60_000 });
      assert.equal(second.status, 0, second.stderr);
      assert.deepEqual(repo.taskIds('complete'), ['in-review'], how);
      assert.equal(repo.calls().filter((c) => c.role === 'worker').length, 1, `${how}: the finished work is not redone`);
      assert.equal(repo.calls().filter((c) => c.role === 'reviewer').length, 2);
      assert.equal(repo.git('rev-parse', `${repo.task('complete', 'in-review')!.data.merged_commit}^2`).trim(), sha, `${how}: the reviewed commit merged`);
    }
  });

  test('a stray agent that ignores SIGTERM is SIGKILLed by recovery even when the next run is short', async () => {
    const repo = newRepo();
    const pidFile = join(repo.logDir, 'stubborn.pid');
    const stubborn = repo.script(
      'stubborn.cjs',
      `
      const fs = require('fs');
      try { fs.readFileSync(0); } catch {}
      process.on('SIGTERM', () => {});
      fs.writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
      setTimeout(() => {}, 60000);
    `,
    );
    const harnesses = repo.config().harnesses as object;
    repo.writeConfig({
      workers: [{ role: 'worker', harness: 'stub', count: 1 }],
      harnesses: { ...harnesses, stub: { command: [process.execPath, stubborn] } },
      sandbox: { mode: 'off' } /* without the sandbox agents outlive a crash; with it they die with it (test/integration/sandbox.test.ts) */,
    });
    repo.writeTask('stuck');
    const { child, done } = spawnCli(['run', '--repo', repo.root]);
    pids.push(child.pid!);
    const pid = await waitFor(() => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0), 20_000, 'the agent');
    pids.push(pid);
    await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGKILL');
    await done;
    assert.ok(alive(pid));
    // The next run has nothing to do but recover: it ends quickly.
    repo.writeConfig({
      workers: [{ role: 'planner', harness: 'quick', count: 1 }],
      harnesses: { ...harnesses, quick: { command: [process.execPath, '-e', 'console.log("__DONE__")'] } },
    });
    const r = cli(['run', '--repo', repo.root]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`killed stray agents ${pid}`));
    assert.equal(alive(pid), false, 'the stray agent is gone when the run has ended');
    assert.deepEqual(repo.taskIds('pending'), ['stuck']);
  });

  test('a crash between moving main and completing the task: the restart completes it without merging twice', async () => {
    const repo = newRepo();
    repo.writeConfig({ review: { mode: 'human' } });
    repo.writeTask('half', { agent: { files: { 'half.txt': 'h\n' } } });
    await runSwarm(repo.root);
    const st = repo.state('half')!;
    const sha = st.headSha as string;
    // What the merge queue did before the "crash": main moved; the task still says merging.
    const g = new Git(repo.root);
    await g.identity(); // no git identity here: the swarm's fallback, as the engine does
    const merged = await new MergeQueue(g, 'main').merge({ taskId: 'half', title: 'Task half', sha });
    assert.equal(merged.kind, 'merged');
    const commit = (merged as { commit: string }).commit;
    st.status = 'merging';
    writeFileSync(repo.path('.swarm', 'tasks', 'half', 'state.json'), JSON.stringify(st));
    await new TaskStore(repo.root, 'tasks').update('half', 'current', { status: 'merging' });

    const { events } = await runSwarm(repo.root);
    const rec = events.find((e) => e.type === 'run_recovered');
    assert.ok(rec && rec.type === 'run_recovered' && rec.completed.includes('half'));
    assert.equal(events.filter((e) => e.type === 'merge_started').length, 0, 'no second merge');
    assert.equal(repo.rev('main'), commit);
    const t = repo.task('complete', 'half')!;
    assert.equal(t.data.merged_commit, commit);
    assert.match(String(t.data.note), /before a restart/);
  });

  test('a crash in the middle of a task file move (two names for one file) is repaired at the next start', async () => {
    // Moves are link(new) + unlink(old): a crash between the two leaves the file in two folders.
    const claimCut = newRepo();
    claimCut.writeConfig();
    claimCut.writeTask('claimed');
    mkdirSync(claimCut.path('tasks', 'current'), { recursive: true });
    linkSync(claimCut.path('tasks', 'pending', 'claimed.md'), claimCut.path('tasks', 'current', 'claimed.md'));
    const a = await runSwarm(claimCut.root);
    assert.equal(a.summary.reason, 'no work left');
    assert.deepEqual(a.summary.merged, ['claimed']);
    assert.deepEqual([claimCut.taskIds('pending'), claimCut.taskIds('current'), claimCut.taskIds('complete')], [[], [], ['claimed']]);

    const completeCut = newRepo();
    completeCut.writeConfig();
    completeCut.writeTask('finished');
    await runSwarm(completeCut.root);
    const main = completeCut.rev('main');
    linkSync(completeCut.path('tasks', 'complete', 'finished.md'), completeCut.path('tasks', 'current', 'finished.md'));
    const b = await runSwarm(completeCut.root);
    assert.deepEqual([b.summary.merged, b.summary.blocked, b.summary.failed], [[], [], []]);
    assert.deepEqual([completeCut.taskIds('pending'), completeCut.taskIds('current'), completeCut.taskIds('complete')], [[], [], ['finished']]);
    assert.equal(completeCut.rev('main'), main, 'nothing redone');
    assert.equal(completeCut.calls().filter((c) => c.role === 'worker').length, 1);
    assert.ok(b.events.some((e) => e.type === 'log' && /finished had a second name/.test(e.message)));
  });

  test('pid reuse: recovery never kills (and the run lock never trusts) an unrelated process that got a recorded pid', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('reused');
    // An unrelated process of the user, in its own group.
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { detached: true, stdio: 'ignore' });
    pids.push(other.pid!);
    // A claimed task whose journaled agent has that pid, but another start time (pid reused).
    const store = new TaskStore(repo.root, 'tasks');
    await store.ensureDirs();
    await store.claim('reused', { status: 'running', claimed_by: 'w1', branch: 'swarm/w1/reused' });
    mkdirSync(repo.path('.swarm', 'tasks', 'reused'), { recursive: true });
    writeFileSync(
      repo.path('.swarm', 'tasks', 'reused', 'state.json'),
      JSON.stringify({
        id: 'reused',
        status: 'running',
        rounds: [],
        attempts: 0,
        branch: 'swarm/w1/reused',
        agent: { pid: other.pid, pgid: other.pid, procStart: '1' },
        updatedAt: new Date().toISOString(),
      }),
    );
    // And a stale run lock naming it too.
    writeFileSync(repo.path('.swarm', 'lock'), JSON.stringify({ pid: other.pid, runId: 'old', startedAt: new Date().toISOString(), procStart: '1' }));
    const { summary, events } = await runSwarm(repo.root);
    assert.deepEqual(summary.merged, ['reused'], 'the stale lock did not block the run');
    const rec = events.find((e) => e.type === 'run_recovered');
    assert.ok(rec && rec.type === 'run_recovered');
    assert.deepEqual(rec.killedPids, []);
    assert.ok(rec.returnedToPending.includes('reused'));
    assert.ok(alive(other.pid!), 'the unrelated process is alive');
    other.kill('SIGKILL');
  });

  test('an orphaned worktree from a crashed run is reported with its disk use', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.git('worktree', 'add', '-q', '-b', 'swarm/w7/ghost', repo.path('.swarm', 'worktrees', 'ghost'));
    writeFileSync(repo.path('.swarm', 'worktrees', 'ghost', 'left.txt'), 'left behind\n');
    const { events } = await runSwarm(repo.root);
    const rec = events.find((e) => e.type === 'run_recovered');
    assert.ok(rec && rec.type === 'run_recovered');
    assert.equal(rec.orphanedWorktrees.length, 1);
    assert.match(rec.orphanedWorktrees[0], /worktrees\/ghost \(\d+ KiB\)/);
    const ws = await openWorkspace({ repo: repo.root });
    const wt = (await ws.listWorktrees()).find((w) => w.branch === 'swarm/w7/ghost')!;
    assert.equal(wt.orphaned, true);
    assert.ok((wt.diskBytes ?? 0) > 0);
    assert.equal(repo.read('.swarm/worktrees/ghost/left.txt'), 'left behind\n', 'reported, not touched');
  });
});
