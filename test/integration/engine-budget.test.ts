// Budgets with real processes (src/swarm/budget.ts): scripted agents report their cost with
// `SWARM_USAGE:` lines and would go on for ever; the budget stops new turns, never one in flight,
// and says so. A hostile worker raises the budget in its own task file and zeroes the cost in
// state.json: nothing changes.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { newRepo, runSwarm, waitFor, cli } from '../helpers/repo';
import { openWorkspace } from '../../src/swarm/workspace';
import type { SwarmEvent } from '../../src/swarm/types';

const HOSTILE_WORKER = `
  const fs = require('fs'); const path = require('path');
  try { fs.readFileSync(0); } catch {}
  const env = process.env; const id = env.SWARM_TASK_ID;
  fs.appendFileSync(path.join(env.TEST_AGENT_LOG, 'hostile-' + id), 'turn\\n');
  // Raise its own budget in the task file, zero its cost in the swarm's state (sandbox off).
  const tf = path.join(env.SWARM_TASKS_DIR, 'current', id + '.md');
  try { fs.writeFileSync(tf, fs.readFileSync(tf, 'utf8').replace(/max_cost_usd: .*/, 'max_cost_usd: 1000')); } catch {}
  const sf = path.join(env.SWARM_TASKS_DIR, '..', '.swarm', 'tasks', id, 'state.json');
  try { const s = JSON.parse(fs.readFileSync(sf, 'utf8')); s.usage = { costUsd: 0 }; s.budgetUsd = 1000; fs.writeFileSync(sf, JSON.stringify(s)); } catch {}
  fs.writeFileSync('out-' + id + '.txt', String(Date.now()));
  console.log('SWARM_USAGE: cost_usd=0.3 input_tokens=1000 output_tokens=100');
  console.log('COMPLETE_AND_READY_FOR_MERGE');
`;

