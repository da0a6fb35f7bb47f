// A swarm started from the extension runs in its own process (setting swarm.engineProcess
// "child", src/extension/engineChild.ts, src/engineChild/serve.ts): real git, real processes,
// scripted agents (test/helpers/repo.ts), the extension in the fake `vscode`. Tasks merge and the
// views get the child's events; a worker is paused and stopped and the run stopped over the
// channel; a killed extension host leaves the child and its agents going on (the next window
// re-attaches: extension-engine-reattach.test.ts); a child killed with
// SIGKILL ends the run with an error and its task is recovered by the next start.
import { fake, createFakeExtensionContext } from '../helpers/fake-vscode';
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { activate, deactivate, type SwarmExtension } from '../../src/extension/extension';
import type { SwarmSession } from '../../src/extension/session';
import type { SwarmRun } from '../../src/swarm/api';
import { Commands } from '../../src/extension/constants';
import { ChildRun } from '../../src/extension/engineChild';
import { alive, newRepo, spawnHostReport, waitFor, type TestRepo } from '../helpers/repo';
import type { RunSummary, SwarmEvent } from '../../src/swarm/types';

function makeRepo(tasks: Record<string, { sleepFirstMs?: number; blocked?: string }>, workers = 1): TestRepo {
  const repo = newRepo('swarm-ext-child-');
  repo.writeConfig({
    workers: [{ role: 'executor', harness: 'scripted', count: workers, iterations: 10 }],
    review: { mode: 'agent', harness: 'scripted', max_rounds: 2 },
  });
  for (const [id, o] of Object.entries(tasks))
    repo.writeTask(id, {
      title: `Task ${id}`,
      body: `Create ${id}.txt.`,
      agent: { files: { [`${id}.txt`]: `made for ${id}\n` }, sleepFirstMs: o.sleepFirstMs, blocked: o.blocked },
    });
  return repo;
}

/** Activate the extension on the repository at `root` (the engine real, its agents scripted); the events its sessions see from then on. */
async function startExtension(root: string): Promise<{ ext: SwarmExtension; events: SwarmEvent[] }> {
  fake.setFolders([root]);
  const ext = activate(createFakeExtensionContext() as never, {
    agentPath: async () => process.env.PATH,
    refreshDelayMs: 10,
    refreshMaxWaitMs: 50,
    startTimeoutMs: 20_000,
  });
  await ext.openSessions();
  await ext.registry.sessions[0].settled();
  const events: SwarmEvent[] = [];
  ext.registry.onEvent(({ event }) => events.push(event));
  return { ext, events };
}

/** startExtension, then "Start swarm" (it must accept): the session, its events and the run (a ChildRun unless swarm.engineProcess is "host"). */
async function startSwarm(repo: TestRepo): Promise<{ session: SwarmSession; events: SwarmEvent[]; run: ChildRun }> {
  const { ext, events } = await startExtension(repo.root);
  const session = ext.registry.sessions[0];
  assert.equal(await fake.commands.get(Commands.startSwarm)!(), true);
  return { session, events, run: session.activeRun as ChildRun };
}

/** One task, `rev`, for a human reviewer: the swarm started in its child process, up to the request for that review. */
async function untilHumanReview() {
  const repo = makeRepo({ rev: {} });
  repo.writeConfig({ workers: [{ role: 'executor', harness: 'scripted', count: 1, iterations: 5 }], review: { mode: 'human' } });
  const { session, events, run } = await startSwarm(repo);
  const asked = await waitFor(
    () => events.find((e): e is Extract<SwarmEvent, { type: 'human_review_requested' }> => e.type === 'human_review_requested' && e.taskId === 'rev'),
    60_000,
    'the review',
  );
  return { repo, session, events, run, asked };
}

const log = () => fake.outputChannels.map((c) => c.text()).join('\n');

/** The run's summary, or a failure with the output channels' text if it has not ended within `ms`. */
async function doneWithin(run: SwarmRun, ms: number): Promise<RunSummary> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`run did not end; log:\n${log()}`)), ms)));
  try {
    return await Promise.race([run.done, late]);
  } finally {
    clearTimeout(timer); // the test process need not wait for it
  }
}

beforeEach(() => fake.reset());
afterEach(async () => {
  await deactivate();
});

