// A sandboxed worker's follow-up tasks (docs/security.md "What a turn may do"): the turn writes into
// a private empty folder bound over `tasks/pending/`, so it can add tasks but neither read nor rewrite
// the pending tasks of others (the user's task text is what its agent and its reviewer are given).
// After the turn the engine adds each new regular `.md` file to the real `tasks/pending/`, never over
// an existing file (or link) there; anything else is left out and named in the turn's log.

import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { readRegularFile } from './safefs';
import { MAX_TASK_BYTES } from './taskFile';

/** At most this many follow-ups from one turn (the rest are named, not added). */
export const MAX_FOLLOW_UPS = 100;

/** Move the follow-ups a turn wrote into `from` to `pending`; returns what was left out, in words. */
export async function addFollowUps(from: string, pending: string): Promise<string[]> {
  const problems: string[] = [];
  const names = (await fs.readdir(from).catch(() => [] as string[])).sort();
  let added = 0;
  for (const name of names) {
    const what = `follow-up task ${JSON.stringify(name)}`;
    if (!name.endsWith('.md') || name.startsWith('.')) {
      problems.push(`${what} not added: only task files (<id>.md) are taken from a turn`);
      continue;
    }
    if (added >= MAX_FOLLOW_UPS) {
      problems.push(`${what} not added: more than ${MAX_FOLLOW_UPS} follow-ups in one turn`);
      continue;
    }
    const r = await readRegularFile(join(from, name), MAX_TASK_BYTES);
    if (r.kind !== 'text') {
      if (r.kind === 'skipped') problems.push(`${what} not added: ${r.note}`);
      continue;
    }
    if (r.truncated) {
      problems.push(`${what} not added: larger than ${MAX_TASK_BYTES} bytes`);
      continue;
    }
    try {
      // 'wx' (O_CREAT|O_EXCL): never over an existing task, never through a link planted there.
      await fs.writeFile(join(pending, name), r.text, { flag: 'wx' });
      added++;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      problems.push(
        code === 'EEXIST'
          ? `${what} not added: a pending task of that name exists (a turn adds tasks, it does not rewrite them)`
          : `${what} not added: ${code ?? (e as Error).message}`,
      );
    }
  }
  return problems;
}