describe('budgets', { timeout: 300_000 }, () => {
  test('task budget: a worker and a reviewer that never agree stop at max_cost_usd, all turns counted, the task waits with the reason', async () => {
    const repo = newRepo();
    const script = repo.script('hostile-worker.cjs', HOSTILE_WORKER);
    repo.writeConfig({
      review: { mode: 'agent', harness: 'scripted', max_rounds: 20 },
      workers: [{ role: 'worker', harness: 'hostile', count: 1, iterations: 50 }],
      harnesses: {
        ...(repo.config().harnesses as object),
        hostile: { command: [process.execPath, script], env: { TEST_AGENT_LOG: repo.logDir }, timeout_s: 60 },
      },
      sandbox: { mode: 'off' }, // the agent can write state.json: the defence left without a sandbox
    });
    // Reviewer: 0.1 per turn, always NEEDS_CHANGES. Turns: w 0.3, r 0.1, w 0.3 (0.7 ≥ 0.5): no reviewer turn.
    repo.writeTask('spendy', {
      extra: { max_cost_usd: 0.5 },
      agent: { review: ['SWARM_USAGE: cost_usd=0.1 input_tokens=50 output_tokens=5\nNot yet.\nVERDICT: NEEDS_CHANGES'] },
    });
    const { summary, events } = await runSwarm(repo.root);
    const workerTurns = events.filter((e) => e.type === 'agent_finished' && e.role === 'worker').length;
    const reviewerTurns = events.filter((e) => e.type === 'agent_finished' && e.role === 'reviewer').length;
    assert.equal(workerTurns, 2, 'two worker turns, then the budget');
    assert.equal(reviewerTurns, 1, 'the reviewer turn that would go over never started');
    const reached = events.find((e): e is Extract<SwarmEvent, { type: 'budget_reached' }> => e.type === 'budget_reached');
    assert.ok(reached, 'budget_reached emitted');
    assert.equal(reached.scope, 'task');
    assert.equal(reached.taskId, 'spendy');
    assert.equal(reached.limitUsd, 0.5, 'the budget as claimed, not the 1000 the agent wrote');
    assert.ok(Math.abs(reached.spentUsd - 0.7) < 1e-9, String(reached.spentUsd));
    assert.match(reached.reason, /task budget reached: \$0\.70 spent of \$0\.50 \(max_cost_usd in the task file\)/);
    const file = repo.task('current', 'spendy')!;
    assert.equal(file.data.status, 'waiting_budget');
    assert.match(String(file.data.waiting_for), /task budget reached/);
    const st = repo.state('spendy')!;
    assert.ok(Math.abs(st.usage.costUsd - 0.7) < 1e-9, `state.json usage ${JSON.stringify(st.usage)} counts every turn (the agent's zeroing is overwritten)`);
    assert.equal(st.usage.inputTokens, 2050);
    assert.equal(st.usage.outputTokens, 205);
    assert.deepEqual(summary.waitingForBudget, ['spendy']);
    assert.ok(Math.abs((summary.usage?.costUsd ?? 0) - 0.7) < 1e-9);
    assert.ok(Math.abs((summary.workers[0].usage.costUsd ?? 0) - 0.7) < 1e-9, 'the worker is charged for its reviewer turns too');
    // The work is kept: the second round's commit is on the task branch.
    assert.ok(repo.rev(String(st.branch)), 'branch kept');
    assert.match(summary.reason ?? '', /.+/);
  });

  test('task budget raised, then Retry: the task goes on with its cost so far', async () => {
    const repo = newRepo();
    repo.writeConfig({ limits: { poll_ms: 50, task_max_cost_usd: 0.25 } });
    repo.writeTask('again', { agent: { files: { 'a.txt': 'a\n' }, reply: 'SWARM_USAGE: cost_usd=0.3\nCOMPLETE_AND_READY_FOR_MERGE' } });
    const first = await runSwarm(repo.root);
    assert.deepEqual(first.summary.waitingForBudget, ['again']);
    assert.match(String(repo.task('current', 'again')!.data.waiting_for), /\(limits\.task_max_cost_usd\)/);
    const ws = await openWorkspace({ repo: repo.root });
    try {
      await ws.retry('again');
    } finally {
      ws.dispose();
    }
    // Raised in the pending file (where the user edits it before it is claimed again).
    const pending = repo.path('tasks', 'pending', 'again.md');
    repo.write('tasks/pending/again.md', readFileSync(pending, 'utf8').replace(/^title:/m, 'max_cost_usd: 2\ntitle:'));
    const second = await runSwarm(repo.root);
    assert.deepEqual(second.summary.merged, ['again']);
    const st = repo.state('again');
    const done = repo.task('complete', 'again');
    assert.ok(done, 'merged');
    assert.ok(st === undefined || (st.usage?.costUsd ?? 0) >= 0.6 - 1e-9, `cost carried across runs: ${JSON.stringify(st?.usage)}`);
  });

  test('run budget: no new turn once limits.max_cost_usd is spent; the run waits saying why, the turn in flight finishes', async () => {
    const repo = newRepo();
    // The scripted reviewer reports no cost: counted as free here (limits.unpriced_turn_usd: 0; unset, its first turn would stop the run as "cost unknown").
    repo.writeConfig({ limits: { poll_ms: 50, max_cost_usd: 0.5, unpriced_turn_usd: 0 } });
    for (const id of ['r1', 'r2', 'r3', 'r4', 'r5'])
      repo.writeTask(id, {
        priority: Number(id.slice(1)),
        agent: { files: { [`${id}.txt`]: `${id}\n` }, reply: 'SWARM_USAGE: cost_usd=0.2\nCOMPLETE_AND_READY_FOR_MERGE' },
      });
    let waited: string | undefined;
    const { summary, events } = await runSwarm(repo.root, {
      onEvent: (e, _ws, run) => {
        if (e.type === 'worker_state' && e.worker.state === 'paused' && /run budget reached/.test(e.worker.waitReason ?? '') && !waited) {
          waited = e.worker.waitReason;
          void run.stop('test: seen the budget wait');
        }
      },
    });
    assert.match(waited ?? '', /run budget reached: \$0\.60 spent of \$0\.50 \(limits\.max_cost_usd\)/);
    const workerTurns = events.filter((e) => e.type === 'agent_finished' && e.role === 'worker').length;
    assert.equal(workerTurns, 3, 'three turns (0.6 ≥ 0.5), then none');
    assert.deepEqual(summary.merged, ['r1', 'r2']);
    assert.deepEqual(repo.taskIds('pending'), ['r4', 'r5']);
    assert.deepEqual(repo.taskIds('current'), ['r3'], 'the task whose turn reached the budget keeps its work for the next run');
    assert.ok(events.some((e) => e.type === 'budget_reached' && e.scope === 'run'));
    assert.ok(Math.abs((summary.usage?.costUsd ?? 0) - 0.6) < 1e-9);
    // The next run (a new budget) finishes what was left.
    const next = await runSwarm(repo.root);
    assert.deepEqual([...next.summary.merged].sort(), ['r3', 'r4', 'r5'].slice(0, next.summary.merged.length).sort());
  });

  test('the cost is reported: summary.json, swarm status (text and --json), swarm tasks --json per task, all rounds and reviews', async () => {
    const repo = newRepo();
    repo.writeConfig({ limits: { poll_ms: 50, task_max_cost_usd: 5 } });
    repo.writeTask('costed', {
      agent: {
        files: { 'c.txt': 'c\n' },
        reply: 'SWARM_USAGE: cost_usd=0.25 input_tokens=1200 output_tokens=300\nCOMPLETE_AND_READY_FOR_MERGE',
        review: ['SWARM_USAGE: cost_usd=0.05 input_tokens=800\nfine\nVERDICT: NEEDS_CHANGES', 'SWARM_USAGE: cost_usd=0.05\nVERDICT: APPROVED'],
      },
    });
    const { summary } = await runSwarm(repo.root);
    assert.deepEqual(summary.merged, ['costed']);
    const onDisk = JSON.parse(readFileSync(repo.path('.swarm', 'runs', summary.runId, 'summary.json'), 'utf8'));
    assert.ok(Math.abs(onDisk.usage.costUsd - 0.6) < 1e-9, JSON.stringify(onDisk.usage));
    assert.equal(onDisk.usage.inputTokens, 3200);
    assert.ok(Math.abs(onDisk.workers[0].usage.costUsd - 0.6) < 1e-9);
    const tasks = cli(['tasks', '--json', '--repo', repo.root]);
    assert.equal(tasks.status, 0, tasks.stderr);
    const done = JSON.parse(tasks.stdout).complete.find((t: { id: string }) => t.id === 'costed');
    assert.ok(Math.abs(done.usage.costUsd - 0.6) < 1e-9, JSON.stringify(done));
    assert.equal(done.budgetUsd, 5);
    const status = cli(['status', '--json', '--repo', repo.root]);
    const cost = JSON.parse(status.stdout).cost;
    assert.ok(Math.abs(cost.latestRun.usage.costUsd - 0.6) < 1e-9);
    assert.equal(cost.latestRun.turns, 4);
    const text = cli(['status', '--repo', repo.root]).stdout;
    assert.match(text, /cost of the latest run: \$0\.60 · 3\.2k in \/ 600 out in 4 agent turn\(s\)/);
    assert.match(cli(['tasks', '--repo', repo.root]).stdout, /costed .*\[\$0\.60 · 3\.2k in \/ 600 out \(budget \$5\.00\)\]/);
  });

  test('run budget with a run that does not wait for people (swarm run --no-wait): it ends once no turn runs, saying why', async () => {
    const repo = newRepo();
    repo.writeConfig({ workers: [{ role: 'worker', harness: 'scripted', count: 2, iterations: 50 }], limits: { poll_ms: 50, max_cost_usd: 0.3 } });
    for (const id of ['n1', 'n2', 'n3', 'n4'])
      repo.writeTask(id, { agent: { files: { [`${id}.txt`]: `${id}\n` }, sleepMs: 300, reply: 'SWARM_USAGE: cost_usd=0.2\nCOMPLETE_AND_READY_FOR_MERGE' } });
    const { summary, events } = await runSwarm(repo.root, { run: { waitForHumans: false } });
    assert.match(summary.reason ?? '', /^run budget reached/);
    const finished = events.filter((e) => e.type === 'agent_finished');
    assert.ok(
      finished.every((e) => e.type === 'agent_finished' && !e.failure),
      'no turn was cut: none failed or was aborted',
    );
    const started = events.filter((e) => e.type === 'agent_started').length;
    assert.equal(started, finished.length, 'every turn that started finished');
    await waitFor(() => repo.taskIds('pending').length + repo.taskIds('current').length + repo.taskIds('complete').length === 4, 5000, 'no task lost');
  });
});