test('child engine: Start swarm runs in a child process; tasks merge, the views get its events, the journal has its run id', { timeout: 200_000 }, async () => {
  const repo = makeRepo({ alpha: {}, beta: {} });
  const { session, events, run } = await startSwarm(repo);
  assert.ok(run instanceof ChildRun, "the run is the child process's");
  assert.ok(run.pid && run.pid !== process.pid && alive(run.pid), 'a live child process');
  const summary = await doneWithin(run, 180_000);
  assert.deepEqual([...summary.merged].sort(), ['alpha', 'beta']);
  assert.equal(summary.runId, run.runId);
  assert.deepEqual(
    events
      .filter((e) => e.type === 'task_merged')
      .map((e) => (e as { taskId: string }).taskId)
      .sort(),
    ['alpha', 'beta'],
    'the session saw the merges',
  );
  assert.ok(
    events.some((e) => e.type === 'run_started' && e.runId === run.runId),
    'run_started with the id the host made',
  );
  assert.ok(
    repo.journal().some((e) => e.type === 'run_finished' && e.runId === run.runId),
    'journaled under that id',
  );
  await waitFor(() => !alive(run.pid!), 10_000, 'the child process exits after its run');
  assert.equal(session.activeRun, undefined);
  await session.refreshNow();
  assert.deepEqual(session.snapshot.tasks.complete.map((t) => t.id).sort(), ['alpha', 'beta'], 'the Tasks view shows them complete');
  assert.match(repo.git('show', 'main:alpha.txt'), /made for alpha/);
});

test('child engine: pause and stop a worker, then Stop swarm: the agent and the child end, the task waits for the next run', { timeout: 120_000 }, async () => {
  const repo = makeRepo({ slow: { sleepFirstMs: 120_000 } }, 2);
  const { session, events, run } = await startSwarm(repo);
  const started = await waitFor(
    () => events.find((e): e is Extract<SwarmEvent, { type: 'agent_started' }> => e.type === 'agent_started' && e.taskId === 'slow'),
    60_000,
    'the agent on slow',
  );
  const idle = started.workerId === 'e1' ? 'e2' : 'e1';
  const listed = await run.listWorktrees();
  assert.deepEqual(
    listed.map((w) => w.taskId),
    ['slow'],
    "the Worktrees view's listing, made by the child",
  );
  await session.refreshNow();
  assert.deepEqual(
    session.snapshot.worktrees.map((w) => w.taskId),
    ['slow'],
  );

  assert.equal(run.pauseWorker(idle), true);
  assert.equal(await run.lastWorkerReply, true, 'the child paused it');
  await waitFor(() => run.workers().find((w) => w.id === idle)?.paused, 10_000, "the paused worker in the host's view of the run");
  assert.equal(run.resumeWorker(idle), true);
  assert.equal(await run.lastWorkerReply, true);
  assert.throws(() => run.pauseWorker('nobody'), /no worker nobody/);

  assert.equal(run.stopWorker(started.workerId, 'stopped by the test'), true);
  assert.equal(await run.lastWorkerReply, true);
  await waitFor(
    () => events.some((e) => e.type === 'worker_state' && e.worker.id === started.workerId && e.worker.state === 'stopped'),
    20_000,
    'the worker stopped',
  );
  assert.equal(run.workers().find((w) => w.id === started.workerId)?.state, 'stopped');
  await waitFor(() => !alive(started.pid), 20_000, "the stopped worker's agent is gone");

  assert.equal(await fake.commands.get(Commands.stopSwarm)!(), true);
  const summary = await run.done;
  assert.match(summary.reason ?? '', /stopped by the user/);
  await waitFor(() => !alive(run.pid!), 10_000, 'the child exits');
  assert.ok(
    repo.journal().some((e) => e.type === 'run_finished' && e.runId === run.runId),
    'the stop is journaled',
  );
  assert.ok(!repo.task('complete', 'slow'), 'slow not merged: it waits for the next run');
});

test(
  "child engine: Retry task while the run goes on is done by the run's process (the host's workspace would refuse: the lock is the child's)",
  { timeout: 120_000 },
  async () => {
    const repo = makeRepo({ ask: { blocked: 'Which port?' } });
    const { session, events, run } = await startSwarm(repo);
    await waitFor(() => events.some((e) => e.type === 'task_blocked' && e.taskId === 'ask'), 60_000, 'the question');
    await session.refreshNow();
    await assert.rejects(session.workspace!.retry('ask'), /another window or terminal/, "the host's own workspace refuses");
    await run.retryTask('ask');
    await waitFor(() => events.some((e) => e.type === 'task_returned' && e.taskId === 'ask'), 20_000, 'task_returned from the child');
    await assert.rejects(run.retryTask('nope'), /nope/);
    await run.stop('test over');
  },
);

test(
  "child engine: a review decision taken in the window is queued for the run's process (decision inbox) and merges there",
  { timeout: 120_000 },
  async () => {
    const { repo, session, events, run, asked } = await untilHumanReview();
    const result = await session.workspace!.decide({ taskId: 'rev', kind: 'approve', sha: asked.sha });
    assert.equal(result.ok && result.applied, 'queued', JSON.stringify(result));
    await waitFor(() => events.some((e) => e.type === 'task_merged' && e.taskId === 'rev'), 60_000, 'merged by the child');
    assert.match(repo.git('show', 'main:rev.txt'), /made for rev/);
    await run.stop('test over');
  },
);

