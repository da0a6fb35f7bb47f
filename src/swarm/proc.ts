// The one place that starts processes (git and agents alike). Agents run in their own process
// group (detached) so a stop or timeout kills children too; their output streams to a log file
// and only a bounded tail stays in memory, so an agent printing gigabytes cannot grow the host.
// Every agent turn is marked with a fresh SWARM_TURN_TOKEN, and what carries it is killed when the
// turn ends (procKill.ts).

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { delimiter, dirname } from 'node:path';
import { absolutePathEntries, resolveProgram, type ProgramTrust } from './harness/resolve';
import { killProcessGroup, killTurnProcesses, TURN_TOKEN_VAR } from './procKill';

/** Keeps the last `max` bytes of a stream, as text. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  total = 0;
  constructor(private readonly max: number) {}
  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (chunk.length >= this.max) {
      this.chunks = [chunk.subarray(chunk.length - this.max)];
      this.size = this.max;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0].length >= this.max) this.size -= this.chunks.shift()!.length;
  }
  get truncated(): boolean {
    return this.total > this.size;
  }
  toString(): string {
    const buf = Buffer.concat(this.chunks);
    return (buf.length > this.max ? buf.subarray(buf.length - this.max) : buf).toString('utf8');
  }
}

/** Splits a byte stream into lines; lines longer than `maxLine` are cut (the rest is dropped). */
class LineSplitter {
  private pending: Buffer[] = [];
  private pendingSize = 0;
  private overflow = false;
  constructor(
    private readonly maxLine: number,
    private readonly onLine: (line: string) => void,
  ) {}
  push(chunk: Buffer): void {
    let start = 0;
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, start)) {
      this.add(chunk.subarray(start, i));
      this.flush();
      start = i + 1;
    }
    if (start < chunk.length) this.add(chunk.subarray(start));
  }
  private add(part: Buffer): void {
    if (this.overflow) return;
    if (this.pendingSize + part.length > this.maxLine) {
      this.pending.push(part.subarray(0, this.maxLine - this.pendingSize));
      this.pendingSize = this.maxLine;
      this.overflow = true;
      return;
    }
    this.pending.push(part);
    this.pendingSize += part.length;
  }
  flush(): void {
    const line = Buffer.concat(this.pending).toString('utf8').replace(/\r$/, '');
    this.pending = [];
    this.pendingSize = 0;
    this.overflow = false;
    this.onLine(line);
  }
  end(): void {
    if (this.pendingSize > 0) this.flush();
  }
}

export interface AgentProcessOptions {
  /** Program and arguments. */
  argv: string[];
  cwd: string;
  /** Complete environment of the child (callers merge process.env themselves). */
  env: NodeJS.ProcessEnv;
  /** Text written to stdin, then stdin is closed; undefined = stdin closed at once (never left open: CLIs hang on it). */
  stdin?: string;
  timeoutMs: number;
  /** Both streams are appended here, stderr lines prefixed. */
  logFile?: string;
  signal?: AbortSignal;
  onSpawn?: (info: { pid: number; pgid: number }) => void;
  /** Each stdout line (cut at maxLineBytes), for CLIs that stream JSON events. */
  /** The log file could not be written (ENOSPC, EIO): logging stops, the agent is not held up. */
  onLogError?: (e: NodeJS.ErrnoException) => void;
  onStdoutLine?: (line: string) => void;
  tailBytes?: number;
  maxLineBytes?: number;
  /** Grace between SIGTERM and SIGKILL of the process group. */
  killGraceMs?: number;
  /** Resolve argv[0] from the user's environment only (src/swarm/harness/resolve.ts); the child's
   *  PATH loses its relative entries. Agent turns always set it. */
  trust?: ProgramTrust;
}

