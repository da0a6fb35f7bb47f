// Tasks are markdown files with YAML frontmatter in <tasks_dir>/{pending,current,complete}. The
// folders in the user's checkout are the one hub every worker and agent shares, so a claim is one
// atomic no-replace link there. Files that cannot be parsed are moved to <tasks_dir>/quarantine
// with a `.reason.txt` beside them: never executed, never deleted.

import { promises as fs, constants as fsc } from 'node:fs';
import { join, basename, extname } from 'node:path';
import matter from 'gray-matter';
import type { Task, TaskFolder, TaskStatus, QuarantinedTask } from './types';
import { TaskFileError } from './errors';
import { FOLDER_STATUS, STATUSES } from './status';
import { readRegularFile } from './safefs';

export const TASK_ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const MAX_TASK_BYTES = 256 * 1024;
export const FOLDERS: TaskFolder[] = ['pending', 'current', 'complete'];

const refuse = (lang: string) => () => {
  throw new Error(`frontmatter language "${lang}" is not allowed (YAML only)`);
};
/** gray-matter with its JavaScript/CoffeeScript engines disabled: frontmatter is data, never code. */
const MATTER_OPTIONS = { engines: { javascript: refuse('javascript'), js: refuse('js'), coffee: refuse('coffee'), coffeescript: refuse('coffeescript') } } as unknown as Parameters<typeof matter>[1];

function str(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'string' ? v : String(v);
}

/**
 * Frontmatter is plain data: YAML aliases make shared (and exponentially repeated) values — a
 * 500-byte file can expand past what JSON can hold when a view or `swarm tasks --json` serializes
 * it. Refuse any value reached twice, and very deep or very large structures.
 */
function plainDataProblem(root: object): string | undefined {
  const seen = new Set<object>();
  let nodes = 0;
  const walk = (v: unknown, depth: number): string | undefined => {
    if (v === null || typeof v !== 'object' || v instanceof Date) return undefined;
    if (seen.has(v)) return 'YAML anchors and aliases (&name / *name) are not allowed in a task file';
    seen.add(v);
    if (depth > 32) return 'nested too deeply';
    for (const child of Object.values(v as Record<string, unknown>)) {
      if (++nodes > 10_000) return 'too many values';
      const p = walk(child, depth + 1);
      if (p) return p;
    }
    return undefined;
  };
  return walk(root, 0);
}

/**
 * A branch named in a task's frontmatter, when it is the swarm's own for this task
 * (`swarm/<worker>/<task id>`); anything else — `main`, a user's branch — is ignored, so a task file
 * cannot make the swarm commit to, move or delete a branch that is not its own (docs/security.md).
 */
export function ownBranchOf(value: string | undefined, id: string): string | undefined {
  if (!value) return undefined;
  const m = /^swarm\/([A-Za-z0-9][A-Za-z0-9_-]{0,63})\/(.+)$/.exec(value);
  return m && m[2] === id ? value : undefined;
}

export const MAX_TASK_FILES = 200;

/**
 * `files`: the paths or globs (picomatch, relative to the repository root) a task expects to
 * change, which the scheduler keeps apart (schedule.ts). A list of text.
 */
function filesOf(name: string, v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  const list = Array.isArray(v) ? v : undefined;
  if (!list) throw new TaskFileError(name, 'files', `expected a list of paths or globs relative to the repository root (e.g. [src/api/**, README.md]), found ${typeof v === 'object' ? 'a mapping' : JSON.stringify(v)}`);
  if (list.length > MAX_TASK_FILES) throw new TaskFileError(name, 'files', `expected at most ${MAX_TASK_FILES} entries, found ${list.length}`);
  list.forEach((x, i) => {
    const field = `files[${i}]`;
    if (typeof x !== 'string') throw new TaskFileError(name, field, `expected a path or glob (text), found ${JSON.stringify(x)}`);
    if (!x.trim()) throw new TaskFileError(name, field, 'expected a path or glob, found an empty text');
    if (x.length > 512) throw new TaskFileError(name, field, 'expected at most 512 characters');
    if (x.startsWith('/') || /^[A-Za-z]:[\\/]/.test(x)) throw new TaskFileError(name, field, `expected a path relative to the repository root, found the absolute path ${JSON.stringify(x)}`);
    if (/(^|[\\/])\.\.([\\/]|$)/.test(x)) throw new TaskFileError(name, field, `expected a path inside the repository, found ${JSON.stringify(x)} (with "..")`);
    if (/[\0\n\r]/.test(x)) throw new TaskFileError(name, field, 'expected one path or glob per entry (no line breaks)');
  });
  return list as string[];
}

