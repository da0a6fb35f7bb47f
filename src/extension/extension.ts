// Activation: wire the engine's sessions to the views, the commands, the status bar, the
// output channel and the notifications. Activation does no I/O beyond looking for `.git`
// folders; the engine's workspaces open right after, so activation stays in a few milliseconds
// (measured, logged, and exposed to the tests as `lastActivationMs`).

import * as vscode from 'vscode';
import { performance } from 'node:perf_hooks';
import { SwarmCommands } from './commands';
import { LiveViews } from './liveCommands';
import { registerSetupCommands } from './setupCommands';
import { Commands, CommandTitles, ContextKeys, OUTPUT_CHANNEL_NAME, Views, type FolderState } from './constants';
import { logEvent } from './eventLog';
import { REVISION_SCHEME, RevisionContentProvider } from './nativeDiff';
import { Notifier } from './notifications';
import { registerReviewPanels } from './reviewPanel';
import { reviewTabShowing, type ReviewHost } from './reviewHost';
import type { SwarmEngine, SwarmSession } from './session';
import { SessionRegistry } from './sessions';
import { affectsEngineSettings, readSettings } from './settings';
import { resolveLoginShellPath } from './shellPath';
import { reviewModeText, SwarmStatusBar } from './statusBar';
import { TasksTreeProvider } from './tasksTree';
import { TaskTabFollower } from './taskTabs';
import { ConfigDiagnostics } from './configDiagnostics';
import { WorktreeNode, WorktreesTreeProvider } from './worktreesTree';
import { traceView, type TreeNode } from './treeNode';
import type { SwarmEvent } from '../swarm/types';
import type { EngineChildStarter } from './engineChild';
import { EngineReattach } from './engineReattach';
import { EngineSpare } from './engineSpare';

export interface ActivationOptions {
  engine?: SwarmEngine;
  /** PATH resolution (tests pass a fixed one instead of spawning a login shell). */
  agentPath?: () => Promise<string | undefined>;
  /** The review panel; default: the webview panels of reviewPanel.ts (tests pass a fake). */
  reviewHost?: ReviewHost;
  refreshDelayMs?: number;
  refreshMaxWaitMs?: number;
  startTimeoutMs?: number;
  /** Runs in a child process (engineChild.ts); default: with the real engine yes, with a test's fake engine no. */
  engineChild?: EngineChildStarter | false;
  /** How long after the sessions opened (and after a run ended) the spare engine process is forked (engineSpare.ts; default 2 s). */
  spareDelayMs?: number;
}

