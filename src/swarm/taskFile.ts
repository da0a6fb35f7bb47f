// A task file: markdown with YAML frontmatter (gray-matter, its JavaScript engines refused), read
// into a Task and written back; the claim order and the pending tasks that can never start. The
// folders the files live in are tasks.ts (TaskStore).

import { basename, extname } from 'node:path';
import matter from 'gray-matter';
import type { Task, TaskFolder, TaskStatus } from './types';
import { TaskFileError } from './errors';
import { FOLDER_STATUS, STATUSES } from './status';

export const TASK_ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const MAX_TASK_BYTES = 256 * 1024;

const refuse = (lang: string) => () => {
  throw new Error(`frontmatter language "${lang}" is not allowed (YAML only)`);
};
/** gray-matter with its JavaScript/CoffeeScript engines disabled: frontmatter is data, never code. */
const MATTER_OPTIONS = {
  engines: { javascript: refuse('javascript'), js: refuse('js'), coffee: refuse('coffee'), coffeescript: refuse('coffeescript') },
} as unknown as Parameters<typeof matter>[1];

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
  if (!list)
    throw new TaskFileError(
      name,
      'files',
      `expected a list of paths or globs relative to the repository root (e.g. [src/api/**, README.md]), found ${typeof v === 'object' ? 'a mapping' : JSON.stringify(v)}`,
    );
  if (list.length > MAX_TASK_FILES) throw new TaskFileError(name, 'files', `expected at most ${MAX_TASK_FILES} entries, found ${list.length}`);
  list.forEach((x, i) => {
    const field = `files[${i}]`;
    if (typeof x !== 'string') throw new TaskFileError(name, field, `expected a path or glob (text), found ${JSON.stringify(x)}`);
    if (!x.trim()) throw new TaskFileError(name, field, 'expected a path or glob, found an empty text');
    if (x.length > 512) throw new TaskFileError(name, field, 'expected at most 512 characters');
    if (x.startsWith('/') || /^[A-Za-z]:[\\/]/.test(x))
      throw new TaskFileError(name, field, `expected a path relative to the repository root, found the absolute path ${JSON.stringify(x)}`);
    if (/(^|[\\/])\.\.([\\/]|$)/.test(x)) throw new TaskFileError(name, field, `expected a path inside the repository, found ${JSON.stringify(x)} (with "..")`);
    if (/[\0\n\r]/.test(x)) throw new TaskFileError(name, field, 'expected one path or glob per entry (no line breaks)');
  });
  return list as string[];
}

/** Parse one task file's text. Throws TaskFileError naming the field. */
export function parseTask(text: string, file: string, folder: TaskFolder): Task {
  const name = basename(file);
  const id = basename(file, extname(file));
  if (!TASK_ID_RE.test(id))
    throw new TaskFileError(name, 'id', `the file name must be a task id matching ${TASK_ID_RE} (lowercase letters, digits, ".", "_", "-"; at most 64)`);
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
  if (meta.id !== undefined && meta.id !== id)
    throw new TaskFileError(name, 'id', `frontmatter id ${JSON.stringify(meta.id)} differs from the file name "${id}"`);
  if (meta.title !== undefined && typeof meta.title !== 'string') throw new TaskFileError(name, 'title', 'expected text');
  if (meta.priority !== undefined && (typeof meta.priority !== 'number' || !Number.isFinite(meta.priority)))
    throw new TaskFileError(name, 'priority', `expected a number, found ${JSON.stringify(meta.priority)}`);
  if (meta.max_cost_usd !== undefined && (typeof meta.max_cost_usd !== 'number' || !Number.isFinite(meta.max_cost_usd) || meta.max_cost_usd <= 0))
    throw new TaskFileError(name, 'max_cost_usd', `expected a number of USD above 0, found ${JSON.stringify(meta.max_cost_usd)}`);
  let dependsOn: string[] = [];
  if (meta.depends_on !== undefined && meta.depends_on !== null) {
    const d = meta.depends_on;
    const list = typeof d === 'string' ? [d] : Array.isArray(d) ? d : null;
    if (!list || !list.every((x) => typeof x === 'string' && TASK_ID_RE.test(x)))
      throw new TaskFileError(name, 'depends_on', 'expected a task id or a list of task ids');
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
  for (let changed = true; changed;) {
    changed = false;
    for (const t of pending) {
      if (out.has(t.id)) continue;
      const blocker = t.dependsOn.find((d) => out.has(d));
      if (blocker) {
        out.set(t.id, `depends on ${blocker}, which cannot run`);
        changed = true;
      }
    }
  }
  return out;
}
