// The engine process's socket (src/shared/engineSocket.ts): how a window re-attaches to a run that
// outlived the window that started it. The engine listens on `.swarm/engine/engine.sock` (a folder
// it makes 0700 and checks, the socket 0600) and writes `.swarm/engine/engine.json` (0600: pid,
// /proc start time, socket, protocol version, run id, a random token). A client's first line must
// be a hello with that token; then it is a host as the IPC channel is (serve.ts), one at a time.
// When the run ends the socket and engine.json are removed; a run that ended with no window
// attached leaves its summary in `.swarm/engine/finished.json` for the next window to show.

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { isSameProcessAlive, processStartTime } from '../swarm/procKill';
import type { RunSummary } from '../swarm/types';
import type { EngineToHost } from '../shared/engineProtocol';
import {
  ENGINE_PROTOCOL_VERSION,
  MAX_SOCKET_PATH,
  engineDir,
  engineInfoPath,
  engineSocketPath,
  notPrivate,
  parseEngineInfo,
  readJsonLines,
  writeJsonLine,
  type EngineHello,
  type EngineInfo,
} from '../shared/engineSocket';
import type { EngineChannel } from './serve';

export interface EngineListener {
  readonly socket: string;
  /** Stop listening and remove the socket and engine.json; `unattended`: the run's summary, kept for the next window. */
  close(unattended?: RunSummary): void;
}

export interface HostSlot {
  /** Why a new host cannot attach now (another one is), or undefined. */
  busy(): string | undefined;
  /** A host attached (its hello answered). */
  attach(host: EngineChannel): void;
}

/** A client must say hello within this time. */
const HELLO_MS = 10_000;

export const FINISHED_FILE = 'finished.json';

/** Write `data` to `file` as a new 0600 file, atomically (a temporary file renamed over it). */
function writePrivate(file: string, data: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* gone already */
  }
}

/** `.swarm/engine/`, made 0700 (or made so when it is this user's); the reason it cannot be used otherwise. */
export function privateEngineDir(root: string): string | { error: string } {
  const dir = engineDir(root);
  mkdirSync(join(root, '.swarm'), { recursive: true });
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') return { error: `${dir}: ${(e as Error).message}` };
  }
  let why = notPrivate(dir, 'dir');
  if (why && !/symbolic link|another user|not a folder/.test(why)) {
    chmodSync(dir, 0o700);
    why = notPrivate(dir, 'dir');
  }
  return why ? { error: why } : dir;
}

/**
 * Listen for hosts of this run. Undefined (with a warning) when the run cannot be re-attached
 * (the folder is not private, the socket path too long, another live engine's files): the
 * process then stops its run when its window goes, as before.
 */
export async function listenForHosts(root: string, runId: string, slot: HostSlot, warn: (m: string) => void): Promise<EngineListener | undefined> {
  const dir = privateEngineDir(root);
  if (typeof dir !== 'string') {
    warn(`the run cannot outlive its window: ${dir.error}`);
    return undefined;
  }
  const infoFile = engineInfoPath(root);
  const socketPath = engineSocketPath(root);
  if (process.platform !== 'win32' && Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
    warn(`the run cannot outlive its window: the socket path ${socketPath} is longer than ${MAX_SOCKET_PATH} bytes`);
    return undefined;
  }
  // Files left by an engine that is gone (this run holds the repository's run lock: no other
  // engine of this repository runs). One that is alive all the same is left alone.
  try {
    const old = parseEngineInfo(JSON.parse(readFileSync(infoFile, 'utf8')));
    if (typeof old !== 'string' && old.pid !== process.pid && isSameProcessAlive(old.pid, old.procStart) && notPrivate(infoFile, 'file') === undefined) {
      warn(`the run cannot outlive its window: ${infoFile} names a live process (pid ${old.pid})`);
      return undefined;
    }
  } catch {
    /* none, or not one */
  }
  unlinkQuiet(infoFile);
  if (process.platform !== 'win32') unlinkQuiet(socketPath);

  const token = randomBytes(32).toString('hex');
  const server: Server = createServer((socket) => greet(socket));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    if (process.platform !== 'win32') chmodSync(socketPath, 0o600);
    const info: EngineInfo = {
      pid: process.pid,
      procStart: processStartTime(process.pid),
      socket: socketPath,
      startedAt: new Date().toISOString(),
      protocol: ENGINE_PROTOCOL_VERSION,
      runId,
      token,
    };
    writePrivate(infoFile, `${JSON.stringify(info, null, 2)}\n`);
  } catch (e) {
    server.close();
    warn(`the run cannot outlive its window: ${(e as Error).message}`);
    return undefined;
  }
  server.on('error', (e) => warn(`engine socket: ${e.message}`));
  server.unref(); // the run, not the socket, keeps the process alive

  function greet(socket: Socket): void {
    const timer = setTimeout(() => socket.destroy(), HELLO_MS);
    socket.on('error', () => socket.destroy());
    let greeted = false;
    let host: { message: ((m: unknown) => void)[]; gone: (() => void)[] } | undefined;
    const answer = (m: EngineHello) => writeJsonLine(socket, m);
    readJsonLines(socket, (m) => {
      if (host) {
        for (const l of host.message) l(m);
        return;
      }
      if (greeted) return;
      greeted = true;
      clearTimeout(timer);
      const hello = m as { t?: unknown; protocol?: unknown; token?: unknown } | null;
      const given = typeof hello?.token === 'string' ? Buffer.from(hello.token) : Buffer.alloc(0);
      const mine = Buffer.from(token);
      // A peer without the token learns nothing (not even the version): it is simply dropped.
      if (hello?.t !== 'hello' || given.length !== mine.length || !timingSafeEqual(given, mine)) return void socket.destroy();
      if (hello.protocol !== ENGINE_PROTOCOL_VERSION) {
        answer({ t: 'refused', protocol: ENGINE_PROTOCOL_VERSION, pid: process.pid, reason: `this engine speaks protocol ${ENGINE_PROTOCOL_VERSION}` });
        return void socket.end();
      }
      const busy = slot.busy();
      if (busy) {
        answer({ t: 'refused', protocol: ENGINE_PROTOCOL_VERSION, pid: process.pid, reason: busy });
        return void socket.end();
      }
      answer({ t: 'hello', protocol: ENGINE_PROTOCOL_VERSION, pid: process.pid, runId });
      const h = { message: [] as ((m: unknown) => void)[], gone: [] as (() => void)[] };
      host = h;
      socket.on('close', () => {
        for (const l of h.gone.splice(0)) l();
      });
      slot.attach({
        send: (out: EngineToHost) => void writeJsonLine(socket, out),
        onMessage: (l) => void h.message.push(l),
        onDisconnect: (l) => void h.gone.push(l),
        close: () => void socket.end(),
      });
    });
  }

  return {
    socket: socketPath,
    close(unattended) {
      server.close();
      if (process.platform !== 'win32') unlinkQuiet(socketPath);
      try {
        const now = parseEngineInfo(JSON.parse(readFileSync(infoFile, 'utf8')));
        if (typeof now !== 'string' && now.token === token) unlinkQuiet(infoFile);
      } catch {
        /* gone */
      }
      if (unattended) {
        try {
          writePrivate(
            join(engineDir(root), FINISHED_FILE),
            `${JSON.stringify({ runId, finishedAt: new Date().toISOString(), summary: unattended }, null, 2)}\n`,
          );
        } catch (e) {
          warn(`could not keep the run's summary: ${(e as Error).message}`);
        }
      }
    },
  };
}