/** The live extension (one per activation); tests reach the parts through it. */
export class SwarmExtension implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly registry: SessionRegistry;
  readonly tasks: TasksTreeProvider;
  readonly worktrees: WorktreesTreeProvider;
  readonly tasksView: vscode.TreeView<TreeNode>;
  readonly worktreesView: vscode.TreeView<TreeNode>;
  readonly statusBar: SwarmStatusBar;
  readonly notifier: Notifier;
  readonly tabs: TaskTabFollower;
  readonly commands: SwarmCommands;
  readonly live: LiveViews;
  /** Runs that outlive the window: re-attached at activation, left to their process at deactivation. */
  readonly reattach: EngineReattach;
  /** The spare engine process (engineSpare.ts); undefined with a test's engine. */
  readonly spare: EngineSpare | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private lastFolderState: FolderState | undefined;
  private closing = false;
  private resuming: Promise<void> | undefined;

  constructor(
    readonly context: vscode.ExtensionContext,
    options: ActivationOptions = {},
  ) {
    const engine: SwarmEngine = options.engine ?? lazyEngine();
    this.log = vscode.window.createOutputChannel(OUTPUT_CHANNEL_NAME, { log: true });
    this.disposables.push(this.log);

    let agentPath: Promise<string | undefined> | undefined;
    const resolveAgentPath =
      options.agentPath ??
      (() => {
        // Once per window: a login shell costs tens to hundreds of milliseconds.
        agentPath ??= resolveLoginShellPath().then((r) => {
          this.log.info(`Swarm: agent PATH: ${r.note}`);
          return r.path;
        });
        return agentPath;
      });
    // The engine process of the next Start, forked at a quiet moment (engineSpare.ts; killed on deactivate).
    const spareWanted = () =>
      !this.closing && this.registry.sessions.some((s) => s.isGitRepo && !s.activeRun && readSettings(s.folder.uri).engineProcess === 'child');
    this.spare = options.engineChild === undefined && !options.engine ? new EngineSpare({ delayMs: options.spareDelayMs, wanted: spareWanted }) : undefined;
    this.disposables.push({ dispose: () => this.spare?.dispose() });
    const engineChild = options.engineChild === false ? undefined : (options.engineChild ?? this.spare?.start);
    this.registry = new SessionRegistry({
      engine,
      engineChild,
      settings: readSettings,
      agentPath: resolveAgentPath,
      log: this.log,
      refreshDelayMs: options.refreshDelayMs,
      refreshMaxWaitMs: options.refreshMaxWaitMs,
    });
    this.disposables.push(this.registry);
    this.reattach = new EngineReattach(this.registry, this.log);
    this.disposables.push(this.reattach);

    this.tasks = new TasksTreeProvider(this.registry);
    this.worktrees = new WorktreesTreeProvider(this.registry);
    this.tasksView = vscode.window.createTreeView(Views.tasks, { treeDataProvider: this.tasks, showCollapseAll: true });
    this.worktreesView = vscode.window.createTreeView(Views.worktrees, { treeDataProvider: this.worktrees, showCollapseAll: true });
    this.disposables.push(this.tasks, this.worktrees, this.tasksView, this.worktreesView);

    this.statusBar = new SwarmStatusBar(this.registry, this.tasksView);
    this.tabs = new TaskTabFollower(this.registry);
    this.disposables.push(this.statusBar, this.tabs, new ConfigDiagnostics(this.registry));

    // The review panels register at activation (not lazily): VS Code restores open panels
    // after a reload only through a serializer registered for their view type.
    const review: ReviewHost =
      options.reviewHost ??
      registerReviewPanels(context, {
        getWorkspace: (root) => {
          if (!vscode.workspace.isTrusted) return undefined;
          const session = root ? (this.registry.byRepoRoot(root) ?? this.registry.forPath(root)) : this.registry.sessions.find((s) => s.isGitRepo);
          return session?.open().then((ws) => ws && session.withRunEvents(ws)); // a run in the engine process: its events too
        },
        log: { info: (m) => this.log.info(m), warn: (m) => this.log.warn(m), error: (m) => this.log.error(m) },
      });
    const onScreen = (root: string, taskId: string) =>
      review.isShowing?.(root, taskId) ?? reviewTabShowing(taskId, this.registry.byRepoRoot(root)?.snapshot.tasks.current.find((t) => t.id === taskId)?.title);
    this.notifier = new Notifier(this.registry, () => readSettings().notifications, onScreen);
    this.disposables.push(this.notifier);
    // A review opened by any route (the key, the tree, the toast, the panel's Next review) shows as a tab: the review toast closes.
    const onTabs = (vscode.window.tabGroups as { onDidChangeTabs?: vscode.Event<unknown> } | undefined)?.onDidChangeTabs;
    if (onTabs) this.disposables.push(onTabs(() => this.notifier.reviewOnScreen()));
    this.commands = new SwarmCommands({
      registry: this.registry,
      engine,
      log: this.log,
      reviewHost: () => review,
      revealWorktree: (session, path) => this.revealWorktree(session, path),
      startTimeoutMs: options.startTimeoutMs,
      nextReview: () => this.notifier.nextReview(),
      droppedTaskRows: () => this.tasks.forgottenRows(),
    });
    this.disposables.push(...this.commands.register());
    this.live = new LiveViews(this.registry, context.extensionUri); // live agent output and the Workers view (liveCommands.ts)
    this.disposables.push(this.live);
    this.disposables.push(...registerSetupCommands({ registry: this.registry, log: this.log, agentPath: resolveAgentPath }));
    if (options.reviewHost) this.disposables.push(options.reviewHost);

    this.disposables.push(vscode.workspace.registerTextDocumentContentProvider(REVISION_SCHEME, new RevisionContentProvider(this.registry)));
    this.disposables.push(this.registry.onEvent(({ session, event }) => logEvent(this.log, session.name, event)));
    this.disposables.push(this.registry.onEvent(({ session, event }) => this.recordRun(session, event)));
    this.disposables.push(this.registry.onDidChange(() => this.updateContext()));
    this.disposables.push(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.updateContext();
        void this.openSessions();
      }),
    );
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        for (const s of this.registry.sessions) if (affectsEngineSettings(e, s.folder.uri)) void s.reopen();
      }),
    );
    this.updateContext();
  }

  /**
   * Open the engine's workspaces (after activation returned). Not in an untrusted workspace:
   * opening runs git, and a repository's own config (core.fsmonitor, hooks) can run code.
   */
  async openSessions(): Promise<void> {
    if (!vscode.workspace.isTrusted) return;
    await this.registry.openAll();
    await this.reattach.attachAll();
    this.spare?.prepare();
    // Once per activation, however often the sessions are (re)opened.
    this.resuming ??= this.resumeInterruptedRuns();
    await this.resuming;
  }

  /** Stop every swarm this window runs: agents killed by process group, state journaled. */
  async stopRuns(reason: string): Promise<void> {
    // Runs stopped by the window closing stay recorded as interrupted, to resume next time.
    this.closing = true;
    // Runs in an engine process that can be re-attached go on (the next window shows them): not
    // stopped, and not recorded as interrupted either.
    const left = this.reattach.leaveRuns();
    if (left.length) {
      const runs = { ...this.context.workspaceState.get<InterruptedRuns>(INTERRUPTED_RUNS_KEY, {}) };
      for (const { session } of left) delete runs[session.root];
      await this.context.workspaceState.update(INTERRUPTED_RUNS_KEY, runs);
    }
    await Promise.all(
      this.registry.sessions.map(async (s) => {
        const run = s.activeRun;
        if (!run || left.some((l) => l.session === s)) return;
        this.log.info(`[${s.name}] stopping run ${run.runId}: ${reason}`);
        await run.stop(reason);
      }),
    );
  }

  dispose(): void {
    for (const d of this.disposables.reverse()) {
      try {
        d.dispose();
      } catch {
        // keep disposing the rest
      }
    }
    this.disposables.length = 0;
  }

  /**
   * Which repositories of this window had a swarm running, kept in workspaceState: set at
   * run_started, cleared when the run ends by itself or by Stop — not when the window closes,
   * reloads or the extension host crashes. The next activation resumes those runs; the engine's
   * recovery (run_recovered) then reports what it resumed, returned to pending or found orphaned.
   */
  private recordRun(session: SwarmSession, e: SwarmEvent): void {
    if (e.type !== 'run_started' && e.type !== 'run_finished') return;
    if (e.type === 'run_finished' && this.closing) return;
    const runs = { ...this.context.workspaceState.get<InterruptedRuns>(INTERRUPTED_RUNS_KEY, {}) };
    if (e.type === 'run_started') runs[session.root] = { runId: e.runId, at: Date.now() };
    else delete runs[session.root];
    void this.context.workspaceState.update(INTERRUPTED_RUNS_KEY, runs);
  }

  private async resumeInterruptedRuns(): Promise<void> {
    const runs = this.context.workspaceState.get<InterruptedRuns>(INTERRUPTED_RUNS_KEY, {});
    for (const [root, { runId, at }] of Object.entries(runs)) {
      const session = this.registry.byRepoRoot(root);
      if (!session || session.activeRun || this.reattach.notAttached.has(root) || (session.state !== 'ready' && session.state !== 'noConfig')) continue;
      const when = new Date(at).toLocaleString();
      if (Date.now() - at > RESUME_WITHIN_MS) {
        // Long ago (the window was closed, not reloaded): ask rather than start agents unasked.
        this.log.info(`[${session.name}] run ${runId} was interrupted (${when}); Start swarm resumes its tasks.`);
        void vscode.window
          .showInformationMessage(
            `Swarm: the run in ${session.name} was interrupted when the window closed (${when}). Its tasks resume when you start the swarm.`,
            'Start swarm',
          )
          .then((pick) => {
            if (pick) void vscode.commands.executeCommand(Commands.startSwarm, session.root);
          });
        continue;
      }
      this.log.info(`[${session.name}] resuming run ${runId}, interrupted by a window reload (${when})`);
      await vscode.commands.executeCommand(Commands.startSwarm, session.root);
    }
  }

  private updateContext(): void {
    const sessions = this.registry.sessions;
    const first = sessions.find((s) => s.isGitRepo) ?? sessions[0];
    const state: FolderState = !first ? 'noFolder' : !vscode.workspace.isTrusted ? 'untrusted' : folderState(first);
    if (state !== this.lastFolderState) {
      this.lastFolderState = state;
      traceView('context', `  swarm.folderState = ${state}`);
      void vscode.commands.executeCommand('setContext', ContextKeys.folderState, state);
    }
    void vscode.commands.executeCommand('setContext', ContextKeys.multipleRepositories, sessions.length > 1);
    // The effective review mode (the setting, else swarm.json), where the user looks for it.
    const description = sessions.length === 1 ? reviewModeText(sessions[0]) : undefined;
    if (this.tasksView.description !== description) {
      traceView('description', `  ${description ?? ''}`);
      this.tasksView.description = description;
    }
  }

  private async revealWorktree(session: SwarmSession, path: string): Promise<void> {
    await session.refreshNow();
    const roots = this.worktrees.getChildren();
    const all = roots.flatMap((n) => (n instanceof WorktreeNode ? [n] : n.getChildren()));
    const node = all.find((n): n is WorktreeNode => n instanceof WorktreeNode && n.worktree.path === path);
    if (node) await this.worktreesView.reveal(node, { select: true, focus: true, expand: true });
    else await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(path));
  }
}

