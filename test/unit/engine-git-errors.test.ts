// Typed git errors (issue 11 item 4): each GitErrorCode is provoked with real git in a temp
// repository, through the swarm's own Git (its safe config and environment), and the thrown
// GitError carries the code; classifyGitError gives the same code from the captured stderr alone.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { git } from '../helpers/repo'; // this process: no git identity anywhere (as on a fresh CI machine)
import { Git, classifyGitError, type GitErrorCode } from '../../src/swarm/git';
import { GitError, SwarmError } from '../../src/swarm/errors';
import { WorktreeManager } from '../../src/swarm/worktrees';

const home = mkdtempSync(join(tmpdir(), 'swarm-git-errors-'));
after(() => rmSync(home, { recursive: true, force: true }));
const root = join(home, 'repo');
mkdirSync(root);
const ID = ['-c', 'user.name=T', '-c', 'user.email=t@example.invalid'];
git(root, 'init', '-q', '-b', 'main');
writeFileSync(join(root, 'f.txt'), 'base\n');
git(root, 'add', '.');
git(root, ...ID, 'commit', '-q', '-m', 'base');
const base = git(root, 'rev-parse', 'HEAD').trim();
// Two branches that change f.txt differently (a conflict), one that adds n.txt.
git(root, 'checkout', '-q', '-b', 'side');
writeFileSync(join(root, 'f.txt'), 'side\n');
git(root, ...ID, 'commit', '-q', '-am', 'side');
git(root, 'checkout', '-q', '-b', 'adds-n', 'main');
writeFileSync(join(root, 'n.txt'), 'n\n');
git(root, 'add', 'n.txt');
git(root, ...ID, 'commit', '-q', '-m', 'adds n');
git(root, 'checkout', '-q', 'main');
writeFileSync(join(root, 'f.txt'), 'main\n');
git(root, ...ID, 'commit', '-q', '-am', 'main');
const repo = new Git(root);

/** The GitError `run` throws (it must throw one). */
async function failure(run: () => Promise<unknown>): Promise<GitError> {
  try {
    await run();
  } catch (e) {
    assert.ok(e instanceof GitError, `expected a GitError, got ${String(e)}`);
    return e;
  }
  assert.fail('git did not fail');
}

async function expectCode(code: GitErrorCode, run: () => Promise<unknown>): Promise<GitError> {
  const e = await failure(run);
  assert.equal(e.code, code, `GitError.code for: ${e.stderr || e.stdout}`);
  assert.equal(classifyGitError(e.stderr, e.stdout), code, `classifyGitError of: ${e.stderr || e.stdout}`);
  assert.ok(e instanceof SwarmError);
  return e;
}

test('NotAGitRepository: a folder outside any repository', async () => {
  const plain = join(home, 'plain');
  mkdirSync(plain);
  await expectCode('NotAGitRepository', () => new Git(plain).exec(['rev-parse', 'HEAD']));
});

test('LockFileExists: index.lock left by another (or a crashed) git', async () => {
  writeFileSync(join(root, '.git', 'index.lock'), '');
  writeFileSync(join(root, 'f.txt'), 'edited\n');
  try {
    await expectCode('LockFileExists', () => repo.addAll({ cwd: root }));
  } finally {
    rmSync(join(root, '.git', 'index.lock'));
    git(root, 'checkout', '-q', '--', 'f.txt');
  }
});

test('CannotLockRef: a compare-and-swap that lost, an archive ref that exists, a ref.lock', async () => {
  await expectCode('CannotLockRef', () => repo.updateRef('refs/heads/main', base, 'f'.repeat(40)));
  await repo.updateRef('refs/swarm/archive/x', base, '');
  await expectCode('CannotLockRef', () => repo.updateRef('refs/swarm/archive/x', base, ''));
  writeFileSync(join(root, '.git', 'refs', 'heads', 'side.lock'), '');
  try {
    await expectCode('CannotLockRef', () => repo.deleteRef('refs/heads/side', git(root, 'rev-parse', 'side').trim()));
  } finally {
    rmSync(join(root, '.git', 'refs', 'heads', 'side.lock'));
  }
});

