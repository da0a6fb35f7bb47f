// Keeping a Gemini CLI worker session for the fix round that resumes it (issue 19 item 2).
//
// Gemini's start-up session cleanup (settings `general.sessionRetention`, on by default) deletes
// every session file it cannot read together with every other session file of the same short id
// (the first 8 characters of the session id, in the file name). A resume in a later minute, or a
// crash mid-write, leaves such a file beside the real one; the next Gemini start in the same
// project folder then deletes the real session too, and the fix round that resumes it starts from
// nothing. The cleanup cannot be switched off for the swarm's turns alone: the only settings layer
// above the user's (GEMINI_CLI_SYSTEM_SETTINGS_PATH / _DEFAULTS_PATH) is ignored unless the file and
// every folder above it are owned by root (Gemini 0.61), and a separate GEMINI_CLI_HOME would hide
// the user's sign-in. So the swarm keeps the session instead:
//   - after every turn, a copy of the session's file is kept in the same chats folder as
//     `swarm-keep-<session id>.jsonl` (not a `session-*` name, so Gemini neither lists nor cleans it);
//   - before a resume, when no session file of that id is left, the copy is put back as a
//     `session-<minute>-<short id>.jsonl` file. The resuming process's own cleanup spares the
//     session it resumes (its current session), so the turn resumes with the whole history.
// Files: `<GEMINI_CLI_HOME or HOME>/.gemini/tmp/<project>/chats/` (Gemini 0.61; docs/harnesses.md).

import { closeSync, constants, copyFileSync, openSync, readSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const KEEP_PREFIX = 'swarm-keep-';
/** Session ids the swarm puts into file names (Gemini's are UUIDs); anything else is left alone. */
const SAFE_ID = /^[A-Za-z0-9_-]{8,128}$/;
/** Project folders looked at under .gemini/tmp (bounded: one readdir of each). */
const MAX_PROJECTS = 5000;

/** The `.gemini` folder a Gemini process with this environment uses. */
export function geminiDir(env: NodeJS.ProcessEnv): string {
  return join(env.GEMINI_CLI_HOME || env.HOME || homedir(), '.gemini');
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The session id a session file names on its first line (JSONL), or in the whole file (older .json). */
export function sessionIdOf(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const text = buf.toString('utf8', 0, n);
    const nl = text.indexOf('\n');
    for (const candidate of nl >= 0 ? [text.slice(0, nl)] : [text]) {
      try {
        const rec = JSON.parse(candidate) as { sessionId?: unknown };
        if (typeof rec.sessionId === 'string') return rec.sessionId;
      } catch {
        /* not JSON on its own */
      }
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The chats folders of every project Gemini keeps sessions for. */
function chatDirs(env: NodeJS.ProcessEnv): string[] {
  const tmp = join(geminiDir(env), 'tmp');
  return list(tmp)
    .slice(0, MAX_PROJECTS)
    .map((p) => join(tmp, p, 'chats'))
    .filter((d) => list(d).length > 0);
}

/** Gemini's session files of `id` in `dir` (its short id in the name, its full id inside). */
function sessionFiles(dir: string, id: string): string[] {
  const short = id.slice(0, 8);
  return list(dir)
    .filter((f) => f.startsWith('session-') && (f.endsWith(`-${short}.jsonl`) || f.endsWith(`-${short}.json`)))
    .map((f) => join(dir, f))
    .filter((f) => isFile(f) && sessionIdOf(f) === id);
}

/** Copy `from` to `to` without following a link planted at `to` (copy beside it, then rename over). */
function copyOver(from: string, to: string): void {
  const tmp = `${to}.${process.pid}.tmp`;
  try {
    unlinkSync(tmp);
  } catch {
    /* none */
  }
  copyFileSync(from, tmp, constants.COPYFILE_EXCL);
  renameSync(tmp, to);
}

/** After a turn: keep a copy of session `id`'s file (the largest, when there are several). */
export function keepGeminiSession(env: NodeJS.ProcessEnv, id: string): string | undefined {
  if (!SAFE_ID.test(id)) return undefined;
  for (const dir of chatDirs(env)) {
    const files = sessionFiles(dir, id);
    if (!files.length) continue;
    const best = files.map((f) => ({ f, size: statSync(f).size })).sort((a, b) => b.size - a.size)[0].f;
    const keep = join(dir, `${KEEP_PREFIX}${id}.jsonl`);
    copyOver(best, keep);
    return keep;
  }
  return undefined;
}

/** A session file name of Gemini's form for `at`: session-2026-11-30T02-50-<short>.jsonl */
function sessionFileName(id: string, at: Date): string {
  return `session-${at.toISOString().slice(0, 16).replace(/:/g, '-')}-${id.slice(0, 8)}.jsonl`;
}

/**
 * Before a resume: when no session file of `id` is left anywhere, put the kept copy back. Returns
 * the restored file, or undefined (nothing missing, or nothing kept).
 */
export function restoreGeminiSession(env: NodeJS.ProcessEnv, id: string, now = new Date()): string | undefined {
  if (!SAFE_ID.test(id)) return undefined;
  const dirs = chatDirs(env);
  if (dirs.some((d) => sessionFiles(d, id).length > 0)) return undefined;
  for (const dir of dirs) {
    const keep = join(dir, `${KEEP_PREFIX}${id}.jsonl`);
    if (!isFile(keep) || sessionIdOf(keep) !== id) continue;
    // A name no file has yet (an unreadable file of the same short id may hold this minute's name).
    for (let back = 0; back < 60; back++) {
      const target = join(dir, sessionFileName(id, new Date(now.getTime() - back * 60_000)));
      try {
        statSync(target);
        continue;
      } catch {
        /* free */
      }
      copyFileSync(keep, target, constants.COPYFILE_EXCL);
      return target;
    }
  }
  return undefined;
}
