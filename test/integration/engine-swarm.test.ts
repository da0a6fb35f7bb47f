// Several workers with scripted agents on a real repository: every task merged exactly once,
// completion annotated, depends_on and priority respected, claims atomic (hazard 6).

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestRepo, runSwarm, countBy } from '../helpers/repo';
import { TaskStore } from '../../src/swarm/tasks';

const repos: TestRepo[] = [];
const newRepo = () => { const r = new TestRepo(); repos.push(r); return r; };
after(() => { for (const r of repos) r.cleanup(); });

describe('a swarm of workers', { timeout: 60_000 }, () => {
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
    assert.deepEqual(countBy(events.filter((e) => e.type === 'task_claimed'), (e) => (e as { taskId: string }).taskId), Object.fromEntries(ids.map((id) => [id, 1])));
    assert.deepEqual(countBy(events.filter((e) => e.type === 'task_merged'), (e) => (e as { taskId: string }).taskId), Object.fromEntries(ids.map((id) => [id, 1])));
    assert.equal(repo.journal().filter((e) => e.type === 'task_merged').length, 9);
    // Worktrees and branches of merged tasks are gone; nothing needed archiving.
    assert.deepEqual(repo.git('worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).length, 1);
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
    assert.equal(r.cwd, w.cwd);
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

  test('parallel claims: 8 workers, 16 tasks, each task claimed and merged exactly once', async () => {
    const repo = newRepo();
    repo.writeConfig({ workers: [{ role: 'executor', harness: 'scripted', count: 8, iterations: 50 }] });
    const ids = Array.from({ length: 16 }, (_, i) => `p-${String(i).padStart(2, '0')}`);
    for (const id of ids) repo.writeTask(id, { priority: 1 });
    const { summary } = await runSwarm(repo.root, { timeoutMs: 60_000 });
    assert.equal(summary.merged.length, 16);
    const claims = repo.journal().filter((e) => e.type === 'task_claimed') as { taskId: string; workerId: string }[];
    assert.deepEqual(countBy(claims, (c) => c.taskId), Object.fromEntries(ids.map((id) => [id, 1])));
    assert.ok(new Set(claims.map((c) => c.workerId)).size >= 3, 'several workers claimed');
    const workerCalls = repo.calls().filter((c) => c.role === 'executor');
    assert.deepEqual(countBy(workerCalls, (c) => c.task), Object.fromEntries(ids.map((id) => [id, 1])));
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
});