test('Conflict, then UnmergedFiles while it is unresolved (merge says CONFLICT on stdout)', async () => {
  const e = await failure(() => repo.exec([...ID, 'merge', '--no-ff', '--no-edit', 'side']));
  try {
    assert.equal(e.code, 'Conflict');
    assert.match(e.stdout, /^CONFLICT \(/m); // where git says it: the classifier must read stdout too
    assert.equal(classifyGitError(e.stderr, e.stdout), 'Conflict');
    assert.equal(classifyGitError(e.stderr), e.stderr.includes('CONFLICT') ? 'Conflict' : 'Unknown');
    await expectCode('UnmergedFiles', () => repo.exec(['merge', '--no-edit', 'side']));
  } finally {
    await repo.mergeAbort({ cwd: root });
  }
});

test('LocalChangesOverwritten and UntrackedFilesOverwritten: a checkout with your files in the way', async () => {
  writeFileSync(join(root, 'f.txt'), 'uncommitted\n');
  try {
    await expectCode('LocalChangesOverwritten', () => repo.exec(['checkout', 'side']));
  } finally {
    git(root, 'checkout', '-q', '--', 'f.txt');
  }
  writeFileSync(join(root, 'n.txt'), 'mine\n');
  try {
    await expectCode('UntrackedFilesOverwritten', () => repo.exec(['checkout', 'adds-n']));
  } finally {
    rmSync(join(root, 'n.txt'));
  }
});

test('NotFastForward: --ff-only onto a branch that went another way', async () => {
  await expectCode('NotFastForward', () => repo.exec(['merge', '--ff-only', 'side']));
});

test('BadRevision: a name that is no commit', async () => {
  await expectCode('BadRevision', () => repo.exec(['log', 'no-such-thing']));
  await expectCode('BadRevision', () => repo.commitTree('0'.repeat(40), [base], 'x'));
  await expectCode('BadRevision', () => repo.exec(['rev-parse', '--verify', 'no-such-thing']));
});

test('worktrees: BranchNotFound, BranchExists, BranchCheckedOut, WorktreeExists, WorktreeMissingButRegistered, NotAWorktree, DirtyWorkTree', async () => {
  const wt = (name: string) => join(home, 'wt', name);
  await expectCode('BranchNotFound', () => repo.worktreeAdd(wt('a'), 'no-such-branch'));
  await expectCode('BranchExists', () => repo.worktreeAdd(wt('b'), 'side', base));
  await expectCode('BranchCheckedOut', () => repo.worktreeAdd(wt('c'), 'main'));
  mkdirSync(wt('d'), { recursive: true });
  writeFileSync(join(wt('d'), 'something'), 'x');
  await expectCode('WorktreeExists', () => repo.worktreeAddDetached(wt('d'), base));
  await repo.worktreeAddDetached(wt('e'), base);
  rmSync(wt('e'), { recursive: true });
  await expectCode('WorktreeMissingButRegistered', () => repo.worktreeAddDetached(wt('e'), base));
  await repo.worktreePrune();
  await expectCode('NotAWorktree', () => repo.worktreeRemove(wt('nothing-here')));
  await repo.worktreeAddDetached(wt('f'), base);
  writeFileSync(join(wt('f'), 'new.txt'), 'x');
  await expectCode('DirtyWorkTree', () => repo.exec(['worktree', 'remove', wt('f')]));
  await repo.worktreeRemove(wt('f'));
});

test('NoUserNameConfigured: a commit with no identity anywhere', async () => {
  await expectCode('NoUserNameConfigured', () => repo.exec(['-c', 'user.useConfigOnly=true', 'commit', '--allow-empty', '-q', '-m', 'x']));
});

test('UsageError: an option this git does not know', async () => {
  await expectCode('UsageError', () => repo.exec(['merge-tree', '--no-such-option', 'main', 'side']));
});

test('Unknown: anything else; classifyGitError is pure and reads no more than it is given', () => {
  assert.equal(classifyGitError(''), 'Unknown');
  assert.equal(classifyGitError('fatal: something new\n'), 'Unknown');
  // The wording inside a path or a branch name is not git's message about it.
  assert.equal(classifyGitError('fatal: unable to read tree 123\n', 'CONFLICT in a file name, not at a line start\n'), 'Unknown');
});

test('a caller branches on the code: a task worktree whose folder is gone but still registered is made again (prune, add)', async () => {
  const wm = new WorktreeManager(repo, root, join(home, 'swarm-wt'));
  const made = await wm.ensure('t1', 'swarm/w1/t1', base);
  assert.equal(made.created, true);
  rmSync(made.path, { recursive: true });
  const again = await wm.ensure('t1', 'swarm/w1/t1', base);
  assert.equal(again.created, true);
  assert.equal(git(again.path, 'rev-parse', 'HEAD').trim(), base);
  // Any other failure of `worktree add` is not taken for that one: it is thrown as it is.
  await assert.rejects(wm.ensure('t2', 'swarm/w1/t1', base), (e: unknown) => e instanceof GitError && e.code === 'BranchCheckedOut');
});
