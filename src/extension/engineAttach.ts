// Find the engine process of a run that outlived the window that started it (a reload, a window
// closed: engineChild.ts detach()) and attach to it (src/shared/engineSocket.ts): the run is then
// this window's ChildRun again, over a SocketLink instead of node's IPC channel. No vscode import.
//
// Nothing in `.swarm/engine/` is trusted before it is checked: the folder and engine.json must be
// this user's and private; the pid must be alive with the start time the file gives (a pid reused
// by another process is not the engine); the socket must answer the hello with that pid. What fails
// is "stale": its files are removed (never the process signalled). An engine of another protocol
// version is not attached: the caller offers to stop it (stopEngine: SIGTERM, which stops its run
// as Stop does).

import { EventEmitter } from 'node:events';
import { readFileSync, rmSync, unlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { isSameProcessAlive } from '../swarm/procKill';
import type { RunSummary } from '../swarm/types';
import { isRunSummary } from '../shared/engineProtocol';
import {
  ENGINE_PROTOCOL_VERSION,
  engineDir,
  engineInfoPath,
  notPrivate,
  parseEngineHello,
  parseEngineInfo,
  readJsonLines,
  writeJsonLine,
  type EngineInfo,
} from '../shared/engineSocket';

/** How long the engine has to answer the hello. */
const HELLO_MS = 10_000;

export type EngineFound =
  | { kind: 'none' }
  /** Files of an engine that is gone, or of something that is not the engine: removed. */
  | { kind: 'stale'; why: string }
  /** Not usable and not removed (the folder is not this user's private one): said, left as it is. */
  | { kind: 'untrusted'; why: string }
  /** A live engine of another protocol version (or one that refused this window: another is attached). */
  | { kind: 'refused'; info: EngineInfo; reason: string; otherVersion: boolean }
  | { kind: 'attached'; info: EngineInfo; link: SocketLink };

/**
 * A socket to the engine process, shaped as ChildRun uses a forked ChildProcess: `message`,
 * `disconnect` (the socket closed), then `exit` once the process is gone ('error' never: a socket
 * error closes it).
 */
export class SocketLink extends EventEmitter {
  connected = true;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly stderr = undefined;
  constructor(
    private readonly socket: Socket,
    readonly pid: number,
    private readonly procStart: string | undefined,
  ) {
    super();
    socket.on('close', () => {
      this.connected = false;
      this.emit('disconnect');
      // The process exits a moment after it closed the socket (its run over), or was killed.
      const poll = setInterval(() => {
        if (isSameProcessAlive(this.pid, this.procStart)) return;
        clearInterval(poll);
        this.exitCode = 0;
        this.emit('exit', null, null);
      }, 100);
      poll.unref();
    });
  }
  /** Messages read before ChildRun listens (the engine sends its state right after its hello). */
  private queue: unknown[] | undefined = [];
  /** Called with what readJsonLines read (engineAttach owns the reader). */
  deliver(m: unknown): void {
    if (this.queue) this.queue.push(m);
    else this.emit('message', m);
  }
  override on(event: string | symbol, listener: (...args: unknown[]) => void): this {
    super.on(event, listener);
    if (event === 'message' && this.queue) {
      const queued = this.queue;
      this.queue = undefined;
      queueMicrotask(() => {
        for (const m of queued) this.emit('message', m);
      });
    }
    return this;
  }
  send(m: unknown): boolean {
    return writeJsonLine(this.socket, m);
  }
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (!isSameProcessAlive(this.pid, this.procStart)) return false;
    process.kill(this.pid, signal);
    return true;
  }
  disconnect(): void {
    this.socket.end();
  }
  unref(): void {
    this.socket.unref();
  }
}

function clean(root: string, info: EngineInfo | undefined): void {
  for (const f of [
    engineInfoPath(root),
    ...(info && process.platform !== 'win32' && info.socket === join(engineDir(root), 'engine.sock') ? [info.socket] : []),
  ])
    try {
      unlinkSync(f);
    } catch {
      /* gone */
    }
}

