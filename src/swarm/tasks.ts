// Tasks are markdown files with YAML frontmatter in <tasks_dir>/{pending,current,complete}. The
// folders in the user's checkout are the one hub every worker and agent shares, so a claim is one
// atomic no-replace link there. Files that cannot be parsed are moved to <tasks_dir>/quarantine
// with a `.reason.txt` beside them: never executed, never deleted.

import { promises as fs, constants as fsc } from 'node:fs';
import { join, basename } from 'node:path';
import type { Task, TaskFolder, QuarantinedTask } from './types';
import { TaskFileError } from './errors';
import { readRegularFile } from './safefs';
import { byPriority, findUnrunnable, MAX_TASK_BYTES, parseTask, renderTask, TASK_ID_RE } from './taskFile';

export const FOLDERS: TaskFolder[] = ['pending', 'current', 'complete'];

export interface TaskListing {
  pending: Task[];
  current: Task[];
  complete: Task[];
  /** Files that failed to parse (still in place, or already in quarantine). */
  quarantined: QuarantinedTask[];
  /** Unparsable files still in a task folder (the engine moves them at its next scan). */
  unparsable: { file: string; folder: TaskFolder; reason: string }[];
}

export class TaskStore {
  readonly dir: string;
  /** Parsed files by path, valid while inode, size and mtime match: idle workers poll the folders often. */
  private readonly cache = new Map<string, { key: string; task?: Task; error?: string }>();

  constructor(
    readonly root: string,
    tasksDir: string,
  ) {
    this.dir = join(root, tasksDir);
  }

  /**
   * A task file's text. Task folders are shared with agents: a FIFO, socket, device or a link to
   * one is never opened (a TaskFileError, so the file is quarantined with that reason), and a
   * file is read only up to MAX_TASK_BYTES (+1, to say it is too large). undefined when absent.
   */
  private async readTaskText(file: string): Promise<string | undefined> {
    const r = await readRegularFile(file, MAX_TASK_BYTES + 1);
    if (r.kind === 'absent') return undefined;
    if (r.kind === 'skipped') throw new TaskFileError(basename(file), '(file)', r.note);
    return r.text;
  }

  private async parseCached(file: string, f: TaskFolder): Promise<Task> {
    const st = await fs.stat(file).catch(async (e: NodeJS.ErrnoException) => {
      // A link to nothing is not "moved meanwhile": it is a file to set aside.
      if (e.code === 'ENOENT' && (await fs.lstat(file).catch(() => undefined))) return undefined;
      throw e;
    });
    if (!st) throw new TaskFileError(basename(file), '(file)', `${basename(file)} is a link to nothing`);
    const key = `${st.ino}:${st.size}:${st.mtimeMs}`;
    const hit = this.cache.get(file);
    if (hit && hit.key === key) {
      if (hit.error !== undefined) throw new Error(hit.error);
      return hit.task!;
    }
    try {
      const text = await this.readTaskText(file);
      if (text === undefined) throw Object.assign(new Error(`${file}: gone`), { code: 'ENOENT' });
      const task = parseTask(text, file, f);
      this.cache.set(file, { key, task });
      return task;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw e;
      this.cache.set(file, { key, error: (e as Error).message });
      throw e;
    }
  }

  folder(f: TaskFolder | 'quarantine'): string {
    return join(this.dir, f);
  }

  fileFor(id: string, f: TaskFolder): string {
    // Ids reach here from the CLI, the extension and decision files too: never a path outside the folder.
    if (!TASK_ID_RE.test(id)) throw new TaskFileError(`${id}.md`, 'id', `not a task id (${TASK_ID_RE})`);
    return join(this.folder(f), `${id}.md`);
  }

  async ensureDirs(): Promise<void> {
    for (const f of [...FOLDERS, 'quarantine'] as const) await fs.mkdir(this.folder(f), { recursive: true });
  }

