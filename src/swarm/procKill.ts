// Ending processes: a whole process group, and everything an agent turn left behind. A process
// can leave its group (setsid, a daemon's double fork), and with the sandbox off there is no PID
// namespace to end them all. So every agent turn is marked: its environment carries a fresh
// SWARM_TURN_TOKEN (set by runAgentProcess in proc.ts), which every descendant inherits, and when
// the turn ends every process of this user whose environment (Linux: /proc/<pid>/environ) holds
// that token is killed. A process that exec's itself with a cleared environment escapes this
// (docs/harnesses.md, "Timeout and stop").

import { promises as fs, readdirSync, readFileSync } from 'node:fs';

/** The variable marking every process of one agent turn (set by runAgentProcess, never by callers). */
export const TURN_TOKEN_VAR = 'SWARM_TURN_TOKEN';
const TOKEN_NEEDLE = Buffer.from(`${TURN_TOKEN_VAR}=`);

/** This process and its ancestors: never matched, even when they carry a token (a nested swarm). */
function selfAndAncestors(): Set<number> {
  const out = new Set<number>([process.pid]);
  for (let pid = process.ppid; pid > 1 && !out.has(pid);) {
    out.add(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return out;
}

/**
 * Processes whose environment carries a SWARM_TURN_TOKEN and satisfies `match` (given the whole
 * environment). Only processes whose environ this user may read (its own) are seen; exited but
 * unreaped ones have an empty environ and are not. Linux only ([] where /proc is missing).
 * Reading every environ costs about 0.3 ms a process here, so it is read asynchronously.
 */
export async function findMarkedProcesses(match: (env: Map<string, string>) => boolean): Promise<number[]> {
  let names: string[];
  try {
    names = await fs.readdir('/proc');
  } catch {
    return [];
  }
  const skip = selfAndAncestors();
  const pids = names.filter((n) => /^\d+$/.test(n) && !skip.has(Number(n)));
  const hits = await Promise.all(
    pids.map(async (name) => {
      const raw = await fs.readFile(`/proc/${name}/environ`).catch(() => undefined);
      if (!raw || raw.indexOf(TOKEN_NEEDLE) === -1) return undefined; // cheap filter; the parse checks the name exactly
      const env = new Map<string, string>();
      for (const entry of raw.toString('utf8').split('\0')) {
        const eq = entry.indexOf('=');
        if (eq > 0 && !env.has(entry.slice(0, eq))) env.set(entry.slice(0, eq), entry.slice(eq + 1));
      }
      return env.has(TURN_TOKEN_VAR) && match(env) ? Number(name) : undefined;
    }),
  );
  return hits.filter((p): p is number => p !== undefined);
}

/**
 * Kill every marked process `match` selects, and wait until none is left (bounded by `maxMs`).
 * Each round stops them all first (SIGSTOP: no more forks), then kills them; processes forked
 * meanwhile are found by the next round. Returns the pids killed.
 */
export async function killMarkedProcesses(match: (env: Map<string, string>) => boolean, maxMs = 5000): Promise<number[]> {
  const killed = new Set<number>();
  const end = Date.now() + maxMs;
  for (;;) {
    const found = await findMarkedProcesses(match);
    if (!found.length || Date.now() > end) break;
    for (const pid of found) {
      try {
        process.kill(pid, 'SIGSTOP');
      } catch {
        /* gone */
      }
    }
    for (const pid of found) {
      try {
        process.kill(pid, 'SIGKILL');
        killed.add(pid);
      } catch {
        /* gone */
      }
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return [...killed];
}

/** Kill what is left of one agent turn (everything carrying its token). */
export function killTurnProcesses(token: string, maxMs = 5000): Promise<number[]> {
  return killMarkedProcesses((env) => env.get(TURN_TOKEN_VAR) === token, maxMs);
}

/** Kill a whole process group: SIGTERM, then SIGKILL after `graceMs` if anything is left. */
export function killProcessGroup(pgid: number, graceMs = 2000): void {
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    return;
  }
  const t = setTimeout(() => {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, graceMs);
  t.unref();
}

/**
 * Kill a whole process group and wait until it is gone: SIGTERM, SIGKILL after `graceMs`. For
 * recovery, where nothing else keeps the process alive long enough for a timer (a short run would
 * exit first and leave an agent that ignores SIGTERM running). Resolves false if the group still
 * exists after `maxMs` (e.g. zombies nobody reaps).
 */
export async function killProcessGroupAndWait(pgid: number, graceMs = 2000, maxMs = graceMs + 2000): Promise<boolean> {
  const gone = () => !processGroupAlive(pgid);
  try {
    process.kill(-pgid, 'SIGTERM');
  } catch {
    return true;
  }
  const started = Date.now();
  let killed = false;
  while (!gone()) {
    if (!killed && Date.now() - started >= graceMs) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        /* gone */
      }
      killed = true;
    }
    if (Date.now() - started >= maxMs) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
  return true;
}

/** Does the process group still have a running member? (Linux: exited but unreaped zombies do not count.) */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // state, ppid, pgrp, ...
    if (Number(f[2]) === pgid && f[0] !== 'Z') return true;
  }
  return false;
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Matcher for the leftovers of agent turns on one repository (by the SWARM_TASKS_DIR every turn
 * carries), optionally of one run only. For recovery (the lock is held: no other run's agents
 * are alive here) and the end of a run.
 */
export function agentsOfRepo(tasksDir: string, runId?: string): (env: Map<string, string>) => boolean {
  return (env) => env.get('SWARM_TASKS_DIR') === tasksDir && (runId === undefined || env.get('SWARM_RUN_ID') === runId);
}

/** A process's start time (Linux /proc: clock ticks since boot), to tell it from a later process that reuses its pid. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function isSameProcessAlive(pid: number, procStart?: string): boolean {
  if (!isProcessAlive(pid)) return false;
  if (!procStart) return true;
  const now = processStartTime(pid);
  return now === undefined || now === procStart;
}
