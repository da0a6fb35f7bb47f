// Typed errors: every failure the front ends show carries what went wrong and where.

import type { GitErrorCode } from './gitErrors';

/** What kind of failure (front ends branch on it: `swarm` exits 2 for `busy`...); a GitError's is its GitErrorCode. */
export type SwarmErrorCode = 'swarm' | 'config' | 'task' | 'worktree_changed' | 'busy' | 'invalid' | 'not_a_repo' | 'not_found' | 'sandbox' | GitErrorCode;

export class SwarmError extends Error {
  constructor(
    message: string,
    readonly code: SwarmErrorCode = 'swarm',
  ) {
    super(message);
    this.name = 'SwarmError';
  }
}

export interface ConfigIssue {
  /** The file, relative to the repo root when inside it. */
  file: string;
  /** Dotted path of the field, e.g. `workers[0].count`. */
  field: string;
  /** What was expected and what was found. */
  message: string;
}

export class ConfigError extends SwarmError {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map((i) => `${i.file}: ${i.field}: ${i.message}`).join('\n'), 'config');
    this.name = 'ConfigError';
  }
}

export class GitError extends SwarmError {
  constructor(
    message: string,
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly stdout: string,
    /** What went wrong, from git's stderr (classifyGitError in git.ts). */
    override readonly code: GitErrorCode,
  ) {
    super(message, code);
    this.name = 'GitError';
  }
}

export class TaskFileError extends SwarmError {
  constructor(
    readonly file: string,
    readonly field: string,
    message: string,
  ) {
    super(`${file}: ${field}: ${message}`, 'task');
    this.name = 'TaskFileError';
  }
}

/**
 * A task's worktree is no longer what the swarm made (issue 12 rule 1): nothing was written in it.
 * `changes` says exactly what differs, for the user.
 */
export class WorktreeChangedError extends SwarmError {
  constructor(
    readonly path: string,
    readonly changes: string[],
  ) {
    super(
      `The worktree ${path} is no longer the one the swarm made, so nothing was committed in it:\n${changes.map((c) => `- ${c}`).join('\n')}\nCheck what changed there (and in the repository it now points at), put the worktree back or remove it (swarm cleanup), then retry the task.`,
      'worktree_changed',
    );
    this.name = 'WorktreeChangedError';
  }
}
