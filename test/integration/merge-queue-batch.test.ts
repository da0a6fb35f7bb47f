// The checked merge queue's batches (src/swarm/merge.ts; README, "Merge checks"): several approved
// changes waiting at once are checked together; a failing batch is bisected so only the bad change
// goes back; a change that conflicts only with another change of its batch waits for the next one;
// the base only ever points at a result that passed. Real git, a real check program, no agents.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newRepo, TestRepo, git } from '../helpers/repo';
import { Git } from '../../src/swarm/git';
import { MergeQueue, type MergeOutcome } from '../../src/swarm/merge';
import { MergeChecker } from '../../src/swarm/mergeCheck';
import { WorktreeManager } from '../../src/swarm/worktrees';

/** Branches off main, each writing `files`; returns their tips. */
function branches(repo: TestRepo, specs: Record<string, string>[]): string[] {
  return specs.map((files, i) => {
    git(repo.root, 'checkout', '-q', '-b', `b${i}`, 'main');
    for (const [f, c] of Object.entries(files)) writeFileSync(repo.path(f), c);
    git(repo.root, 'add', '-A');
    git(repo.root, '-c', 'user.name=T', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', `change ${i}`);
    const sha = git(repo.root, 'rev-parse', 'HEAD').trim();
    git(repo.root, 'checkout', '-q', 'main');
    return sha;
  });
}

async function queue(repo: TestRepo, batch: number): Promise<{ q: MergeQueue; checked: string[] }> {
  const g = new Git(repo.root);
  await g.identity();
  // Fails when the result holds bad.txt; logs each result it checks.
  const log = join(repo.logDir, 'checked');
  const worktrees = new WorktreeManager(g, repo.root, '.swarm/worktrees');
  await worktrees.ensureExcluded(); // as the workspace does: .swarm/ stays out of `git status`
  const checker = new MergeChecker(
    { command: ['sh', '-c', `echo "$SWARM_MERGE_SHA" >> '${log}'; test ! -e bad.txt`], timeoutS: 60, batch },
    { root: repo.root, tasksDir: repo.path('tasks'), base: 'main', worktrees },
  );
  const checked: string[] = [];
  const run = checker.run.bind(checker);
  checker.run = async (sha, r) => {
    checked.push(sha);
    return run(sha, r);
  };
  return { q: new MergeQueue(g, 'main', undefined, checker), checked };
}

const mergeAll = (q: MergeQueue, shas: string[]): Promise<MergeOutcome[]> =>
  Promise.all(shas.map((sha, i) => q.merge({ taskId: `t${i}`, title: `change ${i}`, sha })));

test('4 good changes waiting at once: at most 2 checks (the first alone, then the rest together); all merged; main points at a checked result', async () => {
  const repo = newRepo('swarm-batch-');
  const shas = branches(repo, [{ 'a.txt': 'a\n' }, { 'b.txt': 'b\n' }, { 'c.txt': 'c\n' }, { 'd.txt': 'd\n' }]);
  const { q, checked } = await queue(repo, 8);
  const out = await mergeAll(q, shas);
  assert.deepEqual(
    out.map((o) => o.kind),
    ['merged', 'merged', 'merged', 'merged'],
  );
  assert.ok(checked.length <= 2, `checks: ${checked.length}`);
  assert.equal(repo.rev('main'), checked.at(-1));
  for (const s of shas) assert.equal(repo.git('merge-base', '--is-ancestor', s, 'main'), '');
  assert.equal(repo.git('status', '--porcelain'), '');
});

test('one bad change among 4, batch 4: bisection sends back only the bad one; the base never points at a result holding it', async () => {
  const repo = newRepo('swarm-batch-');
  // The first arrives alone and passes; the other three (one bad) are checked together, then bisected.
  const shas = branches(repo, [{ 'a.txt': 'a\n' }, { 'b.txt': 'b\n' }, { 'bad.txt': 'x\n' }, { 'd.txt': 'd\n' }]);
  const start = repo.rev('main')!;
  const { q, checked } = await queue(repo, 4);
  const out = await mergeAll(q, shas);
  assert.deepEqual(
    out.map((o) => o.kind),
    ['merged', 'merged', 'check_failed', 'merged'],
  );
  const failed = out[2];
  assert.ok(failed.kind === 'check_failed' && failed.check.batch.join() === 't2' && !failed.check.ok, 'the failure is reported for the bad change alone');
  assert.equal(repo.show('main', 'bad.txt'), undefined);
  const firstParents = repo.git('rev-list', '--first-parent', `${start}..main`).split('\n').filter(Boolean);
  for (const c of firstParents) assert.equal(repo.show(c, 'bad.txt'), undefined, `${c} holds bad.txt`);
  assert.ok(checked.length > 2 && checked.length <= 6, `checks: ${checked.length}`);
});

test('two changes of one batch conflicting with each other: the first merges, the second is checked against the new base and gets the conflict', async () => {
  const repo = newRepo('swarm-batch-');
  const shas = branches(repo, [{ 'a.txt': 'a\n' }, { 'shared.txt': 'ONE\n' }, { 'shared.txt': 'TWO\n' }]);
  const { q } = await queue(repo, 8);
  const out = await mergeAll(q, shas);
  assert.deepEqual(
    out.map((o) => o.kind),
    ['merged', 'merged', 'conflict'],
  );
  assert.equal(repo.show('main', 'shared.txt'), 'ONE\n');
});

test('batch 1 checks one change at a time', async () => {
  const repo = newRepo('swarm-batch-');
  const shas = branches(repo, [{ 'a.txt': 'a\n' }, { 'b.txt': 'b\n' }, { 'c.txt': 'c\n' }]);
  const { q, checked } = await queue(repo, 1);
  const out = await mergeAll(q, shas);
  assert.deepEqual(
    out.map((o) => o.kind),
    ['merged', 'merged', 'merged'],
  );
  assert.equal(checked.length, 3);
  const firstParents = repo.git('rev-list', '--first-parent', '-3', 'main').split('\n').filter(Boolean).reverse();
  assert.deepEqual(firstParents, checked, 'each first-parent commit is a checked result');
});
