// Commands of the live views (issue 16): the live agent output of a task or a worker in a
// terminal, and the Workers view. Kept apart from commands.ts: registered here, on their own.

import * as vscode from 'vscode';
import { Commands, Views } from './constants';
import { LiveOutputTerminal, LiveTurns, type LiveTarget } from './liveOutput';
import type { SwarmSession } from './session';
import type { SessionRegistry } from './sessions';
import { TaskNode } from './tasksTree';
import { isTaskRef } from './treeNode';
import { WorkerNode, WorkersTreeProvider } from './workersTree';
import { STATUS } from '../swarm/status';
import { TimelinePanel } from './timelinePanel';
import { MergeQueueTreeProvider } from './mergeQueueTree';

/** The commands registered here (commands.ts leaves them out of its own table). */
export const LIVE_COMMANDS = [
  Commands.showLiveOutput,
  Commands.showWorkerOutput,
  Commands.showTimeline,
  Commands.pauseWorker,
  Commands.resumeWorker,
  Commands.stopWorker,
] as const;
export type LiveCommandId = (typeof LIVE_COMMANDS)[number];

export class LiveViews implements vscode.Disposable {
  readonly turns = new LiveTurns();
  readonly workers: WorkersTreeProvider;
  readonly workersView: vscode.TreeView<unknown>;
  readonly mergeQueue: MergeQueueTreeProvider;
  private readonly terminals = new Map<string, vscode.Terminal>();
  private readonly disposables: vscode.Disposable[] = [];
  /** The run timeline panel (timelinePanel.ts), made on first use. */
  private timeline: TimelinePanel | undefined;

  constructor(
    private readonly registry: SessionRegistry,
    private readonly extensionUri?: vscode.Uri,
  ) {
    const tick = new vscode.EventEmitter<void>(); // time in state moves on: a redraw now and then
    this.workers = new WorkersTreeProvider(registry, this.turns, tick);
    this.workersView = vscode.window.createTreeView(Views.workers, { treeDataProvider: this.workers });
    this.mergeQueue = new MergeQueueTreeProvider(registry); // the Merge queue view (mergeQueueTree.ts)
    this.disposables.push(this.mergeQueue, vscode.window.createTreeView(Views.mergeQueue, { treeDataProvider: this.mergeQueue }));
    this.disposables.push(
      this.workers,
      this.workersView,
      tick,
      registry.onEvent(({ session, event }) => this.turns.observe(session.root, event)),
      vscode.window.onDidCloseTerminal((t) => {
        for (const [k, v] of this.terminals) if (v === t) this.terminals.delete(k);
      }),
      vscode.commands.registerCommand(Commands.showLiveOutput, (arg?: unknown) => this.guard(() => this.showTask(arg))),
      vscode.commands.registerCommand(Commands.showWorkerOutput, (arg?: unknown) => this.guard(() => this.showWorker(arg))),
      vscode.commands.registerCommand(Commands.showTimeline, (arg?: unknown) => this.guard(() => this.showTimeline(arg))),
      { dispose: () => this.timeline?.dispose() },
      vscode.commands.registerCommand(Commands.pauseWorker, (arg?: unknown) => this.guard(() => this.control(arg, 'pause'))),
      vscode.commands.registerCommand(Commands.resumeWorker, (arg?: unknown) => this.guard(() => this.control(arg, 'resume'))),
      vscode.commands.registerCommand(Commands.stopWorker, (arg?: unknown) => this.guard(() => this.control(arg, 'stop'))),
    );
    // Time in state: the Workers view redraws every few seconds while a swarm runs.
    const timer = setInterval(() => {
      if (registry.sessions.some((s) => s.activeRun)) tick.fire();
    }, 5000);
    this.disposables.push({ dispose: () => clearInterval(timer) });
  }

