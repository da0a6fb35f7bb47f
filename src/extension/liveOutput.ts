// Live agent output: a task's or a worker's agent turns in a VS Code terminal (a Pseudoterminal),
// rendered for people by src/shared/agentRender.ts and fed from the turn's log file as it grows
// (read in chunks from where it was: bounded memory, whatever the agent prints). The terminal
// follows the task (or worker) from turn to turn: each agent_started event switches it to the new
// log. A finished turn opens the same way and simply gets no more output. Nothing typed into it
// reaches anything: it is read-only.

import * as vscode from 'vscode';
import { promises as fs } from 'node:fs';
import { basename } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { AgentLogRenderer } from '../shared/agentRender';
import type { SwarmEvent } from '../swarm/types';
import { terminalSafe } from '../swarm/text';
import { sumUsage } from '../swarm/cost';
import type { AgentUsage } from '../swarm/harness/types';

/** At most this much of a log's end is shown when a terminal opens on it (older output: the file). */
const BACKLOG_BYTES = 256 * 1024;
const CHUNK_BYTES = 64 * 1024;

/** Where the turns of tasks and workers are logged, learnt from the engine's events. */
export interface LiveTurn {
  logFile: string;
  taskId?: string;
  workerId: string;
  role: string;
  round: number;
  running: boolean;
}

export class LiveTurns {
  private readonly byTask = new Map<string, LiveTurn>();
  private readonly byWorker = new Map<string, LiveTurn>();
  private readonly usage = new Map<string, AgentUsage>();

  observe(root: string, e: SwarmEvent): void {
    if (e.type === 'agent_started') {
      const t: LiveTurn = { logFile: e.logFile, taskId: e.taskId, workerId: e.workerId, role: e.role, round: e.round, running: true };
      if (e.taskId) this.byTask.set(`${root}\0${e.taskId}`, t);
      this.byWorker.set(`${root}\0${e.workerId}`, t);
    } else if (e.type === 'agent_finished') {
      if (e.usage) this.usage.set(`${root}\0${e.workerId}`, sumUsage(this.usage.get(`${root}\0${e.workerId}`), e.usage));
      for (const t of [e.taskId ? this.byTask.get(`${root}\0${e.taskId}`) : undefined, this.byWorker.get(`${root}\0${e.workerId}`)])
        if (t && t.workerId === e.workerId) t.running = false;
    }
  }

  task(root: string, taskId: string): LiveTurn | undefined {
    return this.byTask.get(`${root}\0${taskId}`);
  }

  /** A worker's cost in this window's runs (its reviewer turns included). */
  workerUsage(root: string, workerId: string): AgentUsage | undefined {
    return this.usage.get(`${root}\0${workerId}`);
  }

  worker(root: string, workerId: string): LiveTurn | undefined {
    return this.byWorker.get(`${root}\0${workerId}`);
  }
}

