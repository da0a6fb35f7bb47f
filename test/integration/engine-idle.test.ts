// Idle (issue 17 target 1, issue 15 item 3): a run whose workers only wait for the user is quiet
// (no worker_state events, the journal does not grow), and it still notices at once, without
// waiting for its poll interval, a task file dropped into pending and a decision file written by
// another process: the task folders and the decision inbox are watched (src/swarm/watch.ts).

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestRepo, waitFor } from '../helpers/repo';
import { openWorkspace } from '../../src/swarm/workspace';
import type { SwarmEvent } from '../../src/swarm/types';
import type { SwarmRun, Workspace } from '../../src/swarm/api';

const repos: TestRepo[] = [];
const runs: SwarmRun[] = [];
after(async () => { for (const r of runs) await r.stop('test end'); for (const r of repos) r.cleanup(); });

async function startWaiting(repo: TestRepo): Promise<{ ws: Workspace; run: SwarmRun; events: SwarmEvent[] }> {
  const ws = await openWorkspace({ repo: repo.root });
  const events: SwarmEvent[] = [];
  ws.onEvent((e) => events.push(e));
  const run = ws.startRun({ waitForHumans: true });
  runs.push(run);
  return { ws, run, events };
}

const journalBytes = (repo: TestRepo): number => {
  const dir = repo.path('.swarm', 'runs');
  return readdirSync(dir).reduce((n, d) => { try { return n + statSync(join(dir, d, 'events.jsonl')).size; } catch { return n; } }, 0);
};

describe('an idle run', { timeout: 90_000 }, () => {
  test('two reviews waiting, two idle workers: no worker_state events, the journal stays put', async () => {
    const repo = new TestRepo();
    repos.push(repo);
    repo.writeConfig({ review: { mode: 'human' }, workers: [{ role: 'worker', harness: 'scripted', count: 2, iterations: 50 }] });
    repo.writeTask('one', { agent: { files: { 'one.txt': '1\n' } } });
    repo.writeTask('two', { agent: { files: { 'two.txt': '2\n' } } });
    const { run, events } = await startWaiting(repo);
    await waitFor(() => ['one', 'two'].every((id) => repo.task('current', id)?.data.status === 'awaiting_human'), 30_000, 'both reviews waiting');
    await waitFor(() => run.workers().every((w) => w.state === 'waiting'), 15_000, 'both workers waiting');
    const before = events.length;
    const bytes = journalBytes(repo);
    // poll_ms is 50 here: the old loop emitted claiming + waiting per worker per look (about 80 in a second).
    await new Promise((r) => setTimeout(r, 1500));
    const states = events.slice(before).filter((e) => e.type === 'worker_state');
    assert.deepEqual(states, [], 'no worker_state event while nothing changes');
    assert.ok(journalBytes(repo) - bytes < 200, `journal grew ${journalBytes(repo) - bytes} bytes`);
  });

  test('a task file dropped into pending is claimed at once, not after the poll interval', async () => {
    const repo = new TestRepo();
    repos.push(repo);
    // A poll interval far beyond the wait below: only a file-system event can wake the worker.
    repo.writeConfig({ review: { mode: 'human' }, limits: { poll_ms: 120_000 } });
    repo.writeTask('first', { agent: { files: { 'first.txt': '1\n' } } });
    const { run, events } = await startWaiting(repo);
    await waitFor(() => repo.task('current', 'first')?.data.status === 'awaiting_human', 30_000, 'the first review waiting');
    await waitFor(() => run.workers().every((w) => w.state === 'waiting'), 15_000, 'the worker waiting');
    repo.writeTask('dropped', { agent: { files: { 'dropped.txt': 'd\n' } } });
    await waitFor(() => events.some((e) => e.type === 'task_claimed' && e.taskId === 'dropped'), 20_000, 'the dropped task claimed');
  });

  test('a task file still being written when the worker wakes is not quarantined', async () => {
    const repo = new TestRepo();
    repos.push(repo);
    repo.writeConfig({ review: { mode: 'human' }, limits: { poll_ms: 120_000 } });
    repo.writeTask('first', { agent: { files: { 'first.txt': '1\n' } } });
    const { run, events } = await startWaiting(repo);
    await waitFor(() => repo.task('current', 'first')?.data.status === 'awaiting_human', 30_000, 'the first review waiting');
    await waitFor(() => run.workers().every((w) => w.state === 'waiting'), 15_000, 'the worker waiting');
    // An editor or a planner: the file appears empty (the watcher wakes the worker), the text follows.
    writeFileSync(repo.path('tasks', 'pending', 'slow.md'), '');
    await new Promise((r) => setTimeout(r, 100));
    repo.writeTask('slow', { agent: { files: { 'slow.txt': 's\n' } } });
    await waitFor(() => repo.task('current', 'slow')?.data.status === 'awaiting_human', 30_000, 'the slow task worked on');
    assert.ok(!events.some((e) => e.type === 'task_quarantined'), 'nothing quarantined');
    assert.equal(repo.git('show', 'refs/heads/swarm/w1/slow:slow.txt'), 's\n', 'the task was claimed with its whole text, not the empty file');
  });

  test("a decision written by another process is applied at once, not after the poll interval", async () => {
    const repo = new TestRepo();
    repos.push(repo);
    repo.writeConfig({ review: { mode: 'human' }, limits: { poll_ms: 120_000 } });
    repo.writeTask('dec', { agent: { files: { 'dec.txt': 'd\n' } } });
    const { run } = await startWaiting(repo);
    await waitFor(() => repo.task('current', 'dec')?.data.status === 'awaiting_human', 30_000, 'the review waiting');
    await waitFor(() => run.workers().every((w) => w.state === 'waiting'), 15_000, 'the worker waiting');
    // Another Workspace (the CLI while the extension runs the swarm): it hands the decision over as a file.
    const other = await openWorkspace({ repo: repo.root });
    const sha = (await other.reviewDetails('dec')).sha!;
    const r = await other.decide({ taskId: 'dec', kind: 'approve', sha, by: 'tester' });
    assert.equal(r.ok, true, JSON.stringify(r));
    await waitFor(() => repo.task('complete', 'dec'), 20_000, 'the decision applied by the running swarm');
  });
});
