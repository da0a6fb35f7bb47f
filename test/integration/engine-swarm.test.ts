// Several workers with scripted agents on a real repository: every task merged exactly once,
// completion annotated, depends_on and priority respected, claims atomic (hazard 6).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newRepo, runSwarm, countBy } from '../helpers/repo';
import { TaskStore } from '../../src/swarm/tasks';
import { WorktreeManager } from '../../src/swarm/worktrees';
import { Git } from '../../src/swarm/git';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('a swarm of workers', { timeout: 300_000 } /* every agent turn starts a sandbox (~50-150 ms each on a loaded machine) */, () => {
  test('3 workers finish 9 tasks: every change on main, each task completed and annotated once', async () => {
    const repo = newRepo();
    repo.writeConfig({ workers: [{ role: 'worker', harness: 'scripted', count: 3, iterations: 50 }] });
    const ids = Array.from({ length: 9 }, (_, i) => `task-${i + 1}`);
    ids.forEach((id, i) => repo.writeTask(id, { priority: i, agent: { files: { [`out/${id}.txt`]: `made by ${id}\n` }, commit: i % 2 === 0 } }));
    const before = repo.rev('main')!;

    const { summary, events } = await runSwarm(repo.root);

    assert.equal(summary.reason, 'no work left');
    assert.deepEqual([...summary.merged].sort(), [...ids].sort());
    assert.deepEqual(repo.taskIds('complete'), [...ids].sort());
    assert.deepEqual(repo.taskIds('pending'), []);
    assert.deepEqual(repo.taskIds('current'), []);
    // Every change is on main, with exactly the content the agent wrote.
    for (const id of ids) assert.equal(repo.show('main', `out/${id}.txt`), `made by ${id}\n`);
    // One merge commit per task, each naming the reviewed commit; main only moved forward.
    const merges = repo.git('log', '--merges', '--format=%s', `${before}..main`).split('\n').filter(Boolean);
    assert.equal(merges.length, 9);
    for (const id of ids) assert.equal(merges.filter((s) => s.startsWith(`Merge task ${id}:`)).length, 1, `one merge of ${id}`);
    assert.equal(repo.git('merge-base', '--is-ancestor', before, 'main'), '');
    // The user's checkout followed main (no reverse diff left behind).
    assert.equal(repo.git('rev-parse', 'HEAD').trim(), repo.rev('main'));
    assert.equal(repo.git('status', '--porcelain', '--untracked-files=no'), '');
    // Completion annotations.
    const mainLog = repo.git('rev-list', 'main').split('\n');
    const workers = new Set<string>();
    for (const id of ids) {
      const t = repo.task('complete', id)!;
      assert.match(String(t.data.completed_by), /^w[123]$/);
      workers.add(String(t.data.completed_by));
      assert.ok(!Number.isNaN(Date.parse(String(t.data.completed_at))), `completed_at of ${id}`);
      assert.equal(t.data.review_rounds, 1);
      assert.ok(mainLog.includes(String(t.data.merged_commit)), `merged_commit of ${id} is on main`);
      assert.equal(t.data.status, undefined);
    }
    assert.ok(workers.size >= 2, `work was shared between workers (${[...workers]})`);
    // Journal: each task claimed once and merged once.
    assert.deepEqual(
      countBy(
        events.filter((e) => e.type === 'task_claimed'),
        (e) => (e as { taskId: string }).taskId,
      ),
      Object.fromEntries(ids.map((id) => [id, 1])),
    );
    assert.deepEqual(
      countBy(
        events.filter((e) => e.type === 'task_merged'),
        (e) => (e as { taskId: string }).taskId,
      ),
      Object.fromEntries(ids.map((id) => [id, 1])),
    );
    assert.equal(repo.journal().filter((e) => e.type === 'task_merged').length, 9);
    // Worktrees and branches of merged tasks are gone; nothing needed archiving.
    assert.deepEqual(
      repo
        .git('worktree', 'list', '--porcelain')
        .split('\n')
        .filter((l) => l.startsWith('worktree ')).length,
      1,
    );
    assert.deepEqual(repo.refs('refs/heads/swarm/'), []);
    assert.deepEqual(repo.refs('refs/swarm/archive/'), []);
    const m = summary.workers.reduce((n, w) => n + w.merges, 0);
    assert.equal(m, 9);
  });

  test('the command harness gets contract 2: cwd = worktree, prompt on stdin and in SWARM_PROMPT_FILE, SWARM_* env', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('env-check');
    await runSwarm(repo.root);
    const calls = repo.calls();
    const w = calls.find((c) => c.role === 'worker')!;
    const r = calls.find((c) => c.role === 'reviewer')!;
    assert.ok(w && r);
    assert.equal(w.cwd, repo.path('.swarm', 'worktrees', 'env-check'));
    assert.equal(w.env.SWARM_WORKTREE, w.cwd);
    assert.equal(w.env.SWARM_TASKS_DIR, repo.path('tasks'));
    assert.equal(w.env.SWARM_TASK_FILE, repo.path('tasks', 'current', 'env-check.md'));
    assert.equal(w.env.SWARM_BASE, 'main');
    assert.ok(w.env.SWARM_RUN_ID);
    assert.equal(w.worker, 'w1');
    assert.equal(w.round, 1);
    assert.ok(w.promptFileSame, 'the prompt file holds the stdin prompt');
    assert.match(w.prompt, /Task env-check/);
    assert.match(r.prompt, /env-check\.txt/, 'the reviewer sees the diff');
    // Issue 12 rule 4: the reviewer runs in a swarm-made checkout of the reviewed commit, not in the worker's worktree.
    assert.equal(r.cwd, repo.path('.swarm', 'review', `env-check-${repo.state('env-check')!.rounds[0].sha.slice(0, 12)}`));
    assert.equal(r.env.SWARM_WORKTREE, r.cwd);
  });

  test('depends_on waits for the dependency to complete; lower priority runs first', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('zeta', { priority: 1 });
    repo.writeTask('alpha', { priority: 5 });
    repo.writeTask('beta', { priority: 0, depends_on: ['gamma'] });
    repo.writeTask('gamma', { priority: 9 });
    const { events } = await runSwarm(repo.root);
    const order = events.filter((e) => e.type === 'task_claimed').map((e) => (e as { taskId: string }).taskId);
    assert.deepEqual(order, ['zeta', 'alpha', 'gamma', 'beta']);
    const merged = events.filter((e) => e.type === 'task_merged').map((e) => (e as { taskId: string }).taskId);
    assert.ok(merged.indexOf('gamma') < merged.indexOf('beta'));
    assert.deepEqual(repo.taskIds('complete'), ['alpha', 'beta', 'gamma', 'zeta']);
  });

  test('a task depending on a task that never completes is not taken', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('waits', { depends_on: ['missing-task'] });
    repo.writeTask('free');
    const { summary } = await runSwarm(repo.root);
    assert.deepEqual(summary.merged, ['free']);
    assert.deepEqual(repo.taskIds('pending'), ['waits']);
  });

  test('parallel claims: 6 workers, 12 tasks, each task claimed and merged exactly once', async () => {
    const repo = newRepo();
    repo.writeConfig({ workers: [{ role: 'executor', harness: 'scripted', count: 6, iterations: 50 }] });
    const ids = Array.from({ length: 12 }, (_, i) => `p-${String(i).padStart(2, '0')}`);
    for (const id of ids) repo.writeTask(id, { priority: 1 });
    const { summary } = await runSwarm(repo.root, { timeoutMs: 60_000 });
    assert.equal(summary.merged.length, 12);
    const claims = repo.journal().filter((e) => e.type === 'task_claimed') as { taskId: string; workerId: string }[];
    assert.deepEqual(
      countBy(claims, (c) => c.taskId),
      Object.fromEntries(ids.map((id) => [id, 1])),
    );
    assert.ok(new Set(claims.map((c) => c.workerId)).size >= 3, 'several workers claimed');
    const workerCalls = repo.calls().filter((c) => c.role === 'executor');
    assert.deepEqual(
      countBy(workerCalls, (c) => c.task),
      Object.fromEntries(ids.map((id) => [id, 1])),
    );
    for (const id of ids) assert.equal(repo.show('main', `${id}.txt`), `${id}\n`);
  });

  test('TaskStore.claim: of many concurrent claimers of one task exactly one wins', async () => {
    const repo = newRepo();
    const store = new TaskStore(repo.root, 'tasks');
    await store.ensureDirs();
    for (let round = 0; round < 10; round++) {
      const id = `race-${round}`;
      repo.writeTask(id);
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => store.claim(id, { claimed_by: `w${i}` })));
      const winners = results.filter(Boolean);
      assert.equal(winners.length, 1, `round ${round}`);
      assert.equal(repo.taskIds('pending').includes(id), false);
      assert.equal(repo.task('current', id)!.data.claimed_by, winners[0]!.claimedBy);
    }
  });

  test('roles: a worker retires on __DONE__, an executor ignores it', async () => {
    const repo = newRepo();
    repo.writeConfig({ workers: [{ role: 'worker', harness: 'scripted', count: 1, iterations: 50 }] });
    for (const id of ['d1', 'd2', 'd3'])
      repo.writeTask(id, { agent: { files: { [`${id}.txt`]: 'x\n' }, reply: 'all done\nCOMPLETE_AND_READY_FOR_MERGE\n__DONE__' } });
    const r1 = await runSwarm(repo.root);
    assert.deepEqual(r1.summary.merged, ['d1'], 'its last task still merges, then the worker retires');
    assert.ok(r1.events.some((e) => e.type === 'worker_state' && e.worker.stoppedReason === 'the agent said __DONE__'));
    assert.deepEqual(repo.taskIds('pending'), ['d2', 'd3']);
    repo.writeConfig({ workers: [{ role: 'executor', harness: 'scripted', count: 1, iterations: 50 }] });
    const r2 = await runSwarm(repo.root);
    assert.deepEqual(r2.summary.merged, ['d2', 'd3']);
    assert.ok(repo.calls().filter((c) => c.role === 'executor').length === 2);
  });

  test('iterations: a worker takes at most that many new tasks', async () => {
    const repo = newRepo();
    repo.writeConfig({ workers: [{ role: 'executor', harness: 'scripted', count: 1, iterations: 2 }] });
    for (const id of ['i1', 'i2', 'i3']) repo.writeTask(id);
    const { summary } = await runSwarm(repo.root);
    assert.deepEqual(summary.merged, ['i1', 'i2']);
    assert.deepEqual(repo.taskIds('pending'), ['i3']);
  });

  test('a planner (cwd = repo root, no worktree) writes tasks into SWARM_TASKS_DIR; back-pressure holds it at max_pending', async () => {
    const repo = newRepo();
    const log = join(repo.logDir, 'planner.jsonl'); // the sandbox lets agents write the log dir only
    const planner = repo.script(
      'planner.cjs',
      `
      const fs = require('fs'); const path = require('path');
      try { fs.readFileSync(0); } catch {}
      const dir = process.env.SWARM_TASKS_DIR; const round = Number(process.env.SWARM_ROUND);
      const pending = fs.readdirSync(path.join(dir, 'pending')).filter((n) => n.endsWith('.md')).length;
      fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ round, pending, cwd: process.cwd(), role: process.env.SWARM_ROLE, worktree: process.env.SWARM_WORKTREE }) + '\\n');
      if (round > 3) { console.log('nothing more to plan\\n__DONE__'); process.exit(0); }
      for (const k of [1, 2]) {
        const id = 'planned-' + round + '-' + k;
        fs.writeFileSync(path.join(dir, 'pending', id + '.md'), '---\\ntitle: Planned ' + id + '\\n---\\nWrite it.\\n\\n\\x60\\x60\\x60agent\\n' + JSON.stringify({ files: { ['planned/' + id + '.txt']: id + '\\n' }, sleepMs: 150 }) + '\\n\\x60\\x60\\x60\\n');
      }
      console.log('planned round ' + round);
    `,
    );
    repo.writeConfig({
      workers: [
        { role: 'planner', harness: 'plan', iterations: 10, max_pending: 2 },
        { role: 'executor', harness: 'scripted', count: 1, iterations: 50 },
      ],
      harnesses: { ...(repo.config().harnesses as object), plan: { command: [process.execPath, planner] } },
    });
    const { summary, events } = await runSwarm(repo.root);
    const planned = ['1', '2', '3'].flatMap((r) => [`planned-${r}-1`, `planned-${r}-2`]);
    assert.deepEqual([...summary.merged].sort(), planned);
    for (const id of planned) assert.equal(repo.show('main', `planned/${id}.txt`), `${id}\n`);
    const calls = readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { round: number; pending: number; cwd: string; role: string; worktree: string });
    assert.deepEqual(
      calls.map((c) => c.round),
      [1, 2, 3, 4],
    );
    for (const c of calls) {
      assert.equal(c.cwd, repo.root);
      assert.equal(c.worktree, repo.root);
      assert.equal(c.role, 'planner');
      assert.ok(c.pending < 2, `the planner ran with ${c.pending} pending (max_pending 2)`);
    }
    assert.deepEqual(
      events
        .filter((e) => e.type === 'task_created' && e.by === 'p1')
        .map((e) => (e as { taskId: string }).taskId)
        .sort(),
      planned,
    );
    assert.ok(events.some((e) => e.type === 'worker_state' && e.worker.id === 'p1' && e.worker.stoppedReason === 'the planner said __DONE__'));
  });

  test('a worker adding a follow-up task to the hub: it is picked up in the same run', async () => {
    const repo = newRepo();
    repo.writeConfig();
    const follow = repo.script(
      'follow.cjs',
      `
      const fs = require('fs'); const path = require('path');
      try { fs.readFileSync(0); } catch {}
      const id = process.env.SWARM_TASK_ID;
      if (process.env.SWARM_ROLE === 'reviewer') { console.log('fine\\nVERDICT: APPROVED'); process.exit(0); }
      fs.writeFileSync(id + '.txt', id + '\\n');
      if (id === 'parent') fs.writeFileSync(path.join(process.env.SWARM_TASKS_DIR, 'pending', 'child.md'), '---\\ntitle: Child\\n---\\nFollow-up.\\n');
      console.log('COMPLETE_AND_READY_FOR_MERGE');
    `,
    );
    repo.writeConfig({
      workers: [{ role: 'worker', harness: 'follow', count: 1 }],
      review: { harness: 'follow' },
      harnesses: { follow: { command: [process.execPath, follow] } },
    });
    repo.writeTask('parent');
    const { summary } = await runSwarm(repo.root);
    assert.deepEqual(summary.merged, ['parent', 'child']);
    assert.ok(!repo.lsTree('main').some((f) => f.startsWith('tasks/')), 'the hub is not part of any change');
  });

  test('parallel `git worktree add` calls are serialized: 10 at once all succeed', async () => {
    const repo = newRepo();
    const g = new Git(repo.root);
    const wm = new WorktreeManager(g, repo.root, '.swarm/worktrees');
    const base = repo.rev('main')!;
    const made = await Promise.all(Array.from({ length: 10 }, (_, i) => wm.ensure(`wt-${i}`, `swarm/w${i}/wt-${i}`, base)));
    assert.ok(made.every((m) => m.created));
    const listed = repo
      .git('worktree', 'list', '--porcelain')
      .split('\n')
      .filter((l) => l.startsWith('worktree ')).length;
    assert.equal(listed, 11);
    const again = await wm.ensure('wt-3', 'swarm/w3/wt-3', base);
    assert.equal(again.created, false, 'an existing worktree is reused');
  });

  test('maxConcurrentWorkers caps how many tasks are worked on at once', async () => {
    const repo = newRepo();
    repo.writeConfig({ workers: [{ role: 'executor', harness: 'scripted', count: 4, iterations: 50 }] });
    for (const id of ['c1', 'c2', 'c3', 'c4', 'c5']) repo.writeTask(id, { agent: { files: { [`${id}.txt`]: 'x\n' }, sleepMs: 150 } });
    let running = 0;
    let peak = 0;
    const { summary } = await runSwarm(repo.root, {
      open: { maxConcurrentWorkers: 2 },
      onEvent: (e) => {
        if (e.type === 'agent_started') peak = Math.max(peak, ++running);
        if (e.type === 'agent_finished') running--;
      },
    });
    assert.equal(summary.merged.length, 5);
    assert.ok(peak <= 2, `at most 2 agents at once (saw ${peak})`);
    assert.equal(peak, 2, 'and the cap is used');
  });
});
