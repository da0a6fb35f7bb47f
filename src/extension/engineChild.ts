// The host's half of the engine process (setting `swarm.engineProcess`: "child", the default;
// docs/decisions.md "The engine in the extension host"): a run started from the extension runs in
// a forked node process (dist/engine-child.js, src/engineChild/serve.ts), so the git and agent
// processes it starts are not forked from the big extension host and its event loop stays free.
// ChildRun is the engine's SwarmRun over that process's IPC channel (src/shared/engineProtocol.ts):
// the session gets the child's events as it gets in-process ones. No vscode import.
//
// Lifetime: Stop and the child's own end go through the run. The child is detached (its own
// process group and session): a window reload or close (deactivate: detach() below) or an
// extension host that dies leaves its run going on, and the next window re-attaches over its
// socket (engineAttach.ts; the same ChildRun over a SocketLink). A child that cannot be re-attached
// stops its run when its channel closes (serve.ts). A child that dies (a crash, a kill -9) ends the
// run with an error; its tasks are recovered by the next start (src/swarm/recovery.ts).

import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DecisionRequest, DecisionResult, StartRunOptions, SwarmRun } from '../swarm/api';
import type { AgentUsage } from '../swarm/harness/types';
import type { RunSummary, SwarmEvent, WorkerInfo, WorktreeInfo } from '../swarm/types';
import { runIdNow } from '../swarm/util';
import { engineChildEnv, parseEngineMessage, type EngineStart, type EngineToHost, type HostToEngine, type WorkerOp } from '../shared/engineProtocol';

export interface EngineChildOptions {
  workspace: EngineStart['workspace'];
  run: StartRunOptions;
  /** Every event of the child's workspace, as ws.onEvent would give it. */
  onEvent(e: SwarmEvent): void;
  /** The child died before its run ended (message for the output channel and a notification). */
  onCrash(message: string): void;
  /** The script to fork; default: dist/engine-child.js beside this bundle (from source: src/engineChild/main.ts with tsx). */
  entry?: { path: string; execArgv: string[] };
  /** A run already going on in an engine process this window re-attached to (engineAttach.ts): no fork, no start. */
  attached?: { link: ChildProcess; runId: string };
  /** The run's workers as the child first sends them (an attached run: the state it is in). */
  onStarted?(workers: WorkerInfo[]): void;
  /** A process forkEngineChild started earlier and that got no message yet (a spare, engineSpare.ts): used instead of a fork now. */
  child?: ChildProcess;
}

export type EngineChildStarter = (options: EngineChildOptions) => SwarmRun;

/** The child's entry: the bundle beside this one, else (tests run the sources with tsx) the source. */
export function engineChildEntry(): { path: string; execArgv: string[] } {
  const bundled = join(__dirname, 'engine-child.js');
  if (existsSync(bundled)) return { path: bundled, execArgv: [] };
  return { path: join(__dirname, '..', 'engineChild', 'main.ts'), execArgv: ['--import', 'tsx'] };
}

export const startEngineChild: EngineChildStarter = (options) => new ChildRun(options);

/** Fork the engine process (it waits for its start message). */
export function forkEngineChild(entry = engineChildEntry()): ChildProcess {
  // The extension host of desktop VS Code is Electron: ELECTRON_RUN_AS_NODE makes its binary a
  // plain node, for the engine process only (engineProtocol.ts). code-server's host is node.
  const env = engineChildEnv(process.env, Boolean(process.versions.electron));
  // detached: its own process group and session, so that its run outlives this extension host
  // (docs/decisions.md "Re-attach after a window reload"); a spare with no run ends when its channel closes.
  return fork(entry.path, [], { execArgv: entry.execArgv, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env, serialization: 'json', detached: true });
}

/** Last bytes of the child's stderr kept for the crash message. */
const STDERR_TAIL = 4000;