  private async names(f: TaskFolder | 'quarantine'): Promise<string[]> {
    try {
      return (await fs.readdir(this.folder(f))).filter((n) => n.endsWith('.md') && !n.startsWith('.')).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  async read(id: string, f: TaskFolder): Promise<Task | undefined> {
    const file = this.fileFor(id, f);
    let text: string | undefined;
    try {
      text = await this.readTaskText(file);
    } catch {
      return undefined;
    }
    if (text === undefined) return undefined;
    return parseTask(text, file, f);
  }

  /** Find a task in any folder (current first). */
  async find(id: string): Promise<Task | undefined> {
    if (!TASK_ID_RE.test(id)) return undefined;
    for (const f of ['current', 'pending', 'complete'] as const) {
      const t = await this.read(id, f).catch(() => undefined);
      if (t) return t;
    }
    return undefined;
  }

  async list(): Promise<TaskListing> {
    const out: TaskListing = { pending: [], current: [], complete: [], quarantined: [], unparsable: [] };
    const seen = new Set<string>();
    for (const f of FOLDERS) {
      for (const name of await this.names(f)) {
        const file = join(this.folder(f), name);
        seen.add(file);
        try {
          out[f].push(await this.parseCached(file, f));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // moved meanwhile
          const reason = (e as Error).message;
          out.unparsable.push({ file, folder: f, reason });
          out.quarantined.push({ file, reason });
        }
      }
    }
    for (const file of this.cache.keys()) if (!seen.has(file)) this.cache.delete(file);
    for (const name of await this.names('quarantine')) {
      const file = join(this.folder('quarantine'), name);
      const r = await readRegularFile(`${file}.reason.txt`, 4096).catch(() => undefined);
      const reason = r?.kind === 'text' ? r.text : 'unparsable task file';
      out.quarantined.push({ file, reason: reason.trim() });
    }
    out.pending.sort(byPriority);
    // Said, not swallowed: a pending task that can never start carries why (status, the Tasks view, run).
    const cannot = findUnrunnable(out.pending, new Set([...out.pending, ...out.current, ...out.complete].map((t) => t.id)));
    if (cannot.size) out.pending = out.pending.map((t) => (cannot.has(t.id) ? { ...t, cannotRun: cannot.get(t.id) } : t));
    return out;
  }

  /**
   * Finish moves a crash cut short. Every move is link(new name) then unlink(old name), so after a
   * crash one file can have two names, and in each case the current/ name is the stale one (a
   * claim whose claimer died before updating it, a completion or a return already written). Only
   * the same file (inode) is repaired: two different files with one id are left for the user.
   * Returns the ids repaired.
   */
  async repairHalfMoves(): Promise<string[]> {
    const repaired: string[] = [];
    for (const name of await this.names('current')) {
      const cur = join(this.folder('current'), name);
      for (const other of ['pending', 'complete'] as const) {
        const [a, b] = await Promise.all([fs.stat(cur).catch(() => undefined), fs.stat(join(this.folder(other), name)).catch(() => undefined)]);
        if (a && b && a.ino === b.ino && a.dev === b.dev) {
          await fs.unlink(cur);
          repaired.push(basename(name, '.md'));
          break;
        }
      }
    }
    return repaired;
  }

  /**
   * After an agent turn: the swarm, not the agent, moves a task between folders. An agent that
   * moved its own task file (as oompa's prompts ask) or deleted it gets it put back in current/
   * (from pending/ or complete/, else rewritten from what the swarm read). Returns what was done.
   */
  async keepInCurrent(task: Task): Promise<'present' | 'moved_back' | 'recreated'> {
    const cur = this.fileFor(task.id, 'current');
    if (await exists(cur)) return 'present';
    await fs.mkdir(this.folder('current'), { recursive: true });
    for (const f of ['complete', 'pending'] as const) {
      const other = this.fileFor(task.id, f);
      if ((await exists(other)) && (await linkNoReplace(other, cur))) {
        await fs.unlink(other).catch(() => undefined);
        return 'moved_back';
      }
    }
    await fs.writeFile(cur, renderTask(task.meta, task.body), { flag: 'wx' }).catch(() => undefined);
    return 'recreated';
  }

  /** Move an unparsable file aside with its reason. Never deletes; never overwrites. */
  async quarantine(file: string, reason: string): Promise<string | undefined> {
    await fs.mkdir(this.folder('quarantine'), { recursive: true });
    let target = join(this.folder('quarantine'), basename(file));
    for (let n = 1; await exists(target); n++) target = join(this.folder('quarantine'), `${basename(file, '.md')}.${n}.md`);
    if (!(await linkNoReplace(file, target))) return undefined;
    await fs.unlink(file).catch(() => undefined);
    await fs.writeFile(`${target}.reason.txt`, `${reason}\n`);
    return target;
  }

  /**
   * Atomically take a pending task: a hard link pending → current that fails if current already
   * has it, then the pending name is removed. Of two claimers exactly one wins.
   */
  async claim(id: string, meta: Record<string, unknown>): Promise<Task | undefined> {
    const from = this.fileFor(id, 'pending');
    const to = this.fileFor(id, 'current');
    await fs.mkdir(this.folder('current'), { recursive: true });
    if (!(await linkNoReplace(from, to))) return undefined;
    try {
      await fs.unlink(from);
    } catch (e) {
      // Someone else removed the pending name between our link and unlink: they own it.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        await fs.unlink(to).catch(() => undefined);
        return undefined;
      }
      throw e;
    }
    return this.update(id, 'current', meta);
  }

  /** Rewrite a task's frontmatter in place (atomic temp + rename). `undefined` removes a key. */
  async update(id: string, f: TaskFolder, patch: Record<string, unknown>): Promise<Task> {
    const file = this.fileFor(id, f);
    const text = await this.readTaskText(file);
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no task file ${file}`), { code: 'ENOENT' });
    const task = parseTask(text, file, f);
    const next = renderTask({ ...task.meta, ...patch }, task.body);
    await atomicWrite(file, next);
    return parseTask(next, file, f);
  }

  /** Move a task between folders with a frontmatter patch; never overwrites an existing file. */
  async move(id: string, from: TaskFolder, to: TaskFolder, patch: Record<string, unknown> = {}): Promise<Task> {
    const src = this.fileFor(id, from);
    const dst = this.fileFor(id, to);
    await this.update(id, from, patch);
    await fs.mkdir(this.folder(to), { recursive: true });
    if (!(await linkNoReplace(src, dst))) throw new TaskFileError(`${to}/${id}.md`, '(file)', `a task "${id}" already exists in ${to}/`);
    await fs.unlink(src);
    const t = await this.read(id, to);
    return t!;
  }

  async create(id: string, meta: Record<string, unknown>, body: string): Promise<Task> {
    if (!TASK_ID_RE.test(id)) throw new TaskFileError(`${id}.md`, 'id', `must match ${TASK_ID_RE}`);
    await this.ensureDirs();
    for (const f of FOLDERS) if (await exists(this.fileFor(id, f))) throw new TaskFileError(`${f}/${id}.md`, 'id', `a task "${id}" already exists`);
    const file = this.fileFor(id, 'pending');
    const text = renderTask(meta, body);
    parseTask(text, file, 'pending');
    await fs.writeFile(file, text, { flag: 'wx' });
    return parseTask(text, file, 'pending');
  }
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p, fsc.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** link(2) fails with EEXIST instead of replacing: the no-replace primitive claims rely on. */
async function linkNoReplace(from: string, to: string): Promise<boolean> {
  try {
    await fs.link(from, to);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOENT') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EXDEV') {
      // File systems without hard links: copy exclusively (fails if the target exists).
      try {
        await fs.copyFile(from, to, fsc.COPYFILE_EXCL);
        return true;
      } catch {
        return false;
      }
    }
    throw e;
  }
}

export async function atomicWrite(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await fs.writeFile(tmp, text);
  await fs.rename(tmp, file);
}

/**
 * How a run with nothing left to do ends: an error naming the pending tasks that can never start
 * when nothing else is left in current (the run did all it could, and they remain).
 */
export async function endOfWorkReason(store: TaskStore): Promise<string> {
  const l = await store.list();
  const stuck = l.pending.filter((t) => t.cannotRun);
  if (!stuck.length || l.current.length) return 'no work left';
  return `error: ${stuck.length} task(s) can never start: ${stuck.map((t) => `${t.id} (${t.cannotRun})`).join('; ')}`;
}