/** The engine of this repository's run, attached when it is alive and speaks this protocol. */
export async function findEngine(root: string): Promise<EngineFound> {
  const file = engineInfoPath(root);
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    return { kind: 'none' };
  }
  const untrusted = notPrivate(engineDir(root), 'dir') ?? notPrivate(file, 'file');
  if (untrusted) return { kind: 'untrusted', why: untrusted };
  let info: EngineInfo | string;
  try {
    info = parseEngineInfo(JSON.parse(raw));
  } catch (e) {
    info = (e as Error).message;
  }
  if (typeof info === 'string') {
    clean(root, undefined);
    return { kind: 'stale', why: `${file}: ${info}` };
  }
  if (!isSameProcessAlive(info.pid, info.procStart)) {
    clean(root, info);
    return { kind: 'stale', why: `its process (pid ${info.pid}) is gone` };
  }
  const answer = await hello(info);
  if (answer.kind === 'none') {
    // A live pid whose socket does not answer as the engine: the pid was reused, or it is not the engine.
    clean(root, info);
    return { kind: 'stale', why: `pid ${info.pid} does not answer on ${info.socket} (${answer.why})` };
  }
  if (answer.kind === 'refused') return { kind: 'refused', info, reason: answer.reason, otherVersion: answer.protocol !== ENGINE_PROTOCOL_VERSION };
  return { kind: 'attached', info, link: answer.link };
}

type HelloAnswer = { kind: 'none'; why: string } | { kind: 'refused'; reason: string; protocol: number } | { kind: 'attached'; link: SocketLink };

async function hello(info: EngineInfo): Promise<HelloAnswer> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = connect(info.socket);
    const done = (r: HelloAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (r.kind !== 'attached') socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done({ kind: 'none', why: 'no answer' }), HELLO_MS);
    socket.on('error', (e) => done({ kind: 'none', why: e.message }));
    socket.on('close', () => done({ kind: 'none', why: 'closed' }));
    let link: SocketLink | undefined;
    readJsonLines(socket, (m) => {
      if (link) return link.deliver(m);
      const h = parseEngineHello(m);
      if (!h || h.pid !== info.pid) return done({ kind: 'none', why: 'not an engine hello' });
      if (h.t === 'refused') return done({ kind: 'refused', reason: h.reason, protocol: h.protocol });
      if (h.protocol !== ENGINE_PROTOCOL_VERSION || h.runId !== info.runId) return done({ kind: 'none', why: 'not this run' });
      link = new SocketLink(socket, info.pid, info.procStart);
      done({ kind: 'attached', link });
    });
    socket.once('connect', () => writeJsonLine(socket, { t: 'hello', protocol: ENGINE_PROTOCOL_VERSION, token: info.token }));
  });
}

/** Stop an engine this window does not attach to (another version): SIGTERM stops its run as Stop does. */
export function stopEngine(info: EngineInfo): boolean {
  if (!isSameProcessAlive(info.pid, info.procStart)) return false;
  process.kill(info.pid, 'SIGTERM');
  return true;
}

/** The end of a run that finished with no window attached (socketServer.ts), read once and removed. */
export function takeFinishedRun(root: string): { runId: string; finishedAt: string; summary: RunSummary } | undefined {
  const file = join(engineDir(root), 'finished.json');
  let v: { runId?: unknown; finishedAt?: unknown; summary?: unknown };
  try {
    if (notPrivate(file, 'file')) return undefined;
    v = JSON.parse(readFileSync(file, 'utf8')) as typeof v;
  } catch {
    return undefined;
  }
  rmSync(file, { force: true });
  if (typeof v.runId !== 'string' || typeof v.finishedAt !== 'string' || !isRunSummary(v.summary)) return undefined;
  return { runId: v.runId, finishedAt: v.finishedAt, summary: v.summary };
}

/** engine.json when it is private, well-formed and names a live process (its start time checked). */
export function liveEngineInfo(root: string): EngineInfo | undefined {
  try {
    if (notPrivate(engineDir(root), 'dir') || notPrivate(engineInfoPath(root), 'file')) return undefined;
    const info = parseEngineInfo(JSON.parse(readFileSync(engineInfoPath(root), 'utf8')));
    return typeof info !== 'string' && isSameProcessAlive(info.pid, info.procStart) ? info : undefined;
  } catch {
    return undefined;
  }
}