/**
 * The engine, loaded on first use. Its module graph (zod, YAML, the harnesses) takes longer to
 * evaluate than the whole rest of activation; a `require` inside a function makes esbuild wrap
 * it in a lazy initializer, so that cost is paid when a workspace opens, just after activation,
 * not inside it.
 */
function lazyEngine(): SwarmEngine {
  type EngineModule = typeof import('../swarm/workspace');
  type InitModule = typeof import('../swarm/init');
  let loaded: EngineModule | undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = (): EngineModule => (loaded ??= require('../swarm/workspace') as EngineModule);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loadInit = (): InitModule => require('../swarm/init') as InitModule;
  return {
    openWorkspace: (options) => load().openWorkspace(options),
    initRepo: (root, o) => loadInit().initRepo(root, o),
  };
}

function folderState(s: SwarmSession): FolderState {
  switch (s.state) {
    case 'noGit':
      return 'noGit';
    case 'noConfig':
      return 'noConfig';
    case 'loading':
      return 'loading';
    case 'configError':
      return 'configError';
    default:
      return 'ready';
  }
}

const INTERRUPTED_RUNS_KEY = 'swarm.interruptedRuns';
/** A run interrupted this recently (a reload, a crashed extension host) resumes by itself. */
const RESUME_WITHIN_MS = 10 * 60_000;
type InterruptedRuns = Record<string, { runId: string; at: number }>;

let current: SwarmExtension | undefined;
/** Milliseconds our own activate() took, last time (the budget is 50 ms). */
export let lastActivationMs: number | undefined;

export function activate(context: vscode.ExtensionContext, options?: ActivationOptions): SwarmExtension {
  const t0 = performance.now();
  const ext = new SwarmExtension(context, options);
  context.subscriptions.push(ext);
  current = ext;
  lastActivationMs = performance.now() - t0;
  ext.log.info(
    `Swarm: activated in ${lastActivationMs.toFixed(1)} ms (${Object.keys(CommandTitles).length} commands, ${ext.registry.sessions.length} folder(s))`,
  );
  void ext.openSessions();
  return ext;
}

/** VS Code awaits this (a few seconds) on window close and reload: stop the swarm cleanly. */
export async function deactivate(): Promise<void> {
  const ext = current;
  current = undefined;
  if (!ext) return;
  try {
    await ext.stopRuns('window closed or reloaded');
  } finally {
    ext.dispose();
  }
}
