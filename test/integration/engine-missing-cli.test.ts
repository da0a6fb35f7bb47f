// An agent CLI uninstalled while the swarm runs (issue 18): the pool pauses briefly with the fix,
// the same turn is tried again once the program is back, and the task neither fails (worker) nor
// lands "waiting for your review" with no verdict (reviewer): it waits for the reviewer, visibly.
// The program is a script the test removes after the preflight passed and puts back when the
// pool has paused.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newRepo, TestRepo, runSwarm } from '../helpers/repo';
import type { SwarmEvent } from '../../src/swarm/types';

/** A repo whose `role` runs through its own copy of the scripted agent (a file the test can remove). */
function setUp(role: 'worker' | 'reviewer'): { repo: TestRepo; program: string; put: () => void; remove: () => void } {
  const repo = newRepo();
  const program = join(repo.home, `${role}-agent.cjs`);
  // The scripted agent as a program of its own (a shebang), so a removed file is a missing program.
  const put = () => writeFileSync(program, `#!${process.execPath}\n${readFileSync(repo.agentScript, 'utf8')}`, { mode: 0o755 });
  put();
  const harnesses = {
    scripted: { command: [process.execPath, repo.agentScript], env: { TEST_AGENT_LOG: repo.logDir }, timeout_s: 60 },
    flaky: { command: [program], env: { TEST_AGENT_LOG: repo.logDir }, timeout_s: 60 },
  };
  repo.writeConfig({
    workers: [{ role: 'worker', harness: role === 'worker' ? 'flaky' : 'scripted', count: 1, iterations: 5 }],
    review: { mode: 'agent', harness: role === 'reviewer' ? 'flaky' : 'scripted', max_rounds: 3 },
    harnesses,
    // A long back-off for other failures: a missing CLI must not wait for it.
    limits: { poll_ms: 50, backoff_pause_s: 1, backoff_failures: 3, backoff_window_s: 60 },
  });
  repo.writeTask('t1');
  return { repo, program, put, remove: () => rmSync(program, { force: true }) };
}

describe('an agent CLI that disappears mid-run', { timeout: 300_000 }, () => {
  test('worker: a short pool pause naming the program and its setting, the same turn again, no failed attempt', async () => {
    const { repo, put, remove } = setUp('worker');
    const events: SwarmEvent[] = [];
    const res = await runSwarm(repo.root, {
      timeoutMs: 60_000,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'task_claimed') remove(); // after the preflight: "uninstalled while running"
        if (e.type === 'pool_paused') put(); // "reinstalled"
      },
    });
    const paused = events.filter((e): e is Extract<SwarmEvent, { type: 'pool_paused' }> => e.type === 'pool_paused');
    assert.equal(paused.length, 1, JSON.stringify(paused));
    assert.match(paused[0].reason, /the agent CLI is missing: .*worker-agent\.cjs was not found \(set its path in swarm\.json harnesses\.flaky\.command\)/);
    const failedTurns = events.filter((e) => e.type === 'agent_finished' && e.failure);
    assert.equal(failedTurns.length, 1, 'paused after the first missing_cli, not after a burst');
    assert.ok(!events.some((e) => e.type === 'task_failed' || e.type === 'task_returned'), 'the task did not fail');
    assert.deepEqual(res.summary.merged, ['t1']);
    assert.equal(repo.taskIds('complete').length, 1);
  });

  test('reviewer: the task waits for the reviewer (said), never "waiting for your review" without a verdict', async () => {
    const { repo, put, remove } = setUp('reviewer');
    const events: SwarmEvent[] = [];
    const res = await runSwarm(repo.root, {
      timeoutMs: 60_000,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'task_claimed') remove();
        if (e.type === 'pool_paused') put();
      },
    });
    assert.ok(!events.some((e) => e.type === 'human_review_requested'), 'not handed to you');
    const waiting = events.find(
      (e) =>
        e.type === 'task_status' &&
        e.taskId === 't1' &&
        e.status === 'reviewing' &&
        /^waiting for the reviewer: .*reviewer-agent\.cjs was not found/.test(e.detail ?? ''),
    );
    assert.ok(waiting, JSON.stringify(events.filter((e) => e.type === 'task_status')));
    assert.ok(events.some((e) => e.type === 'log' && e.level === 'warn' && /^t1: waiting for the reviewer/.test(e.message)));
    const paused = events.find((e) => e.type === 'pool_paused');
    assert.ok(paused && paused.type === 'pool_paused' && paused.pool === 'flaky');
    const rounds = events.filter((e) => e.type === 'review_finished');
    assert.equal(rounds.length, 1);
    assert.equal(rounds[0].type === 'review_finished' && rounds[0].round.verdict, 'APPROVED');
    assert.deepEqual(res.summary.merged, ['t1']);
  });
});
