// One SwarmSession per git repository open in the window (multi-root: two folders of the same
// repository share one; one swarm per repository). A session owns the engine's Workspace for
// that repository, a snapshot of what the views show, the file watcher on the task folders and
// the operation runner. It holds no swarm logic: it reads the engine and forwards its events.

import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { DecisionRequest, DecisionResult, NeedsYouItem, OpenWorkspaceOptions, StartRunOptions, SwarmRun, TaskList, Workspace } from '../swarm/api';
import type { SwarmEvent, TaskRuntimeState, WorkerInfo, WorktreeInfo } from '../swarm/types';
import { Debouncer, Throttle, type Clock } from './debounce';
import { OperationRunner } from './operationRunner';
import type { SwarmSettings } from './settings';
import type { EngineChildStarter } from './engineChild';

/** The two engine entry points the extension calls; tests pass fakes. */
export interface SwarmEngine {
  openWorkspace(options: OpenWorkspaceOptions): Promise<Workspace>;
  initRepo(root: string, options?: { agentPath?: string; cliPaths?: Record<string, string> }): Promise<unknown>;
}

export type SessionState = 'loading' | 'noGit' | 'noConfig' | 'configError' | 'ready';

export interface SessionSnapshot {
  tasks: TaskList;
  /** Runtime state of the tasks in `current` (review rounds, worker). */
  states: ReadonlyMap<string, TaskRuntimeState>;
  needsYou: NeedsYouItem[];
  worktrees: WorktreeInfo[];
}

export interface SessionDeps {
  engine: SwarmEngine;
  settings(scope: vscode.Uri): SwarmSettings;
  /** PATH for agent processes (the login shell's when started from a GUI); resolved once. */
  agentPath(): Promise<string | undefined>;
  log: vscode.LogOutputChannel;
  /** Runs in a child process (setting swarm.engineProcess "child", engineChild.ts); absent: in this process. */
  engineChild?: EngineChildStarter;
  /** Debounce timings; the tests shorten them. */
  refreshDelayMs?: number;
  refreshMaxWaitMs?: number;
  /** The views are told of changes at most once per this many ms (default 100). */
  changeFrameMs?: number;
  clock?: Clock;
}

const EMPTY_TASKS: TaskList = { pending: [], current: [], complete: [], quarantined: [] };

