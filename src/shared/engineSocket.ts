// Re-attach to the engine process after a window reload (docs/decisions.md "Re-attach after a
// window reload"). The engine process of a run started in the extension (src/engineChild/) outlives
// the extension host; besides its IPC channel it listens on a Unix socket (a named pipe on Windows)
// and describes itself in `.swarm/engine/engine.json`. A new window reads that file, connects, says
// hello with the token the file holds, and then speaks src/shared/engineProtocol.ts as JSON lines.
//
// What guards it (docs/security.md "The engine socket"):
// - `.swarm/engine/` is made 0700 by the engine and checked on both sides: a directory (not a
//   link), owned by this user, no group or other bits; engine.json 0600 the same. A file or folder
//   that fails the check is never trusted (and never deleted: it is not ours).
// - agents' sandboxes hide the folder (an empty tmpfs over it: src/swarm/sandboxPolicy.ts): a turn
//   cannot see the socket, the token or connect;
// - the client's first line carries the token (compared in constant time); anything else is refused;
// - a pid reused by another process: the engine's /proc start time is in the file and compared;
//   a process that does not answer the hello on the socket the file names is not the engine.
// Type-only imports from the engine: this module is loaded by both halves.

import { createHash } from 'node:crypto';
import { lstatSync, type Stats } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';

/**
 * The version of the messages in src/shared/engineProtocol.ts: bump it with any change to them. A
 * window does not attach to an engine of another version (it offers to stop it instead).
 */
export const ENGINE_PROTOCOL_VERSION = 1;

export function engineDir(root: string): string {
  return join(root, '.swarm', 'engine');
}
export function engineInfoPath(root: string): string {
  return join(engineDir(root), 'engine.json');
}
/** The socket (a named pipe on Windows, whose names are global: one per repository). */
export function engineSocketPath(root: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return `\\\\.\\pipe\\worktree-swarm-${createHash('sha256').update(root).digest('hex').slice(0, 24)}`;
  return join(engineDir(root), 'engine.sock');
}
/** Unix socket paths are limited to about 104 bytes: a longer one cannot be bound, and the run is then not re-attachable. */
export const MAX_SOCKET_PATH = 100;

/** `.swarm/engine/engine.json`. */
export interface EngineInfo {
  pid: number;
  /** The process's start time from /proc (Linux), against pid reuse. */
  procStart?: string;
  socket: string;
  startedAt: string;
  protocol: number;
  runId: string;
  /** Sent by a client in its hello. */
  token: string;
}

/** engine.json as read, or a reason it is not one (a file from another version may lack fields). */
export function parseEngineInfo(v: unknown): EngineInfo | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  if (!Number.isSafeInteger(o.pid) || (o.pid as number) <= 1) return 'field "pid": not a process id';
  if (!Number.isSafeInteger(o.protocol)) return 'field "protocol": not a number';
  if (typeof o.socket !== 'string' || !o.socket) return 'field "socket": missing';
  if (typeof o.runId !== 'string' || !/^[\w.:-]{1,100}$/.test(o.runId)) return 'field "runId": missing';
  if (typeof o.startedAt !== 'string' || o.startedAt.length > 100) return 'field "startedAt": missing';
  if (typeof o.token !== 'string' || !/^[0-9a-f]{64}$/.test(o.token)) return 'field "token": missing';
  if (o.procStart !== undefined && typeof o.procStart !== 'string') return 'field "procStart": not a string';
  return {
    pid: o.pid as number,
    procStart: o.procStart as string | undefined,
    socket: o.socket,
    startedAt: o.startedAt,
    protocol: o.protocol as number,
    runId: o.runId,
    token: o.token,
  };
}

/** Client → engine, the first line. */
export interface ClientHello {
  t: 'hello';
  protocol: number;
  token: string;
}
/** Engine → client, the answer to the hello (its first two fields are the same in every version). */
export type EngineHello = { t: 'hello'; protocol: number; pid: number; runId: string } | { t: 'refused'; protocol: number; pid: number; reason: string };

export function parseEngineHello(v: unknown): EngineHello | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (!Number.isSafeInteger(o.protocol) || !Number.isSafeInteger(o.pid)) return undefined;
  if (o.t === 'hello' && typeof o.runId === 'string') return { t: 'hello', protocol: o.protocol as number, pid: o.pid as number, runId: o.runId };
  if (o.t === 'refused' && typeof o.reason === 'string')
    return { t: 'refused', protocol: o.protocol as number, pid: o.pid as number, reason: o.reason.slice(0, 2000) };
  return undefined;
}

/** The longest line either side reads (an event carries at most a few MB of agent text). */
export const MAX_LINE = 64 * 1024 * 1024;

/**
 * JSON lines on a socket: `onMessage` for each parsed line; a line that is not JSON or longer than
 * MAX_LINE ends the connection (the peer is not speaking this protocol).
 */
export function readJsonLines(socket: Socket, onMessage: (m: unknown) => void, maxLine = MAX_LINE): void {
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line) continue;
      let m: unknown;
      try {
        m = JSON.parse(line);
      } catch {
        socket.destroy();
        return;
      }
      onMessage(m);
      if (socket.destroyed) return;
    }
    if (buf.length > maxLine) socket.destroy();
  });
}

export function writeJsonLine(socket: Socket, m: unknown, cb?: () => void): boolean {
  if (socket.destroyed || !socket.writable) return false;
  socket.write(`${JSON.stringify(m)}\n`, cb);
  return true;
}

/**
 * Why this path is not a private folder (or file) of this user, or undefined when it is: it exists,
 * is not a symbolic link, is of the kind asked, belongs to this user and nobody else may write (a
 * folder) or read (a file) it. On Windows only the kind is checked (no POSIX modes).
 */
export function notPrivate(path: string, kind: 'dir' | 'file'): string | undefined {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    return `${path}: ${(e as NodeJS.ErrnoException).code ?? 'cannot be read'}`;
  }
  if (st.isSymbolicLink()) return `${path} is a symbolic link`;
  if (kind === 'dir' ? !st.isDirectory() : !st.isFile()) return `${path} is not a ${kind === 'dir' ? 'folder' : 'regular file'}`;
  if (process.platform === 'win32') return undefined;
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return `${path} belongs to another user (uid ${st.uid})`;
  if ((st.mode & 0o077) !== 0) return `${path} is open to other users (mode ${(st.mode & 0o777).toString(8)})`;
  return undefined;
}
