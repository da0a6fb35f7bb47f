// Which program an agent turn starts (issue 12 rule 4): resolved from the user's environment only,
// never from a worktree. A worker can write anything in its worktree, commit it (so it is in the
// reviewer's checkout too) and, with the sandbox off, anywhere in the repository; a bare program
// name looked up through a relative PATH entry (".", "bin", "node_modules/.bin", or an empty
// entry, which all mean "the current folder") or through an absolute entry inside the repository
// or a worktree would run the worker's program as the reviewer or planner. So:
//   - a bare name is searched only in absolute PATH entries outside the untrusted folders;
//   - a path the user configured is used as given (absolute), or taken from the repository root
//     (relative: "scripts/agent.sh" is the user's checkout's file, not the worktree's);
//   - the agent's own PATH loses its relative and empty entries (they resolve against its cwd).

import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, relative, resolve } from 'node:path';

/** Folders whose programs are never run by name: the repository, the worktrees, the turn's cwd. */
export interface ProgramTrust {
  /** Where a configured relative path is taken from (the repository root). */
  base: string;
  untrusted: string[];
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

export function isInside(path: string, dir: string): boolean {
  const r = relative(dir, path);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/** PATH without relative and empty entries. */
export function absolutePathEntries(pathVar: string | undefined): string[] {
  return (pathVar ?? '').split(delimiter).filter((e) => e && isAbsolute(e));
}

/** The executable `program` means, or undefined (not found where the user's environment says). */
export function resolveProgram(program: string, pathVar: string | undefined, trust: ProgramTrust): string | undefined {
  if (program.includes('/')) return isAbsolute(program) ? program : join(trust.base, program);
  const untrusted = trust.untrusted.flatMap((d) => [resolve(d), real(d)]);
  for (const entry of absolutePathEntries(pathVar)) {
    if (untrusted.some((u) => isInside(resolve(entry), u) || isInside(real(entry), u))) continue;
    const candidate = join(entry, program);
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}