test(
  "child engine: a review decision taken in the window (command, review panel: SwarmSession.decide) is applied by the run's process, which answers with the merge",
  { timeout: 120_000 },
  async () => {
    const { repo, session, run, asked } = await untilHumanReview();
    const result = await session.withRunEvents(session.workspace!).decide({ taskId: 'rev', kind: 'approve', sha: asked.sha, by: 'vscode' });
    assert.ok(result.ok && result.applied === 'merged', JSON.stringify(result));
    assert.match(repo.git('show', 'main:rev.txt'), /made for rev/, 'merged when the answer came');
    const stale = await session.decide(session.workspace!, { taskId: 'rev', kind: 'approve', sha: asked.sha, by: 'vscode' });
    assert.equal(stale.ok, false, 'a second decision on a merged task is refused by the run, not queued');
    await run.stop('test over');
  },
);

test(
  'child engine: the extension host killed hard leaves the child and its agent going on; the next window attaches and its Stop ends them, journaled',
  { timeout: 120_000 },
  async () => {
    const repo = makeRepo({ slow: { sleepFirstMs: 120_000 } });
    const {
      host,
      report: { childPid, agentPid, runId },
    } = await spawnHostReport<{ childPid: number; agentPid: number; runId: string }>(
      'engine-child-host.ts',
      repo.root,
      'the host reporting its child and agent',
    );
    assert.ok(alive(childPid) && alive(agentPid));
    await waitFor(() => existsSync(join(repo.root, '.swarm', 'engine', 'engine.json')), 30_000, 'the engine socket');
    host.kill('SIGKILL');
    await new Promise((r) => (host.exitCode !== null || host.signalCode !== null ? r(undefined) : host.once('exit', r)));
    try {
      assert.ok(alive(childPid) && alive(agentPid), 'the run goes on without its window (a re-attachable run: docs/decisions.md)');
      const { ext } = await startExtension(repo.root);
      const run = ext.registry.sessions[0].activeRun as ChildRun | undefined;
      assert.equal(run?.runId, runId, `the next window attached: ${log()}`);
      assert.equal(await fake.commands.get(Commands.stopSwarm)!(), true);
      await waitFor(() => !alive(childPid) && !alive(agentPid), 30_000, 'the child and its agent gone after Stop');
    } finally {
      for (const pid of [childPid, agentPid]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    const finished = repo.journal().find((e) => e.type === 'run_finished' && e.runId === runId) as Extract<SwarmEvent, { type: 'run_finished' }> | undefined;
    assert.ok(finished, 'the run journaled its end');
    assert.match(finished.summary.reason ?? '', /stopped by the user/);
  },
);

test(
  'child engine: a child killed with SIGKILL ends the run with an error (output channel and notification); the next start recovers its task',
  { timeout: 180_000 },
  async () => {
    const repo = makeRepo({ slow: { sleepFirstMs: 120_000 } });
    const { session, events, run } = await startSwarm(repo);
    const agent = await waitFor(() => events.find((e): e is Extract<SwarmEvent, { type: 'agent_started' }> => e.type === 'agent_started'), 60_000, 'the agent');
    process.kill(run.pid!, 'SIGKILL');
    const summary = await run.done;
    assert.match(summary.reason ?? '', /swarm process \(pid \d+\) ended unexpectedly \(killed by SIGKILL\).*recovered by the next start/);
    await waitFor(() => fake.messages.find((m) => m.severity === 'error' && /ended unexpectedly/.test(m.text)), 5000, 'an error notification');
    assert.match(log(), /ended unexpectedly \(killed by SIGKILL\)/, 'said in the Swarm output channel');
    assert.equal(session.activeRun, undefined, 'no run any more');

    // The next start recovers the orphaned agent and the task, and merges it (its second call does not sleep).
    assert.equal(await fake.commands.get(Commands.startSwarm)!(), true);
    const next = session.activeRun!;
    const s2 = await doneWithin(next, 120_000);
    const recovered = events.find((e): e is Extract<SwarmEvent, { type: 'run_recovered' }> => e.type === 'run_recovered');
    assert.ok(recovered, 'run_recovered');
    assert.ok([...recovered.resumed, ...recovered.returnedToPending].includes('slow'), JSON.stringify(recovered));
    assert.deepEqual(s2.merged, ['slow']);
    assert.ok(!alive(agent.pid), 'the orphaned agent was stopped');
  },
);

test('swarm.engineProcess "host": the run is the engine\'s own, in this process', { timeout: 60_000 }, async () => {
  const repo = makeRepo({ alpha: {} });
  fake.config['swarm.engineProcess'] = 'host';
  const { session } = await startSwarm(repo);
  const run = session.activeRun!;
  assert.ok(!(run instanceof ChildRun), 'not a child run');
  assert.deepEqual((await run.done).merged, ['alpha']);
});
