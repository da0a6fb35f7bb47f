// Back from quarantine: a task file the swarm could not read was moved to <tasks_dir>/quarantine
// with its reason (TaskStore.quarantine); once the user fixed it, this puts it back in pending.
// Only a file directly in the quarantine folder, a regular file (never a link), that now parses as
// a task whose id no other task has; anything else is refused with the file and the field, and the
// file is left where and as it was.

import { promises as fs } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { SwarmError } from './errors';
import { readRegularFile } from './safefs';
import { type TaskStore } from './tasks';
import { MAX_TASK_BYTES, parseTask } from './taskFile';
import type { Task } from './types';

export async function restoreQuarantined(store: TaskStore, file: string): Promise<Task> {
  const dir = resolve(store.folder('quarantine'));
  const abs = resolve(dir, file);
  const name = basename(abs);
  if (dirname(abs) !== dir || !name.endsWith('.md')) throw new SwarmError(`${file}: only a .md file in ${dir} can go back to pending`, 'invalid');
  const r = await readRegularFile(abs, MAX_TASK_BYTES + 1);
  if (r.kind === 'absent') throw new SwarmError(`${name}: not in quarantine any more`, 'not_found');
  if (r.kind === 'skipped') throw new SwarmError(`${name}: ${r.note}`, 'invalid');
  // Throws a TaskFileError naming the file and the field when it still cannot be read.
  const task = parseTask(r.text, abs, 'pending');
  const listing = await store.list();
  const other = [...listing.pending, ...listing.current, ...listing.complete].find((t) => t.id === task.id);
  if (other) throw new SwarmError(`${name}: a task "${task.id}" already exists in ${other.folder}/; rename the file (the name is the task id)`, 'invalid');
  const target = store.fileFor(task.id, 'pending');
  await fs.mkdir(dirname(target), { recursive: true });
  try {
    await fs.link(abs, target); // never replaces: EEXIST when a pending file appeared meanwhile
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new SwarmError(`${name}: a task "${task.id}" already exists in pending/`, 'invalid');
    throw e;
  }
  await fs.unlink(abs);
  await fs.unlink(`${abs}.reason.txt`).catch(() => undefined);
  return parseTask(r.text, target, 'pending');
}