/** The repository root containing `folder` (a `.git` dir or file up the tree), or undefined. */
export function findRepoRoot(folder: string): string | undefined {
  let dir = folder;
  for (;;) {
    if (existsSync(join(dir, '.git'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export class SwarmSession implements vscode.Disposable {
  readonly ops = new OperationRunner();
  private ws: Workspace | undefined;
  private opening: Promise<Workspace | undefined> | undefined;
  private _state: SessionState = 'loading';
  private _error: string | undefined;
  private _workers: WorkerInfo[] = [];
  private _snapshot: SessionSnapshot = { tasks: EMPTY_TASKS, states: new Map(), needsYou: [], worktrees: [] };
  private _loaded = false;
  private run: SwarmRun | undefined;
  /** The options the workspace was opened with: a run in a child process opens its own with them. */
  private openOptions: OpenWorkspaceOptions | undefined;
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly eventEmitter = new vscode.EventEmitter<SwarmEvent>();
  private readonly disposables: vscode.Disposable[] = [];
  private workspaceDisposables: vscode.Disposable[] = [];
  private readonly tasksRefresh: Debouncer;
  private readonly worktreesRefresh: Debouncer;
  /** The change notifications, at most one per frame (debounce.ts Throttle; issue 17 item 3). */
  private readonly changes: Throttle;
  private disposed = false;
  /** A config file the user picked at start when swarm.json and oompa.json both exist. */
  private configOverride: string | undefined;
  /** How many times the task list was read from the engine (the tests count refreshes). */
  taskLoads = 0;

  /** Something the views show changed (snapshot, state, workers, run). */
  readonly onDidChange = this.changeEmitter.event;
  /** Every engine event of this repository, as emitted. */
  readonly onEvent = this.eventEmitter.event;

  constructor(
    /** The repository root (or the folder itself when it is not in a git repository). */
    readonly root: string,
    readonly folder: vscode.WorkspaceFolder,
    readonly isGitRepo: boolean,
    private readonly deps: SessionDeps,
  ) {
    const onError = (e: unknown) => deps.log.error(`Swarm: refresh of ${this.name} failed: ${errorMessage(e)}`);
    this.tasksRefresh = new Debouncer(() => this.loadTasks(), {
      delayMs: deps.refreshDelayMs ?? 150,
      maxWaitMs: deps.refreshMaxWaitMs ?? 1000,
      clock: deps.clock,
      onError,
    });
    this.worktreesRefresh = new Debouncer(() => this.loadWorktrees(), {
      delayMs: (deps.refreshDelayMs ?? 150) * 3,
      maxWaitMs: (deps.refreshMaxWaitMs ?? 1000) * 3,
      clock: deps.clock,
      onError,
    });
    // A run's events come tens a second, each a change: every one re-rendered every view's rows,
    // the status bar and the context keys in the extension host (the smooth bench's profile,
    // bench/README.md). Coalesced to one per frame; the first after a quiet frame shows at once.
    this.changes = new Throttle(() => this.changeEmitter.fire(), { frameMs: deps.changeFrameMs ?? 100, clock: deps.clock });
    this.disposables.push(this.changeEmitter, this.eventEmitter, {
      dispose: () => {
        this.changes.dispose();
        this.tasksRefresh.dispose();
        this.worktreesRefresh.dispose();
      },
    });
    if (!isGitRepo) this._state = 'noGit';
  }

  get name(): string {
    return this.folder.name || basename(this.root);
  }
  get state(): SessionState {
    return this._state;
  }
  /** Why the workspace could not be opened (config errors, one per line). */
  get error(): string | undefined {
    return this._error;
  }
  get workspace(): Workspace | undefined {
    return this.ws;
  }
  get activeRun(): SwarmRun | undefined {
    return this.run ?? this.ws?.activeRun;
  }
  get workers(): WorkerInfo[] {
    const run = this.activeRun;
    return run ? this._workers : [];
  }
  get snapshot(): SessionSnapshot {
    return this._snapshot;
  }
  /** True once the first task list has been read. */
  get loaded(): boolean {
    return this._loaded;
  }
  get hasAnyTask(): boolean {
    const t = this._snapshot.tasks;
    return t.pending.length + t.current.length + t.complete.length + t.quarantined.length > 0;
  }
  /** The config file the engine read, or where a new one goes. */
  get configFile(): string {
    const file = this.ws?.config.file;
    if (file) return file;
    const configured = this.deps.settings(this.folder.uri).configPath;
    if (configured) return isAbsolute(configured) ? configured : join(this.root, configured);
    return join(this.root, 'swarm.json');
  }

  /** Open the engine's workspace once; errors become the session's state, never a rejection. */
  open(): Promise<Workspace | undefined> {
    if (this.disposed || !this.isGitRepo) return Promise.resolve(undefined);
    // Opening runs git, and a repository's own git config (core.fsmonitor, hooks) can run code.
    if (!vscode.workspace.isTrusted) return Promise.resolve(undefined);
    this.opening ??= this.doOpen();
    return this.opening;
  }

  /** Re-open (config or settings changed). A running swarm keeps its workspace until it ends. */
  async reopen(): Promise<void> {
    if (this.activeRun) {
      this.deps.log.info(`Swarm: settings or config of ${this.name} changed; they apply at the next start.`);
      return;
    }
    this.closeWorkspace();
    this.opening = undefined;
    this._state = this.isGitRepo ? 'loading' : 'noGit';
    this.changed();
    await this.open();
  }

  /** Use this config file from now on (the user picked it); re-opens the workspace. */
  async useConfigFile(path: string): Promise<void> {
    this.configOverride = path;
    await this.reopen();
  }

  /** Tell the views something changed that no engine event reports (pause/resume of this window's run). */
  touch(): void {
    this.changed({ now: true });
  }

  /** The PATH agents get (resolved once per window). */
  agentPath(): Promise<string | undefined> {
    return this.deps.agentPath();
  }

  /** The workspace, or an Error whose message says why not (for the command handlers). */
  async requireWorkspace(): Promise<Workspace> {
    if (!this.isGitRepo) throw new Error(`${this.name} is not in a git repository; the swarm needs one (run "git init" first).`);
    if (!vscode.workspace.isTrusted) throw new Error('this workspace is not trusted; the swarm runs git and agents only in a trusted workspace.');
    const ws = await this.open();
    if (!ws) throw new Error(this._error ?? `The swarm of ${this.name} could not be opened.`);
    return ws;
  }

  /**
   * A human decision. A run in the engine process (engineChild.ts) applies it there and answers
   * how (merged, conflict, waiting for local changes…), as a run in this process does; the host's
   * workspace would only queue it for that run in a decision file. A run that ends before it
   * answers (its last task merged, a stop) leaves the decision to this workspace: applied here, or
   * refused when the run already did it (decisions are tied to the sha shown).
   */
  async decide(ws: Workspace, request: DecisionRequest): Promise<DecisionResult> {
    const run = this.run as { decide?(r: DecisionRequest): Promise<DecisionResult> } | undefined;
    if (!run?.decide) return ws.decide(request);
    try {
      return await run.decide(request);
    } catch {
      return ws.decide(request);
    }
  }

  /**
   * The workspace with its onEvent fed by this session: a subscriber (the review panel) then also
   * gets the events of a run in the engine process (engineChild.ts), which the host's workspace never
   * emits, and its decide goes to that run (decide above).
   */
  withRunEvents(ws: Workspace): Workspace {
    const onEvent = (listener: (e: SwarmEvent) => void) => {
      const sub = this.onEvent(listener);
      return () => sub.dispose();
    };
    return new Proxy(ws, {
      get: (target, prop) => {
        if (prop === 'onEvent') return onEvent;
        if (prop === 'decide') return (request: DecisionRequest) => this.decide(target, request);
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }

  startRun(options?: StartRunOptions): SwarmRun {
    if (!this.ws) throw new Error('workspace not open');
    const opened = this.openOptions;
    const child = this.deps.engineChild && this.deps.settings(this.folder.uri).engineProcess === 'child' ? this.deps.engineChild : undefined;
    const run =
      child && opened
        ? child({
            workspace: { ...opened },
            run: options ?? {},
            onEvent: (e) => this.handleEvent(e),
            onCrash: (message) => void vscode.window.showErrorMessage(message),
          })
        : this.ws.startRun(options);
    return this.track(run);
  }

  /** A run going on in an engine process this window re-attached to (engineReattach.ts): shown and controlled as one started here. */
  adoptRun(make: (hooks: { onEvent(e: SwarmEvent): void; onCrash(message: string): void; onStarted(workers: WorkerInfo[]): void }) => SwarmRun): SwarmRun {
    return this.track(
      make({
        onEvent: (e) => this.handleEvent(e),
        onCrash: (message) => void vscode.window.showErrorMessage(message),
        // Its workers as they are now (the run_started event was the previous window's).
        onStarted: (workers) => {
          this._workers = [...workers];
          this.changed();
        },
      }),
    );
  }

  private track(run: SwarmRun): SwarmRun {
    this.run = run;
    this._workers = run.workers();
    this.changed({ now: true });
    void run.done.then(
      () => this.runEnded(run),
      () => this.runEnded(run),
    );
    return run;
  }

  /** Schedule a debounced re-read of the tasks (and the worktrees when asked). */
  scheduleRefresh(what: { worktrees?: boolean } = {}): void {
    if (!this.ws) return;
    this.tasksRefresh.trigger();
    if (what.worktrees) this.worktreesRefresh.trigger();
  }

  /** Re-read everything now (Refresh command, tests). */
  async refreshNow(): Promise<void> {
    if (!this.ws) {
      await this.open();
      return;
    }
    this.tasksRefresh.trigger();
    this.worktreesRefresh.trigger();
    await Promise.all([this.tasksRefresh.flush(), this.worktreesRefresh.flush()]);
  }

  /** Resolves when no refresh is scheduled or running (tests). */
  async settled(): Promise<void> {
    await this.opening;
    while (this.tasksRefresh.pending || this.worktreesRefresh.pending) await Promise.all([this.tasksRefresh.flush(), this.worktreesRefresh.flush()]);
    this.changes.flush();
  }

  dispose(): void {
    this.disposed = true;
    this.closeWorkspace();
    for (const d of this.disposables) d.dispose();
  }

  private async doOpen(): Promise<Workspace | undefined> {
    const settings = this.deps.settings(this.folder.uri);
    const configPath = this.configOverride ?? settings.configPath;
    try {
      const agentPath = await this.deps.agentPath();
      const options: OpenWorkspaceOptions = {
        repo: this.folder.uri.fsPath,
        configPath,
        cliPaths: settings.cliPaths,
        agentPath,
        reviewMode: settings.reviewMode,
        maxConcurrentWorkers: settings.maxConcurrentWorkers,
      };
      const ws = await this.deps.engine.openWorkspace(options);
      this.openOptions = options;
      if (this.disposed) {
        ws.dispose();
        return undefined;
      }
      this.attach(ws);
      this._error = undefined;
      this._state = ws.config.file ? 'ready' : 'noConfig';
      this.changed();
      this.scheduleRefresh({ worktrees: true });
      return ws;
    } catch (e) {
      this._error = errorMessage(e);
      this._state = isNotGitError(e) ? 'noGit' : 'configError';
      this.deps.log.error(`Swarm: could not open ${this.name}: ${this._error}`);
      this.watchConfig();
      this.changed();
      // Allow a later open (after the user fixed swarm.json) to try again.
      this.opening = undefined;
      return undefined;
    }
  }

  private attach(ws: Workspace): void {
    this.ws = ws;
    const unsubscribe = ws.onEvent((e) => this.handleEvent(e));
    this.workspaceDisposables.push({ dispose: unsubscribe }, { dispose: () => ws.dispose() });
    // Tasks moved or written by anyone (agents, the user, git) show up without a manual refresh.
    // Based at the repository root (which exists) rather than at the tasks folder (which may
    // not yet), so folders created later are watched too.
    const tasksGlob = `${ws.config.tasksDir.replace(/\\/g, '/').replace(/\/+$/, '')}/**`;
    const taskWatcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(ws.root), tasksGlob));
    const onTaskFile = () => this.tasksRefresh.trigger();
    this.workspaceDisposables.push(taskWatcher, taskWatcher.onDidCreate(onTaskFile), taskWatcher.onDidChange(onTaskFile), taskWatcher.onDidDelete(onTaskFile));
    this.watchConfig();
    if (ws.activeRun) {
      this.run = ws.activeRun;
      this._workers = ws.activeRun.workers();
    }
  }

  private watchConfig(): void {
    if (this.workspaceDisposables.some((d) => d instanceof ConfigWatcher)) return;
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(this.root), '{swarm.json,oompa.json}'));
    const debounced = new Debouncer(() => this.reopen(), { delayMs: 300, clock: this.deps.clock });
    const onConfig = () => debounced.trigger();
    this.workspaceDisposables.push(
      new ConfigWatcher([watcher, watcher.onDidCreate(onConfig), watcher.onDidChange(onConfig), watcher.onDidDelete(onConfig), debounced]),
    );
  }

  private closeWorkspace(): void {
    for (const d of this.workspaceDisposables) d.dispose();
    this.workspaceDisposables = [];
    this.ws = undefined;
  }

  private handleEvent(e: SwarmEvent): void {
    switch (e.type) {
      case 'run_started':
        this._workers = e.workers;
        this.changed();
        break;
      case 'worker_state': {
        const i = this._workers.findIndex((w) => w.id === e.worker.id);
        if (i >= 0) this._workers[i] = e.worker;
        else this._workers.push(e.worker);
        this.changed();
        break;
      }
      case 'run_paused':
      case 'run_resumed':
      case 'pool_paused':
      case 'pool_resumed':
      case 'worker_stopped':
        this.changed();
        break;
      case 'run_finished':
      case 'run_recovered':
        this.scheduleRefresh({ worktrees: true });
        this.changed();
        break;
      case 'worktree_created':
      case 'worktree_removed':
      case 'task_claimed':
      case 'task_merged':
      case 'agent_finished':
      case 'merge_conflict':
      case 'conflict_predicted':
        this.scheduleRefresh({ worktrees: true });
        break;
      case 'log':
      case 'agent_started':
        break;
      default:
        this.scheduleRefresh();
    }
    this.eventEmitter.fire(e);
  }

  private runEnded(run: SwarmRun): void {
    if (this.run === run) this.run = undefined;
    this._workers = [];
    this.scheduleRefresh({ worktrees: true });
    this.changed({ now: true });
  }

  private async loadTasks(): Promise<void> {
    const ws = this.ws;
    if (!ws) return;
    this.taskLoads++;
    const [tasks, needsYou] = await Promise.all([ws.listTasks(), ws.needsYou()]);
    const states = new Map<string, TaskRuntimeState>();
    await Promise.all(
      tasks.current.map(async (t) => {
        const s = await ws.taskState(t.id).catch(() => undefined);
        if (s) states.set(t.id, s);
      }),
    );
    if (ws !== this.ws) return;
    needsYou.sort((a, b) => b.since.localeCompare(a.since));
    this._snapshot = { ...this._snapshot, tasks, states, needsYou };
    this._loaded = true;
    this.changed();
  }

  private async loadWorktrees(): Promise<void> {
    const ws = this.ws;
    if (!ws) return;
    // A run in the engine process lists them there (engineChild.ts): no git started from the host.
    const inRun = (this.run as { listWorktrees?(): Promise<WorktreeInfo[]> } | undefined)?.listWorktrees;
    const worktrees = inRun ? await inRun.call(this.run).catch(() => ws.listWorktrees()) : await ws.listWorktrees();
    if (ws !== this.ws) return;
    this._snapshot = { ...this._snapshot, worktrees };
    this.changed();
  }

  /** Tell the views; `now`: a user's action (Start, Pause, Stop) or a run's end shows at once, not at its frame's end. */
  private changed(options: { now?: boolean } = {}): void {
    if (this.disposed) return;
    this.changes.trigger();
    if (options.now) this.changes.flush();
  }
}

class ConfigWatcher implements vscode.Disposable {
  constructor(private readonly parts: { dispose(): unknown }[]) {}
  dispose(): void {
    for (const p of this.parts) p.dispose();
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function isNotGitError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return code === 'not_a_repo' || code === 'NotAGitRepository';
}
