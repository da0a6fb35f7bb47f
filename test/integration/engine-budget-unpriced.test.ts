// Budget evasion (src/swarm/budget.ts): a turn that reports no cost — a `command` harness without a
// SWARM_USAGE line, a CLI whose output was cut — used to cost nothing, so a task with a budget
// could run for ever on such turns. Where a budget applies, such a turn now stops new turns with
// "cost unknown", unless `limits.unpriced_turn_usd` says what to count it as.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newRepo, runSwarm } from '../helpers/repo';
import type { SwarmEvent } from '../../src/swarm/types';

describe('turns that report no cost', { timeout: 300_000 }, () => {
  test('a task with max_cost_usd whose worker and reviewer never report a cost: no second turn, the task waits with "cost unknown"', async () => {
    const repo = newRepo();
    repo.writeConfig({ review: { mode: 'agent', harness: 'scripted', max_rounds: 20 } });
    // Neither prints SWARM_USAGE; the reviewer always wants changes (20 rounds = 40 free turns before).
    repo.writeTask('free', { extra: { max_cost_usd: 0.5 }, agent: { files: { 'f.txt': 'v{{round}}\n' }, review: ['NEEDS_CHANGES'] } });
    const { summary, events } = await runSwarm(repo.root, { timeoutMs: 100_000 });
    const turns = events.filter((e) => e.type === 'agent_finished');
    assert.equal(turns.length, 1, `one turn, then the budget (turns: ${turns.map((e) => e.type === 'agent_finished' && e.role).join(', ')})`);
    assert.deepEqual(summary.waitingForBudget, ['free']);
    const file = repo.task('current', 'free')!;
    assert.equal(file.data.status, 'waiting_budget');
    assert.match(String(file.data.waiting_for), /cost unknown: a turn of "scripted" reported no cost.*limits\.unpriced_turn_usd/);
    const reached = events.find((e): e is Extract<SwarmEvent, { type: 'budget_reached' }> => e.type === 'budget_reached');
    assert.ok(reached && reached.scope === 'task' && /cost unknown/.test(reached.reason), JSON.stringify(reached));
  });

  test('limits.unpriced_turn_usd: each such turn counts that much; the budget stops the task as with reported costs', async () => {
    const repo = newRepo();
    repo.writeConfig({ review: { mode: 'agent', harness: 'scripted', max_rounds: 20 }, limits: { poll_ms: 50, unpriced_turn_usd: 0.2 } });
    // w 0.2, r 0.2, w 0.2 (0.6 ≥ 0.5): the reviewer turn that would go over never starts.
    repo.writeTask('estimated', { extra: { max_cost_usd: 0.5 }, agent: { files: { 'e.txt': 'v{{round}}\n' }, review: ['NEEDS_CHANGES'] } });
    const { summary, events } = await runSwarm(repo.root, { timeoutMs: 100_000 });
    assert.equal(events.filter((e) => e.type === 'agent_finished' && e.role === 'worker').length, 2);
    assert.equal(events.filter((e) => e.type === 'agent_finished' && e.role === 'reviewer').length, 1);
    assert.deepEqual(summary.waitingForBudget, ['estimated']);
    assert.match(String(repo.task('current', 'estimated')!.data.waiting_for), /task budget reached: \$0\.60 spent of \$0\.50/);
  });

  test('a run budget and a planner-less run of unpriced turns: the run stops new turns with "cost unknown"', async () => {
    const repo = newRepo();
    repo.writeConfig({ limits: { poll_ms: 50, max_cost_usd: 5 } });
    for (const id of ['u1', 'u2', 'u3']) repo.writeTask(id, { priority: Number(id.slice(1)) });
    let waited: string | undefined;
    const { events } = await runSwarm(repo.root, {
      timeoutMs: 100_000,
      onEvent: (e, _ws, run) => {
        if (e.type === 'worker_state' && e.worker.state === 'paused' && /cost unknown/.test(e.worker.waitReason ?? '') && !waited) {
          waited = e.worker.waitReason;
          void run.stop('test: seen the wait');
        }
      },
    });
    assert.match(waited ?? '', /run budget: cost unknown/);
    assert.equal(events.filter((e) => e.type === 'agent_finished').length, 1, 'no turn after the unpriced one');
  });
});
