// Issue 12, rule 16: "ready" with no change is not a silent success. A worker that signals
// COMPLETE_AND_READY_FOR_MERGE with nothing changed goes to review (or to the user, per review
// mode) with "no change: confirm the task needs none"; an approval completes it without a merge,
// and the run summary counts it apart from merges.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { newRepo, runSwarm } from '../helpers/repo';
import { openWorkspace } from '../../src/swarm/workspace';
import type { RunSummary } from '../../src/swarm/types';

describe('rule 16: ready with no change', { timeout: 300_000 }, () => {
  test('agent review: the reviewer is asked to confirm; APPROVED completes it without a merge, counted apart', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('nothing', { agent: { files: {} } });
    const before = repo.rev('main');
    const { summary } = await runSwarm(repo.root);
    const reviews = repo.calls().filter((c) => c.role === 'reviewer');
    assert.equal(reviews.length, 1, 'the reviewer was asked');
    assert.match(reviews[0].prompt, /no change: confirm the task needs none/);
    assert.deepEqual(summary.merged, []);
    assert.deepEqual(summary.completedWithoutChange, ['nothing']);
    assert.equal(repo.rev('main'), before, 'nothing merged');
    const done = repo.task('complete', 'nothing')!;
    assert.equal(done.data.merged_commit, null);
    assert.match(String(done.data.note), /no change/);
    const onDisk = JSON.parse(readFileSync(repo.path('.swarm', 'runs', summary.runId, 'summary.json'), 'utf8')) as RunSummary;
    assert.deepEqual(onDisk.completedWithoutChange, ['nothing']);
  });

  test('the reviewer says NEEDS_CHANGES: a fix round, never a silent completion', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('lazy', { agent: { files: {}, rounds: { 2: { files: { 'lazy.txt': 'done\n' } } }, review: ['NEEDS_CHANGES', 'APPROVED'] } });
    const { summary } = await runSwarm(repo.root);
    assert.deepEqual(summary.merged, ['lazy']);
    assert.deepEqual(summary.completedWithoutChange ?? [], []);
    assert.equal(repo.show('main', 'lazy.txt'), 'done\n');
  });

  test('human review: the task waits for the user with the note; the user approves it and it completes without a merge', async () => {
    const repo = newRepo();
    repo.writeConfig({ review: { mode: 'human' } });
    repo.writeTask('idle', { agent: { files: {} } });
    const before = repo.rev('main');
    const { summary, events } = await runSwarm(repo.root);
    assert.deepEqual(summary.waitingForHuman, ['idle']);
    assert.ok(
      events.some(
        (e) =>
          e.type === 'task_status' && e.taskId === 'idle' && e.status === 'awaiting_human' && /no change: confirm the task needs none/.test(e.detail ?? ''),
      ),
    );
    const st = repo.state('idle')!;
    const ws = await openWorkspace({ repo: repo.root });
    const r = await ws.decide({ taskId: 'idle', kind: 'approve', sha: st.headSha });
    ws.dispose();
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.ok && r.applied, 'completed_without_change');
    assert.equal(repo.rev('main'), before, 'nothing merged');
    assert.equal(repo.task('complete', 'idle')!.data.merged_commit, null);
  });
});
