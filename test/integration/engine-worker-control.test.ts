// Pause, resume and stop one worker (src/swarm/workerControl.ts; SwarmRun.pauseWorker /
// resumeWorker / stopWorker), with real git and scripted agents: a paused worker finishes its
// turn and then takes nothing new while another worker goes on; resumed, it goes on; a worker
// stopped mid-turn has its agent killed and its task interrupted with the work kept, and another
// worker (or the next run) finishes it.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { newRepo, runSwarm, waitFor, withTimeout, alive } from '../helpers/repo';
import { openWorkspace } from '../../src/swarm/workspace';
import type { SwarmEvent } from '../../src/swarm/types';
import type { SwarmRun } from '../../src/swarm/api';

const by = (events: SwarmEvent[], worker: string, type: 'task_claimed' | 'agent_started') => events.filter((e) => e.type === type && e.workerId === worker);

describe('one worker paused, resumed, stopped', { timeout: 300_000 }, () => {
  test('a paused worker finishes its turn, then takes no new task or turn while another worker goes on; resumed, it finishes its task', async () => {
    const repo = newRepo();
    repo.writeConfig({ workers: [{ role: 'worker', harness: 'scripted', count: 2, iterations: 50 }] });
    // 'held' is claimed first (priority) and its worker turn takes a moment: it is paused during it.
    repo.writeTask('held', { priority: 1, agent: { files: { 'held.txt': 'held\n' }, sleepMs: 400 } });
    for (const id of ['b1', 'b2', 'b3']) repo.writeTask(id, { priority: 5 });
    const ws = await openWorkspace({ repo: repo.root });
    const events: SwarmEvent[] = [];
    const holder: { run?: SwarmRun } = {};
    let paused: string | undefined;
    let pausedAt = -1;
    ws.onEvent((e) => {
      events.push(e);
      if (!paused && e.type === 'agent_started' && e.taskId === 'held' && e.role !== 'reviewer') {
        paused = e.workerId;
        assert.equal(holder.run!.pauseWorker!(e.workerId), true);
        pausedAt = events.length;
        assert.equal(holder.run!.pauseWorker!(e.workerId), false, 'paused already');
      }
    });
    const run = ws.startRun({ waitForHumans: false });
    holder.run = run;
    try {
      await waitFor(() => paused, 20_000, 'the turn of held started');
      const other = paused === 'w1' ? 'w2' : 'w1';
      // The other worker does all three while the paused one waits.
      await waitFor(() => ['b1', 'b2', 'b3'].every((id) => repo.task('complete', id)), 30_000, 'the other worker merged b1..b3');
      await waitFor(() => run.workers().find((w) => w.id === paused)?.state === 'paused', 10_000, 'the paused worker shows paused');
      const after = events.slice(pausedAt);
      assert.ok(
        after.some((e) => e.type === 'agent_finished' && e.workerId === paused && e.role !== 'reviewer'),
        'its current turn finished',
      );
      assert.deepEqual(by(after, paused!, 'task_claimed'), [], 'no new task');
      assert.deepEqual(by(after, paused!, 'agent_started'), [], 'no new turn (not even the review of its task)');
      assert.equal(by(events, other, 'task_claimed').length, 3);
      const info = run.workers().find((w) => w.id === paused)!;
      assert.equal(info.paused, true);
      assert.equal(info.waitReason, 'paused by you');
      assert.equal(info.taskId, 'held', 'it keeps its task');
      assert.ok(!repo.task('complete', 'held'));

      assert.equal(run.resumeWorker!(paused!), true);
      assert.equal(run.resumeWorker!(paused!), false, 'not paused any more');
      const summary = await withTimeout(run.done, 30_000, async () => {
        await run.stop('test timeout');
      });
      assert.deepEqual([...summary.merged].sort(), ['b1', 'b2', 'b3', 'held']);
      assert.ok(by(events.slice(pausedAt), paused!, 'agent_started').length >= 1, 'resumed: it reviewed its task');
      assert.equal(repo.show('main', 'held.txt'), 'held\n');
      assert.throws(() => run.pauseWorker!('nobody'), /no worker "nobody"/);
    } finally {
      await run.stop();
      ws.dispose();
    }
  });

  test('a worker stopped mid-turn: its agent is killed, its task interrupted with the work kept, another worker finishes it', async () => {
    const repo = newRepo();
    repo.writeConfig({ workers: [{ role: 'worker', harness: 'scripted', count: 2, iterations: 50 }] });
    // The first worker call writes work in progress, then "thinks" for a minute; later calls are quick.
    repo.writeTask('slow', { priority: 1, agent: { preFiles: { 'wip.txt': 'work in progress\n' }, files: { 'slow.txt': 'done\n' }, sleepFirstMs: 60_000 } });
    repo.writeTask('quick', { priority: 5 });
    let stopped: string | undefined;
    let pid = 0;
    const { summary, events, run } = await runSwarm(repo.root, {
      timeoutMs: 60_000,
      onEvent: (e, _ws, r) => {
        if (stopped || e.type !== 'agent_started' || e.taskId !== 'slow' || e.role === 'reviewer') return;
        stopped = e.workerId;
        pid = e.pid;
        void (async () => {
          await waitFor(() => existsSync(repo.path('.swarm', 'worktrees', 'slow', 'wip.txt')), 20_000, 'work in progress written');
          assert.equal(r.stopWorker!(e.workerId), true);
        })();
      },
    });
    assert.ok(stopped);
    assert.ok(!alive(pid), 'the agent was killed');
    const interrupted = events.find((e) => e.type === 'task_status' && e.taskId === 'slow' && e.status === 'interrupted');
    assert.ok(interrupted, 'the task was marked interrupted');
    assert.equal((interrupted as { detail?: string }).detail, 'stopped by you');
    const finisher = events
      .filter((e) => e.type === 'agent_started' && e.taskId === 'slow' && e.role !== 'reviewer')
      .map((e) => (e as { workerId: string }).workerId);
    assert.equal(finisher.length, 2);
    assert.notEqual(finisher[1], stopped, 'another worker resumed it');
    assert.deepEqual([...summary.merged].sort(), ['quick', 'slow']);
    assert.equal(repo.show('main', 'wip.txt'), 'work in progress\n', "the stopped turn's work was kept");
    assert.equal(repo.show('main', 'slow.txt'), 'done\n');
    const w = run.workers().find((x) => x.id === stopped)!;
    assert.equal(w.state, 'stopped');
    assert.equal(w.stoppedReason, 'stopped by you');
    assert.equal(run.stopWorker!(stopped!), false, 'stopped already');
  });

  test('the only worker stopped mid-turn: the run ends with the task interrupted and resumable; the next run finishes it', async () => {
    const repo = newRepo();
    repo.writeConfig({});
    repo.writeTask('slow', { agent: { preFiles: { 'wip.txt': 'wip\n' }, files: { 'slow.txt': 'done\n' }, sleepFirstMs: 60_000 } });
    let stopped = false;
    const first = await runSwarm(repo.root, {
      timeoutMs: 60_000,
      onEvent: (e, _ws, r) => {
        if (stopped || e.type !== 'agent_started' || e.taskId !== 'slow') return;
        stopped = true;
        void waitFor(() => existsSync(repo.path('.swarm', 'worktrees', 'slow', 'wip.txt')), 20_000, 'wip').then(() => r.stopWorker!(e.workerId));
      },
    });
    assert.deepEqual(first.summary.merged, []);
    assert.equal(repo.task('current', 'slow')?.data.status, 'interrupted');
    assert.equal(repo.state('slow')?.resumeStep, 'work');
    const second = await runSwarm(repo.root, { timeoutMs: 60_000 });
    assert.deepEqual(second.summary.merged, ['slow']);
    assert.equal(repo.show('main', 'wip.txt'), 'wip\n');
  });
});