/** Parse one task file's text. Throws TaskFileError naming the field. */
export function parseTask(text: string, file: string, folder: TaskFolder): Task {
  const name = basename(file);
  const id = basename(file, extname(file));
  if (!TASK_ID_RE.test(id)) throw new TaskFileError(name, 'id', `the file name must be a task id matching ${TASK_ID_RE} (lowercase letters, digits, ".", "_", "-"; at most 64)`);
  // The id names the task's git branch (swarm/<worker>/<id>): git refuses "..", a trailing "." and ".lock".
  if (/\.\.|\.$|\.lock$/.test(id)) throw new TaskFileError(name, 'id', `"${id}" cannot name a git branch (no "..", and no "." or ".lock" at the end)`);
  if (Buffer.byteLength(text) > MAX_TASK_BYTES) throw new TaskFileError(name, '(file)', `larger than ${MAX_TASK_BYTES} bytes`);
  let parsed: matter.GrayMatterFile<string>;
  try {
    parsed = matter(text, MATTER_OPTIONS);
  } catch (e) {
    throw new TaskFileError(name, 'frontmatter', `not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const meta = parsed.data as Record<string, unknown>;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw new TaskFileError(name, 'frontmatter', 'expected a YAML mapping');
  const shape = plainDataProblem(meta);
  if (shape) throw new TaskFileError(name, 'frontmatter', shape);
  if (meta.id !== undefined && meta.id !== id) throw new TaskFileError(name, 'id', `frontmatter id ${JSON.stringify(meta.id)} differs from the file name "${id}"`);
  if (meta.title !== undefined && typeof meta.title !== 'string') throw new TaskFileError(name, 'title', 'expected text');
  if (meta.priority !== undefined && (typeof meta.priority !== 'number' || !Number.isFinite(meta.priority))) throw new TaskFileError(name, 'priority', `expected a number, found ${JSON.stringify(meta.priority)}`);
  if (meta.max_cost_usd !== undefined && (typeof meta.max_cost_usd !== 'number' || !Number.isFinite(meta.max_cost_usd) || meta.max_cost_usd <= 0)) throw new TaskFileError(name, 'max_cost_usd', `expected a number of USD above 0, found ${JSON.stringify(meta.max_cost_usd)}`);
  let dependsOn: string[] = [];
  if (meta.depends_on !== undefined && meta.depends_on !== null) {
    const d = meta.depends_on;
    const list = typeof d === 'string' ? [d] : Array.isArray(d) ? d : null;
    if (!list || !list.every((x) => typeof x === 'string' && TASK_ID_RE.test(x))) throw new TaskFileError(name, 'depends_on', 'expected a task id or a list of task ids');
    dependsOn = list as string[];
  }
  const files = filesOf(name, meta.files);
  for (const k of ['agent', 'model'] as const) if (meta[k] !== undefined && typeof meta[k] !== 'string') throw new TaskFileError(name, k, 'expected text');
  let status: TaskStatus = FOLDER_STATUS[folder];
  if (folder === 'current' && meta.status !== undefined) {
    if (!STATUSES.includes(meta.status as TaskStatus)) throw new TaskFileError(name, 'status', `expected one of ${STATUSES.join(', ')}`);
    status = meta.status as TaskStatus;
  }
  const body = parsed.content.replace(/^\n+/, '');
  const heading = /^#\s+(.+)$/m.exec(body)?.[1]?.trim();
  return {
    id,
    title: (meta.title as string | undefined) ?? heading ?? id,
    folder,
    status,
    file,
    body,
    priority: (meta.priority as number | undefined) ?? 50,
    dependsOn,
    agent: meta.agent as string | undefined,
    model: meta.model as string | undefined,
    files,
    maxCostUsd: meta.max_cost_usd as number | undefined,
    claimedBy: str(meta.claimed_by),
    branch: ownBranchOf(str(meta.branch), id),
    worktree: str(meta.worktree),
    question: str(meta.question),
    answer: str(meta.answer),
    completedBy: str(meta.completed_by),
    completedAt: str(meta.completed_at),
    reviewRounds: typeof meta.review_rounds === 'number' ? meta.review_rounds : undefined,
    mergedCommit: str(meta.merged_commit),
    meta,
  };
}

/** Render frontmatter + body; keys set to undefined are removed. */
export function renderTask(meta: Record<string, unknown>, body: string): string {
  const clean: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta)) if (v !== undefined) clean[k] = v instanceof Date ? v.toISOString() : v;
  return matter.stringify(body.endsWith('\n') ? body : `${body}\n`, clean);
}

/** Claim order: priority (lower first), then id. */
export function byPriority(a: Task, b: Task): number {
  return a.priority - b.priority || a.id.localeCompare(b.id);
}

/**
 * Pending tasks that can never start, with why: an unknown `depends_on` id, a dependency cycle,
 * or a dependency on such a task. `known`: every task id in any folder.
 */
export function findUnrunnable(pending: Task[], known: ReadonlySet<string>): Map<string, string> {
  const out = new Map<string, string>();
  const byId = new Map(pending.map((t) => [t.id, t]));
  for (const t of pending) {
    const unknown = t.dependsOn.filter((d) => !known.has(d));
    if (unknown.length) out.set(t.id, `depends_on names ${unknown.map((d) => `"${d}"`).join(', ')}, which is no task`);
  }
  // Cycles among pending tasks: depth-first, a back edge closes one.
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): void => {
    state.set(id, 'open');
    stack.push(id);
    for (const d of byId.get(id)?.dependsOn ?? []) {
      if (!byId.has(d)) continue;
      if (state.get(d) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(d)), d];
        for (const m of cycle) if (!out.has(m)) out.set(m, `dependency cycle: ${cycle.join(' → ')}`);
      } else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const t of pending) if (!state.has(t.id)) visit(t.id);
  for (let changed = true; changed; ) {
    changed = false;
    for (const t of pending) {
      if (out.has(t.id)) continue;
      const blocker = t.dependsOn.find((d) => out.has(d));
      if (blocker) { out.set(t.id, `depends on ${blocker}, which cannot run`); changed = true; }
    }
  }
  return out;
}

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

  constructor(readonly root: string, tasksDir: string) {
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
    try { text = await this.readTaskText(file); } catch { return undefined; }
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
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') { await fs.unlink(to).catch(() => undefined); return undefined; }
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
  try { await fs.access(p, fsc.F_OK); return true; } catch { return false; }
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
      try { await fs.copyFile(from, to, fsc.COPYFILE_EXCL); return true; } catch { return false; }
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
