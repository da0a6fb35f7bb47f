// What went wrong in a git command, as a code (src/swarm/git.ts raises GitError with it).

/**
 * What went wrong in a git command, read from its stderr (after VS Code's git extension's
 * `GitErrorCodes`). Callers branch on this, never on git's wording; classifyGitError is the one
 * place that knows the wording (test/unit/engine-git-errors.test.ts provokes each with real git).
 */
export type GitErrorCode =
  | 'NotAGitRepository'
  | 'LockFileExists' // index.lock (or another .lock than a ref's): another git process, or a crashed one
  | 'CannotLockRef' // a ref's compare-and-swap lost, the ref exists already, or its .lock exists
  | 'Conflict' // a merge stopped on conflicts
  | 'UnmergedFiles' // the index still has unresolved conflicts
  | 'LocalChangesOverwritten' // uncommitted changes to tracked files are in the way
  | 'UntrackedFilesOverwritten' // untracked files are in the way
  | 'NotFastForward'
  | 'DirtyWorkTree' // `worktree remove` of a worktree with changes
  | 'BadRevision'
  | 'BranchNotFound'
  | 'BranchExists'
  | 'BranchCheckedOut' // the branch is checked out in another worktree
  | 'WorktreeExists' // the path exists already
  | 'WorktreeMissingButRegistered' // its folder is gone but git still lists it (prune clears it)
  | 'NotAWorktree'
  | 'NoUserNameConfigured'
  | 'UsageError' // an option this git does not know (an older git)
  | 'Unknown';

/** First match wins: the more specific wording before the general one. */
const GIT_ERROR_RULES: [GitErrorCode, RegExp][] = [
  ['NotAGitRepository', /not a git repository/i],
  ['CannotLockRef', /cannot lock ref/i],
  ['LockFileExists', /Unable to create '[^']*\.lock': File exists/],
  ['UnmergedFiles', /you have unmerged files|resolve your current index first|unresolved conflict/i],
  ['LocalChangesOverwritten', /Your local changes to the following files would be overwritten/],
  ['UntrackedFilesOverwritten', /untracked working tree files? would be (overwritten|removed)/],
  ['NotFastForward', /Not possible to fast-forward/i],
  ['DirtyWorkTree', /contains modified or untracked files/],
  ['WorktreeMissingButRegistered', /missing but (already )?(registered|locked) worktree/],
  ['BranchExists', /a branch named '.*' already exists/],
  ['BranchCheckedOut', /is already (checked out|used by worktree) at/],
  ['WorktreeExists', /^fatal: '.*' already exists/m],
  ['NotAWorktree', /is not a working tree/],
  ['BranchNotFound', /invalid reference: |branch '.*' not found/],
  ['BadRevision', /unknown revision|bad revision|not a valid object|invalid object name|Needed a single revision|bad object /i],
  ['NoUserNameConfigured', /Please tell me who you are|unable to auto-detect email address|auto-detection is disabled|empty ident name/],
  ['UsageError', /^usage: |unknown option|unknown switch/m],
];

/** The GitErrorCode of a failed git command, from its stderr (and stdout: a merge says CONFLICT there). Pure. */
export function classifyGitError(stderr: string, stdout = ''): GitErrorCode {
  if (/^CONFLICT \(/m.test(stdout) || /^CONFLICT \(/m.test(stderr)) return 'Conflict';
  return GIT_ERROR_RULES.find(([, re]) => re.test(stderr))?.[0] ?? 'Unknown';
}
