// Cost aggregation and the budget rule (src/swarm/cost.ts, src/swarm/budget.ts) and the command
// harness's SWARM_USAGE line: sums per task, worker and run from journal events; a reported
// negative or non-finite number never buys budget back; a budget counts only upwards in memory.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { budgetReached, formatUsage, formatUsd, sumUsage, usageTotals } from '../../src/swarm/cost';
import { Budget } from '../../src/swarm/budget';
import { parseUsageLine } from '../../src/swarm/harness/command';
import type { SwarmEvent, TaskRuntimeState } from '../../src/swarm/types';

const fin = (
  taskId: string | undefined,
  workerId: string,
  role: 'worker' | 'reviewer' | 'planner',
  usage?: { costUsd?: number; inputTokens?: number; outputTokens?: number },
): SwarmEvent => ({ type: 'agent_finished', taskId, workerId, role, round: 1, exitCode: 0, durationMs: 1, usage });

test('usageTotals: per task (worker and reviewer turns), per worker and per run; turns without usage are counted as turns only', () => {
  const t = usageTotals([
    fin('a', 'w1', 'worker', { costUsd: 0.3, inputTokens: 100, outputTokens: 10 }),
    fin('a', 'w1', 'reviewer', { costUsd: 0.1, inputTokens: 50 }),
    fin('b', 'w2', 'worker', { costUsd: 0.2 }),
    fin(undefined, 'p1', 'planner', { outputTokens: 7 }),
    fin('c', 'w2', 'worker'),
    { type: 'task_merged', taskId: 'a', sha: 'x', commit: 'y' },
  ]);
  assert.equal(t.turns, 5);
  assert.ok(Math.abs(t.tasks.a.costUsd! - 0.4) < 1e-12);
  assert.equal(t.tasks.a.inputTokens, 150);
  assert.equal(t.tasks.a.outputTokens, 10);
  assert.equal(t.tasks.c, undefined, 'nothing reported, nothing invented');
  assert.ok(Math.abs(t.workers.w1.costUsd! - 0.4) < 1e-12);
  assert.equal(t.workers.p1.outputTokens, 7);
  assert.equal(t.workers.p1.costUsd, undefined);
  assert.ok(Math.abs(t.run.costUsd! - 0.6) < 1e-12);
  assert.equal(t.run.outputTokens, 17);
});

test('sumUsage ignores negative, NaN and infinite numbers (a hostile report cannot lower a total)', () => {
  assert.deepEqual(sumUsage({ costUsd: 1 }, { costUsd: -5 }), { costUsd: 1 });
  assert.deepEqual(sumUsage({ costUsd: 1 }, { costUsd: Number.NaN, inputTokens: Infinity }), { costUsd: 1 });
  assert.deepEqual(sumUsage(undefined, undefined), {});
});

test('budgetReached: at or above the limit; no limit never stops; nothing reported is nothing spent', () => {
  assert.equal(budgetReached({ costUsd: 0.5 }, 0.5), true);
  assert.equal(budgetReached({ costUsd: 0.49 }, 0.5), false);
  assert.equal(budgetReached({ costUsd: 99 }, undefined), false);
  assert.equal(budgetReached({ inputTokens: 1e9 }, 0.5), false);
  assert.equal(budgetReached(undefined, 0.5), false);
  assert.equal(budgetReached({ costUsd: -1 }, 0.5), false);
});

test('formatting: dollars and tokens in few characters', () => {
  assert.equal(formatUsd(0.6), '$0.60');
  assert.equal(formatUsd(0.4213), '$0.4213');
  assert.equal(formatUsd(12.4), '$12.40');
  assert.equal(formatUsage({ costUsd: 0.42, inputTokens: 12_345, outputTokens: 1900 }), '$0.42 · 12.3k in / 1.9k out');
  assert.equal(formatUsage({ inputTokens: 2_500_000 }), '2.5M in / 0 out');
  assert.equal(formatUsage({}), undefined);
  assert.equal(formatUsage(undefined), undefined);
});

test('SWARM_USAGE lines: the three keys, in any order; junk and negatives ignored; other lines are not usage', () => {
  assert.deepEqual(parseUsageLine('SWARM_USAGE: cost_usd=0.12 input_tokens=1500 output_tokens=300'), { costUsd: 0.12, inputTokens: 1500, outputTokens: 300 });
  assert.deepEqual(parseUsageLine('SWARM_USAGE: output_tokens=3'), { outputTokens: 3 });
  assert.equal(parseUsageLine('SWARM_USAGE: cost_usd=-1 input_tokens=abc bogus=4'), undefined);
  assert.equal(parseUsageLine('say SWARM_USAGE: cost_usd=1'), undefined);
  assert.equal(parseUsageLine('COMPLETE_AND_READY_FOR_MERGE'), undefined);
});

test('Budget: run and task limits; memory wins over an edited state.json; a claim takes the budget it was claimed with', () => {
  const events: SwarmEvent[] = [];
  const b = new Budget({ maxCostUsd: 1, taskMaxCostUsd: 0.5 }, (e) => events.push(e));
  const st: TaskRuntimeState = { id: 't', status: 'running', rounds: [], attempts: 0, updatedAt: '' };
  assert.equal(b.taskReached(st), undefined);
  b.count({ costUsd: 0.3 }, st);
  assert.equal(b.taskReached(st), undefined);
  st.usage = { costUsd: 0 }; // an agent zeroed it in state.json
  b.count({ costUsd: 0.25 }, st);
  const over = b.taskReached(st);
  assert.ok(over, 'the task limit (limits.task_max_cost_usd) is reached');
  assert.match(over.reason, /task budget reached: \$0\.55 spent of \$0\.50 \(limits\.task_max_cost_usd\)/);
  st.budgetUsd = 1000; // written into state.json by an agent: the limit this run took stays
  assert.ok(b.taskReached(st));
  st.budgetUsd = 2;
  b.claimed(st); // claimed again after the user raised it
  assert.equal(b.taskReached(st), undefined);
  assert.equal(b.runReached(), undefined);
  b.count({ costUsd: 0.5 }, undefined); // a planner's turn: the run's only
  assert.match(b.runReached() ?? '', /run budget reached: \$1\.05 spent of \$1\.00/);
  b.runReached();
  assert.equal(events.filter((e) => e.type === 'budget_reached').length, 1, 'the run announces it once');
});