/** Follows one file from an offset: new bytes are read in chunks and handed on as text. */
export class LogFollower {
  private offset = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private reading = false;
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    readonly file: string,
    private readonly onText: (text: string, skipped: number) => void,
    private readonly pollMs = 200,
  ) {}

  /** Start at the last `backlog` bytes; follow when `follow`, else read to the end once. */
  async start(follow: boolean, backlog = BACKLOG_BYTES): Promise<void> {
    const size = (await fs.stat(this.file).catch(() => undefined))?.size ?? 0;
    this.offset = Math.max(0, size - backlog);
    if (this.offset > 0) this.onText('', this.offset);
    await this.readMore();
    if (follow) this.timer = setInterval(() => void this.readMore(), this.pollMs);
  }

  /** Read what was written since; resolves when caught up. */
  async readMore(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    let fh: fs.FileHandle | undefined;
    try {
      fh = await fs.open(this.file, 'r');
      const size = (await fh.stat()).size;
      if (size < this.offset) this.offset = 0; // the file was replaced
      const buf = Buffer.alloc(CHUNK_BYTES);
      while (this.offset < size) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK_BYTES, size - this.offset), this.offset);
        if (bytesRead <= 0) break;
        this.offset += bytesRead;
        this.onText(this.decoder.write(buf.subarray(0, bytesRead)), 0);
      }
    } catch {
      /* not written yet, or gone: the next poll looks again */
    } finally {
      await fh?.close().catch(() => undefined);
      this.reading = false;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

export interface LiveTarget {
  root: string;
  /** Follow this task's turns (worker and reviewer), or this worker's. */
  taskId?: string;
  workerId?: string;
  /** The turn to show first. */
  turn?: LiveTurn;
  /** The log of the task's latest turn when no event told us (a run in another window). */
  fallbackLog?: string;
  onEvent: vscode.Event<SwarmEvent>;
}

/** The terminal: a Pseudoterminal fed by a LogFollower through the renderer. */
export class LiveOutputTerminal implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  readonly onDidWrite = this.writeEmitter.event;
  private follower: LogFollower | undefined;
  private renderer = new AgentLogRenderer();
  private subscription: vscode.Disposable | undefined;
  private closed = false;

  constructor(private readonly target: LiveTarget) {}

  open(): void {
    const t = this.target;
    this.subscription = t.onEvent((e) => void this.onEvent(e));
    const who = t.taskId ? `task ${t.taskId}` : `worker ${t.workerId}`;
    this.write(this.renderer.note(`Swarm: agent output of ${terminalSafe(who)} (read-only)`));
    if (t.turn) void this.follow(t.turn.logFile, t.turn.running, describeTurn(t.turn));
    else if (t.fallbackLog) void this.follow(t.fallbackLog, false, `latest turn: ${basename(t.fallbackLog)}`);
    else this.write(this.renderer.note('no agent turn yet; the next one shows here'));
  }

  close(): void {
    this.closed = true;
    this.follower?.stop();
    this.subscription?.dispose();
    this.writeEmitter.dispose();
  }

  handleInput(): void {
    /* read-only */
  }

  private write(text: string): void {
    if (!this.closed && text) this.writeEmitter.fire(text);
  }

  private matches(e: { taskId?: string; workerId: string }): boolean {
    return this.target.taskId ? e.taskId === this.target.taskId : e.workerId === this.target.workerId;
  }

  private async onEvent(e: SwarmEvent): Promise<void> {
    if (e.type === 'agent_started' && this.matches(e)) {
      await this.follow(
        e.logFile,
        true,
        describeTurn({ logFile: e.logFile, taskId: e.taskId, workerId: e.workerId, role: e.role, round: e.round, running: true }),
      );
    } else if (e.type === 'agent_finished' && this.matches(e) && this.follower) {
      await this.follower.readMore(); // what it wrote last
      this.follower.stop();
      this.write(this.renderer.end());
      this.write(
        this.renderer.note(`— turn ended${e.failure ? ` (${e.failureKind ?? 'failed'}: ${e.failure})` : ''} after ${Math.round(e.durationMs / 1000)} s —`),
      );
    }
  }

  private async follow(file: string, live: boolean, title: string): Promise<void> {
    if (this.follower) {
      this.follower.stop();
      this.write(this.renderer.end());
    }
    this.renderer = new AgentLogRenderer();
    this.write(this.renderer.note(`— ${title}${live ? ' (live)' : ''} —`));
    const follower = new LogFollower(file, (text, skipped) => {
      if (skipped) this.write(this.renderer.note(`… ${Math.round(skipped / 1024)} KiB earlier output not shown (the whole log: ${file})`));
      if (text) this.write(this.renderer.push(text));
    });
    this.follower = follower;
    await follower.start(live);
    if (!live && this.follower === follower) this.write(this.renderer.end());
  }
}

function describeTurn(t: LiveTurn): string {
  return `${t.role} ${t.workerId}${t.taskId ? ` on ${t.taskId}` : ''}, round ${t.round}`;
}
