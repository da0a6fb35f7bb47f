// Everything the swarm keeps beside the repo under .swarm/ (gitignored through .git/info/exclude):
//   .swarm/lock                      the run lock (pid, run id, start time): one swarm per repository
//   .swarm/tasks/<id>/state.json     a task's runtime state and review rounds, across runs
//   .swarm/decisions/<id>.json       human decisions waiting for the running swarm to apply them,
//                                    signed by the extension or the CLI (approval.ts); others are refused
//   .swarm/runs/<run-id>/            journal: events.jsonl, summary.json, prompts/, logs/

import { promises as fs, readFileSync, appendFileSync, mkdirSync, writeFileSync, openSync, closeSync, unlinkSync, realpathSync } from 'node:fs';
import { join, dirname, basename } from 'node:path';
import type { ConflictWarning, TaskRuntimeState, JournalEntry, SwarmEvent } from './types';
import { verifyDecision, type PendingDecision } from './approval';
import { atomicWrite } from './tasks';
import { TASK_ID_RE } from './taskFile';
import { SwarmError } from './errors';
import { isSameProcessAlive, processStartTime } from './procKill';

export interface RunLock {
  pid: number;
  runId: string;
  startedAt: string;
  /** Process start time from /proc (guards against pid reuse), when available. */
  procStart?: string;
}

/** A decision file the running swarm refused to apply (forged, altered, replayed, stale). */
export interface RefusedDecision {
  file: string;
  /** The task the file names (its file name), when that is a task id. */
  taskId?: string;
  why: string;
}

/** Start time of a process (field 22 of /proc/<pid>/stat), to tell a live pid from a reused one. */
// The pid-reuse guard lives in procKill.ts (light: the extension host and the engine process use it too).
export { processStartTime, isSameProcessAlive };

export class StateStore {
  readonly dir: string;
  constructor(readonly root: string) {
    this.dir = join(root, '.swarm');
  }

  taskDir(id: string): string {
    if (!TASK_ID_RE.test(id)) throw new SwarmError(`"${id}" is not a task id`, 'invalid');
    return join(this.dir, 'tasks', id);
  }

  stateFile(id: string): string {
    return join(this.taskDir(id), 'state.json');
  }

  async readTask(id: string): Promise<TaskRuntimeState | undefined> {
    let st: TaskRuntimeState;
    try {
      st = JSON.parse(await fs.readFile(join(this.taskDir(id), 'state.json'), 'utf8')) as TaskRuntimeState;
    } catch {
      return undefined;
    }
    delete st.predictedConflicts;
    const conflicts = await this.readConflicts(id);
    if (conflicts.length) st.predictedConflicts = conflicts;
    return st;
  }

  async writeTask(state: TaskRuntimeState): Promise<void> {
    await fs.mkdir(this.taskDir(state.id), { recursive: true });
    state.updatedAt = new Date().toISOString();
    // Predicted conflicts have their own file (one writer: the conflict watcher, conflicts.ts).
    await atomicWrite(join(this.taskDir(state.id), 'state.json'), `${JSON.stringify({ ...state, predictedConflicts: undefined }, null, 2)}\n`);
  }

  /** The conflict watcher's predictions for a task (conflicts.ts); empty when none. */
  async readConflicts(id: string): Promise<ConflictWarning[]> {
    try {
      const v = JSON.parse(await fs.readFile(join(this.taskDir(id), 'conflicts.json'), 'utf8')) as { warnings?: ConflictWarning[] };
      return Array.isArray(v.warnings) ? v.warnings : [];
    } catch {
      return [];
    }
  }

  async writeConflicts(id: string, warnings: ConflictWarning[]): Promise<void> {
    const file = join(this.taskDir(id), 'conflicts.json');
    if (!warnings.length) {
      await fs.rm(file, { force: true });
      return;
    }
    await fs.mkdir(this.taskDir(id), { recursive: true });
    await atomicWrite(file, `${JSON.stringify({ warnings }, null, 2)}\n`);
  }

  // --- run lock ------------------------------------------------------------------------

  lockFile(): string {
    return join(this.dir, 'lock');
  }

  readLock(): RunLock | undefined {
    try {
      return JSON.parse(readFileSync(this.lockFile(), 'utf8')) as RunLock;
    } catch {
      return undefined;
    }
  }

  /** The lock of a live swarm process, if any. A lock left by a dead process is stale. */
  liveLock(): RunLock | undefined {
    const l = this.readLock();
    return l && isSameProcessAlive(l.pid, l.procStart) ? l : undefined;
  }