export interface AgentProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  /** Set when the program could not be started (ENOENT: not installed / not on PATH). */
  spawnError?: NodeJS.ErrnoException;
  stdoutTail: string;
  stderrTail: string;
  stdoutBytes: number;
  durationMs: number;
  pid?: number;
  /** What the agent sandbox refused during the turn (set by harness/command.ts runTurnProcess). */
  sandboxDenied?: string[];
}

/**
 * Run an agent (or any long program) in its own process group with timeout, abort and logging.
 * Its environment gets a fresh SWARM_TURN_TOKEN; when the program exits, its group and every
 * process carrying the token are killed before the result is returned (nothing it started
 * outlives the turn), and a pipe held open by an escaped process does not hang the turn.
 */
/**
 * The agent program resolved from the user's environment only (opts.trust): the PATH loses its
 * relative entries and the program is looked up outside the repository and its worktrees. Returns
 * the options with an absolute program and that PATH (and no `trust` left to apply), or why not.
 */
export function resolveAgentProgram(opts: AgentProcessOptions): { opts: AgentProcessOptions } | { error: NodeJS.ErrnoException } {
  if (!opts.trust) return { opts };
  const env: NodeJS.ProcessEnv = { ...opts.env, PATH: absolutePathEntries(opts.env?.PATH).join(delimiter) };
  const found = resolveProgram(opts.argv[0], env.PATH, opts.trust);
  if (!found) {
    const e: NodeJS.ErrnoException = new Error(
      `${opts.argv[0]} not found on PATH (relative PATH entries and folders inside the repository or its worktrees are not searched; configure an absolute path)`,
    );
    e.code = 'ENOENT';
    return { error: e };
  }
  return { opts: { ...opts, env, argv: [found, ...opts.argv.slice(1)], trust: undefined } };
}

/** The result of a turn whose process never started. */
export function notStarted(spawnError: NodeJS.ErrnoException, started = Date.now()): AgentProcessResult {
  return {
    exitCode: null,
    signal: null,
    spawnError,
    timedOut: false,
    aborted: false,
    stdoutTail: '',
    stderrTail: '',
    stdoutBytes: 0,
    durationMs: Date.now() - started,
  };
}

