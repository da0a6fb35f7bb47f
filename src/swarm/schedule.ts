// Conflict-aware scheduling (README "Conflict-aware scheduling"): when a worker picks its next
// task, a pending task whose `files` globs (frontmatter) overlap the files declared by, or already
// changed on the branch of, an in-flight task is passed over while other work is available. It
// waits only for a task a worker of this run is driving right now (that one ends: merged, sent
// back, or waiting for you); overlapping only tasks that wait (for you, for a worker, for the
// base), it runs — so two overlapping tasks never run side by side while one of them moves, and
// nothing waits on a task that may never move (no deadlock).
//
// Globs are matched with picomatch (dot files included). Two globs overlap when either matches the
// other as a path, or when their fixed prefixes (before the first wildcard) are one inside the
// other: conservative, a false "overlap" only delays a task, never a wrong "no overlap" for a path.

import picomatch from 'picomatch';
import type { Task } from './types';

export interface InFlightTask {
  id: string;
  /** Its `files` globs. */
  declared: string[];
  /** Files already changed on its branch. */
  changed: string[];
  /** A worker of this run is driving it now. */
  active: boolean;
}

export interface Overlap {
  with: string;
  /** Its globs and files that the candidate's globs overlap. */
  files: string[];
}

const WILD = /[*?[\]{}()!+@]/;

function fixedPrefix(glob: string): string {
  const parts = glob.replace(/^\.?\//, '').split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (WILD.test(p)) break;
    out.push(p);
  }
  return out.join('/');
}

function matcher(globs: string[]): (p: string) => boolean {
  return picomatch(
    globs.map((g) => g.replace(/^\.?\//, '')),
    { dot: true },
  );
}

/** Does a glob overlap a path or another glob (conservatively)? */
export function globsOverlap(a: string, b: string): boolean {
  const na = a.replace(/^\.?\//, '');
  const nb = b.replace(/^\.?\//, '');
  if (na === nb) return true;
  const wa = WILD.test(na);
  const wb = WILD.test(nb);
  if (!wa && !wb) return false;
  if (!wb) return matcher([na])(nb);
  if (!wa) return matcher([nb])(na);
  const pa = fixedPrefix(na);
  const pb = fixedPrefix(nb);
  const inside = (x: string, y: string) => x === '' || y === x || y.startsWith(`${x}/`);
  return inside(pa, pb) || inside(pb, pa);
}

/** What of `other` the candidate's `files` overlap (its declared globs and changed paths). */
export function overlapWith(candidate: string[], other: InFlightTask): Overlap | undefined {
  if (!candidate.length) return undefined;
  const m = matcher(candidate);
  const files = [
    ...other.changed.filter((p) => m(p) || candidate.some((g) => globsOverlap(g, p))),
    ...other.declared.filter((g) => candidate.some((c) => globsOverlap(c, g))),
  ];
  return files.length ? { with: other.id, files: [...new Set(files)] } : undefined;
}

export interface Schedule {
  /** Claim in this order: no overlap first (by priority), then tasks overlapping only waiting tasks. */
  order: Task[];
  /** Passed over for now: they overlap a task being driven. */
  held: { task: Task; overlap: Overlap }[];
}

/** Order the claimable pending tasks (already by priority) against the tasks in flight. */
export function schedule(candidates: Task[], inFlight: InFlightTask[]): Schedule {
  const clear: Task[] = [];
  const later: Task[] = [];
  const held: Schedule['held'] = [];
  for (const t of candidates) {
    const globs = t.files ?? [];
    let hold: Overlap | undefined;
    let overlapsWaiting = false;
    for (const f of inFlight) {
      if (f.id === t.id) continue;
      const o = overlapWith(globs, f);
      if (!o) continue;
      if (f.active) {
        hold = o;
        break;
      }
      overlapsWaiting = true;
    }
    if (hold) held.push({ task: t, overlap: hold });
    else (overlapsWaiting ? later : clear).push(t);
  }
  return { order: [...clear, ...later], held };
}