  /** Take the run lock; returns the holder instead when another live swarm has it. */
  acquireLock(runId: string): { ok: true } | { ok: false; holder: RunLock } {
    mkdirSync(this.dir, { recursive: true });
    const mine: RunLock = { pid: process.pid, runId, startedAt: new Date().toISOString(), procStart: processStartTime(process.pid) };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(this.lockFile(), 'wx');
        writeFileSync(fd, JSON.stringify(mine));
        closeSync(fd);
        return { ok: true };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const holder = this.readLock();
        if (holder && isSameProcessAlive(holder.pid, holder.procStart)) return { ok: false, holder };
        try {
          unlinkSync(this.lockFile());
        } catch {
          /* raced */
        }
      }
    }
    const holder = this.readLock();
    return holder ? { ok: false, holder } : { ok: true };
  }

  releaseLock(runId: string): void {
    const l = this.readLock();
    if (l && l.runId === runId && l.pid === process.pid) {
      try {
        unlinkSync(this.lockFile());
      } catch {
        /* already gone */
      }
    }
  }

  // --- human decisions handed to a running swarm ----------------------------------------

  decisionFile(id: string): string {
    return join(this.dir, 'decisions', `${id}.json`);
  }

  async writeDecision(d: PendingDecision): Promise<void> {
    await fs.mkdir(join(this.dir, 'decisions'), { recursive: true });
    await atomicWrite(this.decisionFile(d.taskId), JSON.stringify(d));
  }

  /**
   * Take (read and remove) every pending decision file. Only decisions signed by the extension or
   * the CLI, unaltered, recent and not applied before are accepted (verifyDecision); the rest are
   * removed and returned as refused, for the run to report. Anything but a small regular file is
   * refused unread.
   */
  async takeDecisions(max = Infinity): Promise<{ accepted: PendingDecision[]; refused: RefusedDecision[] }> {
    const out = { accepted: [] as PendingDecision[], refused: [] as RefusedDecision[] };
    let names: string[];
    try {
      names = await fs.readdir(join(this.dir, 'decisions'));
    } catch {
      return out;
    }
    for (const n of names.filter((x) => x.endsWith('.json'))) {
      if (out.accepted.length >= max) break; // the rest stay in the inbox
      const file = join(this.dir, 'decisions', n);
      const id = n.slice(0, -'.json'.length);
      const taskId = TASK_ID_RE.test(id) ? id : undefined;
      let text: string;
      try {
        const st = await fs.lstat(file);
        if (!st.isFile() || st.size > 256 * 1024) {
          await fs.unlink(file);
          out.refused.push({ file, taskId, why: st.isFile() ? `${st.size} bytes, too big for a decision` : 'not a regular file' });
          continue;
        }
        text = await fs.readFile(file, 'utf8');
        await fs.unlink(file);
      } catch {
        continue; /* taken by someone else */
      }
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        out.refused.push({ file, taskId, why: 'not JSON' });
        continue;
      }
      const v = verifyDecision(raw);
      if (!v.ok) {
        out.refused.push({ file, taskId, why: v.why });
        continue;
      }
      if (taskId && v.decision.taskId !== taskId) {
        out.refused.push({ file, taskId, why: `it is about task ${v.decision.taskId}, not ${taskId}` });
        continue;
      }
      out.accepted.push(v.decision);
    }
    return out;
  }

  // --- runs ------------------------------------------------------------------------------

  runDir(runId: string): string {
    return join(this.dir, 'runs', runId);
  }

  async latestRunId(): Promise<string | undefined> {
    try {
      const names = (await fs.readdir(join(this.dir, 'runs'))).sort();
      return names[names.length - 1];
    } catch {
      return undefined;
    }
  }
}

/** The mount a path is on ("/dev/sda1 on /home"), from /proc/mounts; undefined where unknown. */
export function diskOf(path: string): string | undefined {
  let real = path;
  try {
    real = realpathSync(path);
  } catch {
    try {
      real = join(realpathSync(dirname(path)), basename(path));
    } catch {
      /* as given */
    }
  }
  let best: { dev: string; at: string } | undefined;
  try {
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [dev, at] = line.split(' ');
      if (!dev || !at) continue;
      const mp = at.replace(/\\040/g, ' ');
      if ((real === mp || real.startsWith(mp.endsWith('/') ? mp : `${mp}/`)) && (!best || mp.length > best.at.length)) best = { dev, at: mp };
    }
  } catch {
    return undefined;
  }
  return best ? `${best.dev} on ${best.at}` : undefined;
}

/**
 * Why a run ends when its journal or a log cannot be written: the file, the error, the disk.
 * Starts with "error:" (the CLI exits 1).
 */
export function storageFailureReason(e: NodeJS.ErrnoException, file: string): string {
  const code = e.code ?? 'EIO';
  const what = code === 'ENOSPC' ? 'the disk is full' : code === 'EDQUOT' ? 'the disk quota is used up' : code === 'EIO' ? 'an I/O error' : e.message;
  const disk = diskOf(file);
  return `error: cannot write ${file}: ${code} (${what}${disk ? `; disk ${disk}` : ''}); the run stopped, agents killed, state saved`;
}

/**
 * Append-only journal of a run: one JSON line per event, written synchronously so a crash loses
 * nothing before it. A write that fails (full disk, I/O error) is reported once to `onWriteError`
 * (the run then ends cleanly) and later lines are dropped: the journal never throws into its caller.
 */
export class Journal {
  readonly file: string;
  private failed = false;
  constructor(
    readonly dir: string,
    readonly runId: string,
    private readonly onWriteError?: (e: NodeJS.ErrnoException, file: string) => void,
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'events.jsonl');
  }

  append(e: SwarmEvent): JournalEntry {
    const entry = { ...e, ts: new Date().toISOString(), runId: this.runId } as JournalEntry;
    if (this.failed) return entry;
    try {
      appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
    } catch (err) {
      this.failed = true;
      this.onWriteError?.(err as NodeJS.ErrnoException, this.file);
    }
    return entry;
  }
}

/** The entries of a journal's text (events.jsonl); a torn last line (a crash mid-write) is skipped. */
export function parseJournal(text: string): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as JournalEntry);
    } catch {
      /* a torn last line after a crash */
    }
  }
  return out;
}