export function runAgentProcess(given: AgentProcessOptions): Promise<AgentProcessResult> {
  const started = Date.now();
  const resolved = resolveAgentProgram(given);
  if ('error' in resolved) return Promise.resolve(notStarted(resolved.error, started));
  const opts = resolved.opts;
  const tailBytes = opts.tailBytes ?? 256 * 1024;
  const stdoutTail = new TailBuffer(tailBytes);
  const stderrTail = new TailBuffer(64 * 1024);
  const token = randomBytes(16).toString('hex');
  const env: NodeJS.ProcessEnv = { ...opts.env, [TURN_TOKEN_VAR]: token };
  const program = opts.argv[0];
  let log: WriteStream | undefined;
  let child: ChildProcess | undefined;
  if (opts.logFile) {
    mkdirSync(dirname(opts.logFile), { recursive: true });
    log = createWriteStream(opts.logFile, { flags: 'a', highWaterMark: 1 << 20 });
    // A full disk or an I/O error on the log is not a crash: stop logging, let the agent's output
    // flow again (it may be waiting for a drain that will not come), and tell the caller.
    log.on('error', (e: NodeJS.ErrnoException) => {
      log = undefined;
      child?.stdout?.resume();
      child?.stderr?.resume();
      opts.onLogError?.(e);
    });
  }
  return new Promise((resolve) => {
    let timedOut = false;
    let aborted = false;
    let settled = false;
    let timer: NodeJS.Timeout | undefined = undefined; // set after spawn; finish() may run before (a spawn error)
    let swept: Promise<unknown> | undefined;
    let exitInfo: { code: number | null; sig: NodeJS.Signals | null } | undefined;
    let closeTimer: NodeJS.Timeout | undefined;
    const finish = (r: Omit<AgentProcessResult, 'stdoutTail' | 'stderrTail' | 'durationMs' | 'timedOut' | 'aborted' | 'stdoutBytes'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(closeTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      const done = () =>
        resolve({
          ...r,
          timedOut,
          aborted,
          stdoutTail: stdoutTail.toString(),
          stderrTail: stderrTail.toString(),
          stdoutBytes: stdoutTail.total,
          durationMs: Date.now() - started,
        });
      if (log) log.end(done);
      else done();
    };
    let spawned: ChildProcess;
    try {
      spawned = spawn(program, opts.argv.slice(1), { cwd: opts.cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (e) {
      finish({ exitCode: null, signal: null, spawnError: e as NodeJS.ErrnoException });
      return;
    }
    child = spawned;
    const pid = spawned.pid;
    const kill = () => {
      if (pid) killProcessGroup(pid, opts.killGraceMs ?? 2000);
    };
    const onAbort = () => {
      aborted = true;
      kill();
    };
    timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (pid) opts.onSpawn?.({ pid, pgid: pid });

    const lines = opts.onStdoutLine ? new LineSplitter(opts.maxLineBytes ?? 4 * 1024 * 1024, opts.onStdoutLine) : undefined;
    spawned.stdout!.on('data', (c: Buffer) => {
      stdoutTail.push(c);
      lines?.push(c);
      // Back-pressure: a flooding agent waits for the log file instead of filling our memory.
      if (log && !log.write(c)) {
        spawned.stdout!.pause();
        log.once('drain', () => spawned.stdout!.resume());
      }
    });
    spawned.stderr!.on('data', (c: Buffer) => {
      stderrTail.push(c);
      if (log && !log.write(c)) {
        spawned.stderr!.pause();
        log.once('drain', () => spawned.stderr!.resume());
      }
    });
    spawned.stdin!.on('error', () => {
      /* the agent may exit without reading its stdin */
    });
    spawned.stdin!.end(opts.stdin ?? '');
    spawned.on('error', (e: NodeJS.ErrnoException) => finish({ exitCode: null, signal: null, spawnError: e, pid }));
    // The leader exited: no child of it survives, in its group or out of it (the token). A process
    // that escaped both and holds our pipes would keep 'close' from coming: stop reading then.
    const sweep = () =>
      (swept ??= (async () => {
        if (pid) {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            /* none left */
          }
        }
        await killTurnProcesses(token).catch(() => []);
      })());
    const closed = (code: number | null, sig: NodeJS.Signals | null) => {
      lines?.end();
      void sweep().then(() => finish({ exitCode: code, signal: sig, pid }));
    };
    spawned.on('exit', (code, sig) => {
      exitInfo = { code, sig };
      void sweep().then(() => {
        if (settled) return;
        closeTimer = setTimeout(() => {
          spawned.stdout!.destroy();
          spawned.stderr!.destroy();
          closed(exitInfo!.code, exitInfo!.sig);
        }, 2000);
      });
    });
    spawned.on('close', (code, sig) => closed(code, sig));
  });
}

export interface ExecOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  timeoutMs?: number;
  /** Fail when stdout grows beyond this (default 256 MiB). */
  maxBuffer?: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  stdout: string;
  /** stdout as bytes (binary output: object contents). */
  stdoutBytes: Buffer;
  stderr: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}

/** Run a short program to completion and collect its output (git and friends). Never throws for a non-zero exit. */
export function execCollect(argv: string[], opts: ExecOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], signal: opts.signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outSize = 0;
    const max = opts.maxBuffer ?? 256 * 1024 * 1024;
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      outSize += c.length;
      if (outSize > max) {
        child.kill('SIGKILL');
        return;
      }
      out.push(c);
    });
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => {
      /* ignore EPIPE */
    });
    child.stdin.end(opts.input ?? '');
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, sig) => {
      if (timer) clearTimeout(timer);
      const bytes = Buffer.concat(out);
      resolve({ stdout: bytes.toString('utf8'), stdoutBytes: bytes, stderr: Buffer.concat(err).toString('utf8'), exitCode: code, signal: sig });
    });
  });
}