export class ChildRun implements SwarmRun {
  readonly runId: string;
  readonly done: Promise<RunSummary>;
  readonly child: ChildProcess;
  private _paused = false;
  private _workers: WorkerInfo[] = [];
  private _usage: AgentUsage | undefined;
  private resolveDone!: (s: RunSummary) => void;
  private ended = false;
  private startedAt = new Date().toISOString();
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: boolean): void; reject(e: Error): void }>();
  private readonly worktreeRequests = new Map<number, { resolve(v: WorktreeInfo[]): void; reject(e: Error): void }>();
  private readonly decideRequests = new Map<number, { resolve(v: DecisionResult): void; reject(e: Error): void }>();
  private stderr = '';
  private stopReason: string | undefined;
  /** Left to its process (detach()): its end is no longer this window's. */
  detached = false;

  constructor(private readonly options: EngineChildOptions) {
    this.runId = options.attached?.runId ?? runIdNow(); // known here before the child starts; the child's run takes it
    this.done = new Promise((r) => (this.resolveDone = r));
    this.child = options.attached?.link ?? options.child ?? forkEngineChild(options.entry);
    this.child.stderr?.on('data', (c: Buffer) => {
      const text = c.toString('utf8');
      // The child's own warnings (serve.ts: a message it dropped) go to the output channel as they come.
      for (const line of `${this.stderr.slice(this.stderr.lastIndexOf('\n') + 1)}${text}`.split('\n').slice(0, -1))
        if (line.startsWith('engine-child: ') && !this.ended) this.options.onEvent({ type: 'log', level: 'warn', message: `Swarm: ${line.slice(0, 2000)}` });
      this.stderr = (this.stderr + text).slice(-STDERR_TAIL);
    });
    this.child.on('message', (raw) => this.receive(raw));
    this.child.on('error', (e) =>
      this.crashed(
        this.child.pid === undefined
          ? `the swarm process could not start: ${e.message}`
          : `the channel to the swarm process (pid ${this.child.pid}) failed: ${e.message}; the process is told to stop, its tasks are recovered by the next start.`,
      ),
    );
    const crashedIfOpen = (code: number | null, signal: NodeJS.Signals | null) => {
      if (!this.ended)
        this.crashed(
          `the swarm process (pid ${this.child.pid}) ended unexpectedly (${signal ? `killed by ${signal}` : `exit code ${code}`})${this.stderr.trim() ? `: ${this.stderr.trim().split('\n').slice(-5).join(' | ')}` : ''}. Its tasks are recovered by the next start.`,
        );
    };
    this.child.on('exit', (code, signal) => {
      // Messages the child wrote before it exited may still be in the channel: they are all
      // delivered before 'disconnect'; only then is an end without its summary a crash.
      if (this.child.connected) this.child.once('disconnect', () => crashedIfOpen(code, signal));
      else crashedIfOpen(code, signal);
    });
    const { waitForHumans, workers } = options.run;
    if (!options.attached) this.send({ t: 'start', start: { workspace: options.workspace, run: { runId: this.runId, waitForHumans, workers } } });
  }

  /**
   * Leave the run to its process (a window reload or close): the channel closes without a stop, and
   * the process goes on when its run can be re-attached (serve.ts), else it stops its run as before.
   * `done` never resolves here: the run's end is the next window's (or nobody's).
   */
  detach(): void {
    if (this.ended) return;
    this.detached = true;
    this.ended = true;
    for (const p of [...this.pending.values(), ...this.worktreeRequests.values(), ...this.decideRequests.values()])
      p.reject(new Error('the window left the run'));
    try {
      if (this.child.connected) this.child.disconnect();
    } catch {
      /* gone already */
    }
    this.child.stderr?.destroy();
    this.child.unref();
  }

  get pid(): number | undefined {
    return this.child.pid;
  }
  get paused(): boolean {
    return this._paused;
  }
  workers(): WorkerInfo[] {
    return this._workers;
  }
  usage(): AgentUsage {
    return this._usage ?? {};
  }
  pause(): void {
    this._paused = true;
    this.send({ t: 'pause' });
  }
  resume(): void {
    this._paused = false;
    this.send({ t: 'resume' });
  }
  stop(reason?: string): Promise<RunSummary> {
    this.stopReason ??= reason ?? 'stopped';
    if (!this.ended && !this.send({ t: 'stop', reason })) this.child.kill('SIGTERM');
    return this.done;
  }

  // The Workers view calls these synchronously; the child answers over the channel. The view
  // shows the worker's new state from its worker_state event, so the answer only logs a refusal.
  pauseWorker(workerId: string): boolean {
    return this.workerOp('pause', workerId);
  }
  resumeWorker(workerId: string): boolean {
    return this.workerOp('resume', workerId);
  }
  stopWorker(workerId: string, reason?: string): boolean {
    return this.workerOp('stop', workerId, reason);
  }
  /** The child's answer to the last worker request (tests). */
  lastWorkerReply: Promise<boolean> | undefined;

  /**
   * The Worktrees view's listing, made by the child: its git commands (status, merge-base, diff
   * per worktree) are then not started from the extension host (docs/decisions.md).
   */
  listWorktrees(): Promise<WorktreeInfo[]> {
    const id = this.nextId++;
    const reply = new Promise<WorktreeInfo[]>((resolve, reject) => this.worktreeRequests.set(id, { resolve, reject }));
    if (!this.send({ t: 'worktrees', id })) {
      this.worktreeRequests.delete(id);
      return Promise.reject(new Error('the swarm process is not running'));
    }
    return reply;
  }

  /** Retry a task in the child's workspace (the run there owns the task files while it runs). */
  retryTask(taskId: string): Promise<void> {
    const id = this.nextId++;
    const reply = new Promise<boolean>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    if (!this.send({ t: 'retry', id, taskId })) {
      this.pending.delete(id);
      return Promise.reject(new Error('the swarm process is not running'));
    }
    return reply.then(() => undefined);
  }

  /** A human decision, applied by the run in the child at once, with its result (not queued for it in a file). */
  decide(request: DecisionRequest): Promise<DecisionResult> {
    const id = this.nextId++;
    const reply = new Promise<DecisionResult>((resolve, reject) => this.decideRequests.set(id, { resolve, reject }));
    if (!this.send({ t: 'decide', id, request })) {
      this.decideRequests.delete(id);
      return Promise.reject(new Error('the swarm process is not running'));
    }
    return reply;
  }

  private workerOp(op: WorkerOp, workerId: string, reason?: string): boolean {
    const w = this._workers.find((x) => x.id === workerId);
    if (!w) throw new Error(`no worker ${workerId} in run ${this.runId}`);
    const id = this.nextId++;
    this.lastWorkerReply = new Promise<boolean>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.lastWorkerReply.catch((e: Error) => this.options.onEvent({ type: 'log', level: 'warn', message: `worker ${workerId}: ${e.message}` }));
    if (!this.send({ t: 'worker', id, op, workerId, reason })) {
      this.pending.delete(id);
      this.lastWorkerReply = Promise.resolve(false);
      return false;
    }
    // As the engine answers (workerControl.ts): false when there is nothing to do.
    if (op === 'pause') return !w.paused && w.state !== 'stopped';
    if (op === 'resume') return Boolean(w.paused);
    return w.state !== 'stopped';
  }

  private send(m: HostToEngine): boolean {
    if (this.ended || !this.child.connected) return false;
    try {
      this.child.send(m);
      return true;
    } catch {
      return false;
    }
  }

  private receive(raw: unknown): void {
    if (this.ended) return;
    const m: EngineToHost | undefined = parseEngineMessage(raw);
    if (!m) {
      this.options.onEvent({
        type: 'log',
        level: 'warn',
        message: `Swarm: dropped a message from the swarm process that is not the engine protocol's (${JSON.stringify(raw)?.slice(0, 120)})`,
      });
      return;
    }
    switch (m.t) {
      case 'started':
        this._workers = m.workers;
        this.options.onStarted?.(m.workers);
        return;
      case 'failed':
        this.end({ ...this.emptySummary(), reason: m.error });
        this.options.onCrash(`Swarm: the run could not start: ${m.error}`);
        return;
      case 'event':
        if (m.event.type === 'run_started') this._workers = m.event.workers;
        else if (m.event.type === 'worker_state') this.updateWorker(m.event.worker);
        else if (m.event.type === 'run_paused') this._paused = true;
        else if (m.event.type === 'run_resumed') this._paused = false;
        this.options.onEvent(m.event);
        return;
      case 'state':
        this._paused = m.paused;
        this._workers = m.workers;
        this._usage = m.usage;
        return;
      case 'worktrees':
        this.worktreeRequests.get(m.id)?.resolve(m.worktrees);
        this.worktreeRequests.delete(m.id);
        return;
      case 'decided':
        this.decideRequests.get(m.id)?.resolve(m.result);
        this.decideRequests.delete(m.id);
        return;
      case 'reply': {
        // A listing or a decision answered by a reply is one that failed.
        const failed = new Error(m.error ?? 'the swarm process gave no answer');
        for (const requests of [this.worktreeRequests, this.decideRequests]) {
          requests.get(m.id)?.reject(failed);
          requests.delete(m.id);
        }
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error !== undefined) p?.reject(new Error(m.error));
        else p?.resolve(m.value ?? false);
        return;
      }
      case 'done':
        this.end(m.summary);
        return;
    }
  }

  private updateWorker(w: WorkerInfo): void {
    const i = this._workers.findIndex((x) => x.id === w.id);
    this._workers = i >= 0 ? this._workers.map((x, j) => (j === i ? w : x)) : [...this._workers, w];
  }

  private crashed(message: string): void {
    if (this.ended) return;
    // 'error' can come from a child still alive (a send that failed): once its run is ended here,
    // nothing could stop it any more. SIGTERM stops its run as Stop does (main.ts).
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    this.options.onEvent({ type: 'log', level: 'error', message: `Swarm: ${message}` });
    this.end({ ...this.emptySummary(), reason: message });
    this.options.onCrash(`Swarm: ${message}`);
  }

  private end(summary: RunSummary): void {
    if (this.ended) return;
    this.ended = true;
    for (const p of [...this.pending.values(), ...this.worktreeRequests.values(), ...this.decideRequests.values()]) p.reject(new Error('the run ended'));
    this.pending.clear();
    this.worktreeRequests.clear();
    this.decideRequests.clear();
    this._workers = [];
    this.resolveDone(summary);
  }

  private emptySummary(): RunSummary {
    return {
      runId: this.runId,
      startedAt: this.startedAt,
      finishedAt: new Date().toISOString(),
      reason: this.stopReason,
      workers: [],
      merged: [],
      waitingForHuman: [],
      blocked: [],
      failed: [],
    };
  }
}
