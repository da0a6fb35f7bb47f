// Idle (issue 17 target 1, issue 15 item 3): a run whose workers only wait for the user is quiet
// (no worker_state events, the journal does not grow), and it still notices at once, without
// waiting for its poll interval, a task file dropped into pending and a decision file written by
// another process: the task folders and the decision inbox are watched (src/swarm/watch.ts).

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newRepo, TestRepo, waitFor } from '../helpers/repo';
import { openWorkspace } from '../../src/swarm/workspace';
import type { SwarmEvent } from '../../src/swarm/types';
import type { SwarmRun, Workspace } from '../../src/swarm/api';

const runs: SwarmRun[] = [];
after(async () => {
  for (const r of runs) await r.stop('test end');
});

async function startWaiting(repo: TestRepo): Promise<{ ws: Workspace; run: SwarmRun; events: SwarmEvent[] }> {
  const ws = await openWorkspace({ repo: repo.root });
  const events: SwarmEvent[] = [];
  ws.onEvent((e) => events.push(e));
  const run = ws.startRun({ waitForHumans: true });
  runs.push(run);
  return { ws, run, events };
}

/**
 * A run in a new repository whose workers all wait for the user: each of `ids` (a task writing
 * <id>.txt) is waiting for review. `config` goes on top of human review.
 */
async function waitingOnReviews(
  ids: string[],
  config: Record<string, unknown>,
): Promise<{ repo: TestRepo; ws: Workspace; run: SwarmRun; events: SwarmEvent[] }> {
  const repo = newRepo();
  repo.writeConfig({ review: { mode: 'human' }, ...config });
  for (const id of ids) repo.writeTask(id, { agent: { files: { [`${id}.txt`]: `${id}\n` } } });
  const started = await startWaiting(repo);
  await waitFor(() => ids.every((id) => repo.task('current', id)?.data.status === 'awaiting_human'), 30_000, `${ids.join(', ')} waiting for review`);
  await waitFor(() => started.run.workers().every((w) => w.state === 'waiting'), 15_000, 'every worker waiting');
  return { repo, ...started };
}

/** A poll interval far beyond any wait of these tests: only a file-system event can wake a worker. */
const NO_POLL = { limits: { poll_ms: 120_000 } };

const journalBytes = (repo: TestRepo): number => {
  const dir = repo.path('.swarm', 'runs');
  return readdirSync(dir).reduce((n, d) => {
    try {
      return n + statSync(join(dir, d, 'events.jsonl')).size;
    } catch {
      return n;
    }
  }, 0);
};

describe('an idle run', { timeout: 300_000 }, () => {
  test('two reviews waiting, two idle workers: no worker_state events, the journal stays put', async () => {
    const { repo, events } = await waitingOnReviews(['one', 'two'], { workers: [{ role: 'worker', harness: 'scripted', count: 2, iterations: 50 }] });
    const before = events.length;
    const bytes = journalBytes(repo);
    // poll_ms is 50 here: the old loop emitted claiming + waiting per worker per look (about 80 in a second).
    await new Promise((r) => setTimeout(r, 1500));
    const states = events.slice(before).filter((e) => e.type === 'worker_state');
    assert.deepEqual(states, [], 'no worker_state event while nothing changes');
    assert.ok(journalBytes(repo) - bytes < 200, `journal grew ${journalBytes(repo) - bytes} bytes`);
  });

  test('a task file dropped into pending is claimed at once, not after the poll interval', async () => {
    const { repo, events } = await waitingOnReviews(['first'], NO_POLL);
    repo.writeTask('dropped', { agent: { files: { 'dropped.txt': 'd\n' } } });
    await waitFor(() => events.some((e) => e.type === 'task_claimed' && e.taskId === 'dropped'), 20_000, 'the dropped task claimed');
  });

  test('a task file still being written when the worker wakes is not quarantined', async () => {
    const { repo, events } = await waitingOnReviews(['first'], NO_POLL);
    // An editor or a planner: the file appears empty (the watcher wakes the worker), the text follows.
    writeFileSync(repo.path('tasks', 'pending', 'slow.md'), '');
    await new Promise((r) => setTimeout(r, 100));
    repo.writeTask('slow', { agent: { files: { 'slow.txt': 's\n' } } });
    await waitFor(() => repo.task('current', 'slow')?.data.status === 'awaiting_human', 30_000, 'the slow task worked on');
    assert.ok(!events.some((e) => e.type === 'task_quarantined'), 'nothing quarantined');
    assert.equal(repo.git('show', 'refs/heads/swarm/w1/slow:slow.txt'), 's\n', 'the task was claimed with its whole text, not the empty file');
  });

  test('a decision written by another process is applied at once, not after the poll interval', async () => {
    const { repo } = await waitingOnReviews(['dec'], NO_POLL);
    // Another Workspace (the CLI while the extension runs the swarm): it hands the decision over as a file.
    const other = await openWorkspace({ repo: repo.root });
    const sha = (await other.reviewDetails('dec')).sha!;
    const r = await other.decide({ taskId: 'dec', kind: 'approve', sha, by: 'tester' });
    assert.equal(r.ok, true, JSON.stringify(r));
    await waitFor(() => repo.task('complete', 'dec'), 20_000, 'the decision applied by the running swarm');
  });
});