  private async guard(f: () => Promise<unknown>): Promise<unknown> {
    try {
      return await f();
    } catch (e) {
      void vscode.window.showErrorMessage(`Swarm: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** The live output of a task: its current turn (worker or reviewer) and the ones after; or its last turn, read-only. */
  async showTask(arg?: unknown): Promise<vscode.Terminal | undefined> {
    let session: SwarmSession | undefined;
    let taskId: string | undefined;
    if (arg instanceof TaskNode) {
      session = arg.session;
      taskId = arg.task.id;
    } else if (isTaskRef(arg)) {
      session = this.registry.byRepoRoot(arg.root);
      taskId = arg.taskId;
    } else if (typeof arg === 'string') {
      session = this.registry.forTask(arg);
      taskId = arg;
    } else {
      const items = this.registry.sessions.flatMap((s) =>
        [...s.snapshot.tasks.current, ...s.snapshot.tasks.complete.slice(0, 50)].map((t) => ({
          label: t.title || t.id,
          description: `${t.id} · ${t.status}`,
          session: s,
          taskId: t.id,
          live: STATUS[t.status]?.inFlight ?? false,
        })),
      );
      items.sort((a, b) => Number(b.live) - Number(a.live));
      const pick = items.length === 1 ? items[0] : await vscode.window.showQuickPick(items, { placeHolder: 'Show the agent output of which task?' });
      if (!pick) return undefined;
      session = pick.session;
      taskId = pick.taskId;
    }
    if (!session || !taskId) throw new Error('no such task in the open repositories');
    const turn = this.turns.task(session.root, taskId);
    const fallbackLog = turn ? undefined : await (await session.requireWorkspace()).agentLog(taskId);
    return this.open(`task:${session.root}:${taskId}`, `Swarm: ${taskId}`, {
      root: session.root,
      taskId,
      turn,
      fallbackLog,
      onEvent: onEventOf(this.registry, session.root),
    });
  }

  /** The live output of a worker: its current turn and the ones after. */
  async showWorker(arg?: unknown): Promise<vscode.Terminal | undefined> {
    let root: string | undefined;
    let workerId: string | undefined;
    if (arg instanceof WorkerNode) {
      root = arg.session.root;
      workerId = arg.worker.id;
    } else if (
      arg &&
      typeof arg === 'object' &&
      typeof (arg as { workerId?: unknown }).workerId === 'string' &&
      typeof (arg as { root?: unknown }).root === 'string'
    )
      ({ root, workerId } = arg as { root: string; workerId: string });
    else {
      const items = this.registry.sessions.flatMap((s) =>
        s.workers.map((w) => ({ label: w.id, description: `${w.role} · ${w.state}${w.taskId ? ` · ${w.taskId}` : ''}`, root: s.root, workerId: w.id })),
      );
      const pick = items.length === 1 ? items[0] : await vscode.window.showQuickPick(items, { placeHolder: 'Show the agent output of which worker?' });
      if (!pick) return undefined;
      ({ root, workerId } = pick);
    }
    if (!root || !workerId) return undefined;
    const session = this.registry.byRepoRoot(root);
    const turn = this.turns.worker(root, workerId);
    const current = session?.workers.find((w) => w.id === workerId)?.taskId;
    const fallbackLog = turn || !current || !session ? undefined : await (await session.requireWorkspace()).agentLog(current);
    return this.open(`worker:${root}:${workerId}`, `Swarm: ${workerId}`, { root, workerId, turn, fallbackLog, onEvent: onEventOf(this.registry, root) });
  }

  /**
   * Pause, resume or stop one worker of this window's run (src/swarm/workerControl.ts): the clicked
   * Workers view item, a { root, workerId }, or a pick among the workers it applies to.
   */
  async control(arg: unknown, action: 'pause' | 'resume' | 'stop'): Promise<boolean> {
    let target = workerArg(arg);
    if (!target) {
      const items = this.registry.sessions.flatMap((s) =>
        s.workers
          .filter((w) => w.state !== 'stopped' && (action === 'resume' ? w.paused : action === 'pause' ? !w.paused : true))
          .map((w) => ({ label: w.id, description: `${w.state}${w.taskId ? ` · ${w.taskId}` : ''}`, root: s.root, workerId: w.id })),
      );
      if (!items.length) {
        void vscode.window.showInformationMessage(`Swarm: no worker to ${action} right now.`);
        return false;
      }
      target =
        items.length === 1 ? items[0] : await vscode.window.showQuickPick(items, { placeHolder: `${action[0].toUpperCase()}${action.slice(1)} which worker?` });
      if (!target) return false;
    }
    const session = this.registry.byRepoRoot(target.root);
    const run = session?.activeRun;
    if (!run?.pauseWorker || !run.resumeWorker || !run.stopWorker) throw new Error('only a swarm started in this window can pause or stop its workers');
    if (action === 'stop') {
      const w = session!.workers.find((x) => x.id === target!.workerId);
      const ok = await vscode.window.showWarningMessage(
        `Stop worker ${target.workerId}?`,
        {
          modal: true,
          detail: `Its agent is stopped now${w?.taskId ? `; ${w.taskId} is interrupted, keeps its work and is resumed by another worker or the next run` : ''}. The worker takes no more tasks in this run.`,
        },
        'Stop worker',
      );
      if (ok !== 'Stop worker') return false;
      return run.stopWorker(target.workerId);
    }
    return action === 'pause' ? run.pauseWorker(target.workerId) : run.resumeWorker(target.workerId);
  }

  /** The run timeline of a repository (the clicked one, the only one, or a pick): its current run, else its latest. */
  async showTimeline(arg?: unknown): Promise<TimelinePanel | undefined> {
    const root =
      arg && typeof arg === 'object' && typeof (arg as { root?: unknown }).root === 'string'
        ? (arg as { root: string }).root
        : arg instanceof WorkerNode
          ? arg.session.root
          : undefined;
    let session = root ? this.registry.byRepoRoot(root) : undefined;
    if (!session) {
      const all = this.registry.sessions;
      const pick =
        all.length <= 1
          ? all[0]
          : await vscode.window
              .showQuickPick(
                all.map((s) => ({ label: s.name, description: s.root, s })),
                { placeHolder: 'Show the run timeline of which repository?' },
              )
              .then((p) => p?.s);
      session = pick;
    }
    if (!session) throw new Error('no repository with a swarm is open');
    if (!this.extensionUri) throw new Error("the timeline panel needs the extension's folder");
    this.timeline ??= new TimelinePanel(this.extensionUri, this.registry);
    await this.timeline.show(session);
    return this.timeline;
  }

  private open(key: string, name: string, target: LiveTarget): vscode.Terminal {
    const existing = this.terminals.get(key);
    if (existing) {
      existing.show();
      return existing;
    }
    const terminal = vscode.window.createTerminal({ name, pty: new LiveOutputTerminal(target), iconPath: new vscode.ThemeIcon('pulse') });
    this.terminals.set(key, terminal);
    terminal.show();
    return terminal;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** A worker named by a command's argument: a Workers view item or a { root, workerId }. */
function workerArg(arg: unknown): { root: string; workerId: string } | undefined {
  if (arg instanceof WorkerNode) return { root: arg.session.root, workerId: arg.worker.id };
  if (arg && typeof arg === 'object' && typeof (arg as { workerId?: unknown }).workerId === 'string' && typeof (arg as { root?: unknown }).root === 'string')
    return arg as { root: string; workerId: string };
  return undefined;
}

/** The engine events of one repository. */
function onEventOf(registry: SessionRegistry, root: string): vscode.Event<import('../swarm/types').SwarmEvent> {
  return (listener, thisArgs, disposables) =>
    registry.onEvent(
      ({ session, event }) => {
        if (session.root === root) listener.call(thisArgs, event);
      },
      undefined,
      disposables,
    );
}
