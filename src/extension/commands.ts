// Every command of the extension. Handlers resolve their argument (a tree node, a TaskRef from a
// notification button, a task id, or nothing → a quick pick), call the engine through the
// session's operation runner, and say what happened. No swarm logic: the engine decides whether
// an approval is still valid, whether a worktree can be removed, which task comes next.

import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DecisionResult, NeedsYouItem, StartRunOptions } from '../swarm/api';
import type { SwarmEvent, Task, TaskStatus, WorktreeInfo } from '../swarm/types';
import { Commands, type CommandId } from './constants';
import { formatBytes, plural } from './format';
import { STATUS } from '../swarm/status';
import { openWorktreeFileDiff } from './nativeDiff';
import type { ReviewHost } from './reviewHost';
import { readSettings } from './settings';
import { initOptions, preflightGate, sayInitChoice } from './setupCommands';
import { errorMessage, type SwarmEngine, type SwarmSession } from './session';
import { findTask, type SessionRegistry } from './sessions';
import { TaskNode } from './tasksTree';
import { isTaskRef, isWorktreeRef, TreeNode, type TaskRef } from './treeNode';
import { ChangedFileNode, WorktreeNode } from './worktreesTree';

export interface CommandDeps {
  registry: SessionRegistry;
  engine: SwarmEngine;
  log: vscode.LogOutputChannel;
  reviewHost(): ReviewHost;
  /** Reveal a worktree in the Worktrees view. */
  revealWorktree(session: SwarmSession, path: string): Promise<void>;
  /** How long "Start swarm" waits for the engine's run_started before its progress ends. */
  startTimeoutMs?: number;
}

interface ResolvedTask {
  session: SwarmSession;
  ref: TaskRef;
  task: Task | undefined;
}

type TaskFilter = (task: Task, status: TaskStatus, needsYou: NeedsYouItem | undefined) => boolean;

export class SwarmCommands {
  constructor(private readonly deps: CommandDeps) {}

  /** Every command id with its handler; `Record<CommandId, …>` makes a missing one a type error. */
  handlers(): Record<CommandId, (...args: unknown[]) => Promise<unknown>> {
    return {
      [Commands.startSwarm]: (arg) => this.start(arg),
      [Commands.startSwarmWithWorkers]: (arg) => this.startWithWorkers(arg),
      [Commands.stopSwarm]: (arg) => this.stop(arg),
      [Commands.pauseSwarm]: (arg) => this.pause(arg, true),
      [Commands.resumeSwarm]: (arg) => this.pause(arg, false),
      [Commands.newTask]: (arg) => this.newTask(arg),
      [Commands.openReview]: (arg) => this.openReview(arg),
      [Commands.approve]: (arg) => this.decide(arg, 'approve'),
      [Commands.override]: (arg) => this.decide(arg, 'override'),
      [Commands.requestChanges]: (arg) => this.decide(arg, 'request_changes'),
      [Commands.answerQuestion]: (arg, text) => this.answer(arg, typeof text === 'string' ? text : undefined),
      [Commands.retryTask]: (arg) => this.retry(arg, false),
      [Commands.acceptBase]: (arg) => this.acceptBase(arg),
      [Commands.moveToPending]: (arg) => this.retry(arg, true),
      [Commands.cleanUpWorktrees]: (arg) => this.cleanUp(arg, false),
      [Commands.cleanUpWorktree]: (arg) => this.cleanUp(arg, true),
      [Commands.showRunLog]: () => this.showRunLog(),
      [Commands.openConfig]: (arg) => this.openConfig(arg),
      [Commands.initialize]: (arg) => this.initialize(arg),
      [Commands.refresh]: () => this.refresh(),
      [Commands.openTask]: (arg) => this.openTask(arg),
      [Commands.showAgentLog]: (arg) => this.showAgentLog(arg),
      [Commands.revealWorktree]: (arg) => this.revealWorktree(arg),
      [Commands.openWorktreeInNewWindow]: (arg) => this.withWorktree(arg, (wt) => vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(wt.path), { forceNewWindow: true })),
      [Commands.revealWorktreeInExplorer]: (arg) => this.withWorktree(arg, (wt) => vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(wt.path))),
      [Commands.revealWorktreeInOS]: (arg) => this.withWorktree(arg, (wt) => vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(wt.path))),
      [Commands.openWorktreeInTerminal]: (arg) => this.withWorktree(arg, async (wt) => vscode.window.createTerminal({ name: `Swarm: ${wt.branch}`, cwd: wt.path }).show()),
      [Commands.openChangedFile]: (arg) => this.openChangedFile(arg),
    };
  }

  /** Register every handler, each wrapped so a failure is shown and logged, never thrown at VS Code. */
  register(): vscode.Disposable[] {
    return Object.entries(this.handlers()).map(([id, handler]) =>
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await handler(...args);
        } catch (e) {
          this.deps.log.error(`Swarm: ${id} failed: ${errorMessage(e)}`);
          void vscode.window.showErrorMessage(`Swarm: ${errorMessage(e)}`);
          return undefined;
        }
      }),
    );
  }

  // --- run lifecycle -----------------------------------------------------------------------

  async start(arg?: unknown): Promise<boolean> {
    const options = startOptions(arg);
    const session = this.sessionFromArg(arg) ?? (await this.deps.registry.pick('Start a swarm in which repository? (one swarm per repository)'));
    if (!session) {
      if (!this.deps.registry.sessions.some((s) => s.isGitRepo)) void vscode.window.showErrorMessage('Swarm: open a folder inside a git repository to start a swarm.');
      return false;
    }
    // Hazard 15: agents run code; never in a folder the user has not trusted.
    if (!vscode.workspace.isTrusted) {
      const pick = await vscode.window.showErrorMessage('Swarm: this workspace is not trusted. The swarm does not start agents in an untrusted workspace.', 'Manage Workspace Trust');
      if (pick) await vscode.commands.executeCommand('workbench.trust.manage');
      return false;
    }
    if (!session.isGitRepo) {
      void vscode.window.showErrorMessage(`Swarm: ${session.name} is not in a git repository; run "git init" first.`);
      return false;
    }
    return session.ops.run({ kind: 'start' }, async () => {
      if (!(await this.pickConfigIfAmbiguous(session))) return false;
      let ws;
      try {
        ws = await session.requireWorkspace();
      } catch (e) {
        // Not awaited: an open notification must not hold the operation (and every command queued behind it).
        void vscode.window.showErrorMessage(`Swarm: cannot start in ${session.name}: ${errorMessage(e)}`, 'Open config').then((pick) => { if (pick) void this.openConfig(session.root); });
        return false;
      }
      if (session.activeRun) {
        void vscode.window.showInformationMessage(`Swarm: a swarm is already running in ${session.name}.`);
        return false;
      }
      if (!ws.config.file) {
        // Without a config the engine would run its built-in demo agents: say so before starting.
        const pick = await vscode.window.showInformationMessage(`Swarm: ${session.name} has no swarm.json, so the swarm would run the built-in demo agents (no real coding agent).`, { modal: true }, 'Initialize swarm', 'Start with demo agents');
        if (pick === 'Initialize swarm') await this.initialize(session.root);
        if (pick !== 'Start with demo agents') return false;
      }
      if (!(await preflightGate(session, ws, this.deps.log))) return false; // setupCommands.ts: every problem, nothing claimed
      const elsewhere = await ws.runningElsewhere();
      if (elsewhere) {
        void vscode.window.showWarningMessage(`Swarm: a swarm is already running on ${session.name} in another process (pid ${elsewhere.pid}, run ${elsewhere.runId}). One swarm per repository: stop that one first.`);
        return false;
      }
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Swarm: starting in ${session.name}…` }, async () => {
        const started = waitForEvent(session, (e) => e.type === 'run_started' || e.type === 'run_finished', this.deps.startTimeoutMs ?? 10_000);
        const run = session.startRun(options);
        this.deps.log.info(`[${session.name}] starting run ${run.runId}`);
        void run.done.then((summary) => this.deps.log.info(`[${session.name}] run ${summary.runId} ended${summary.reason ? `: ${summary.reason}` : ''}`));
        await started;
      });
      return true;
    });
  }

  /** Which of the configured workers to start, when the user does not want all of them. */
  async startWithWorkers(arg?: unknown): Promise<boolean> {
    const session = this.sessionFromArg(arg) ?? (await this.deps.registry.pick('Start a swarm in which repository?'));
    if (!session) return false;
    const ws = await session.requireWorkspace();
    const items = ws.config.workers.map((w) => ({ label: w.id, description: `${w.role} · ${w.harness}${w.model ? ` · ${w.model}` : ''}`, detail: w.prompt ? `prompt ${w.prompt}` : undefined, picked: true, id: w.id }));
    const picked = await vscode.window.showQuickPick(items, { canPickMany: true, placeHolder: `Workers to start in ${session.name} (from ${ws.config.file ? 'its config' : 'the built-in defaults'})` });
    if (!picked?.length) return false;
    return this.start({ root: session.root, workers: picked.map((p) => p.id) });
  }

  async stop(arg?: unknown): Promise<boolean> {
    const session = this.sessionFromArg(arg) ?? (await this.deps.registry.pick('Stop the swarm of which repository?', (s) => s.activeRun !== undefined));
    const run = session?.activeRun;
    if (!session || !run) {
      void vscode.window.showInformationMessage('Swarm: no swarm is running in this window.');
      return false;
    }
    await session.ops.run({ kind: 'stop' }, () =>
      Promise.resolve(vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Swarm: stopping ${session.name} (agents are stopped, their state kept for the next start)…` }, () => run.stop('stopped by the user'))),
      { parallel: true },
    );
    session.touch();
    return true;
  }

  async pause(arg: unknown, pause: boolean): Promise<boolean> {
    const session = this.sessionFromArg(arg) ?? (await this.deps.registry.pick(`${pause ? 'Pause' : 'Resume'} the swarm of which repository?`, (s) => s.activeRun !== undefined && s.activeRun.paused !== pause));
    const run = session?.activeRun;
    if (!session || !run) {
      void vscode.window.showInformationMessage('Swarm: no swarm is running in this window.');
      return false;
    }
    await session.ops.run({ kind: pause ? 'pause' : 'resume' }, async () => (pause ? run.pause() : run.resume()), { parallel: true });
    this.deps.log.info(`[${session.name}] ${pause ? 'paused: agents finish their turn, no new work starts' : 'resumed'}`);
    session.touch();
    return true;
  }

  // --- tasks -------------------------------------------------------------------------------

  async newTask(arg?: unknown): Promise<Task | undefined> {
    const session = this.sessionFromArg(arg) ?? (await this.deps.registry.pick('Add the task to which repository?'));
    if (!session) return undefined;
    const ws = await session.requireWorkspace();
    const title = await vscode.window.showInputBox({ title: 'Swarm: New task', prompt: 'Title of the task (you write what to do and the acceptance criteria in the file that opens)', placeHolder: 'e.g. Add a --json flag to the status command', validateInput: (v) => (v.trim() ? undefined : 'A title is required') });
    if (!title?.trim()) return undefined;
    const task = await session.ops.run({ kind: 'createTask', target: title }, () => ws.createTask({ title: title.trim() }));
    session.scheduleRefresh();
    await vscode.window.showTextDocument(vscode.Uri.file(task.file), { preview: false });
    return task;
  }

  async openTask(arg?: unknown): Promise<void> {
    const resolved = await this.resolveTask(arg, 'Open which task?', () => true);
    if (!resolved) return;
    let task = resolved.task;
    // The file moves between folders as the task progresses: re-read once if it is gone.
    if (!task || !existsSync(task.file)) {
      await resolved.session.refreshNow();
      task = findTask(resolved.session.snapshot.tasks, resolved.ref.taskId);
    }
    if (!task) {
      void vscode.window.showWarningMessage(`Swarm: task ${resolved.ref.taskId} is not in the task folders any more.`);
      return;
    }
    await vscode.window.showTextDocument(vscode.Uri.file(task.file), { preview: true });
  }

  async openReview(arg?: unknown): Promise<void> {
    const resolved = await this.resolveTask(arg, 'Open the review of which task?', (t, status, n) => n?.kind === 'review' || STATUS[status]?.reviewable || (t.reviewRounds ?? 0) > 0);
    if (!resolved) return;
    await this.deps.reviewHost().openReview(resolved.session, resolved.ref);
  }

  async decide(arg: unknown, kind: 'approve' | 'override' | 'request_changes'): Promise<DecisionResult | undefined> {
    const verb = kind === 'approve' ? 'Approve' : kind === 'override' ? 'Override' : 'Request changes for';
    const resolved = await this.resolveTask(arg, `${verb} which task?`, (_t, status, n) => n?.kind === 'review' || STATUS[status]?.needsYou === 'review' || (kind !== 'approve' && STATUS[status]?.reviewable));
    if (!resolved) return undefined;
    const { session, ref } = resolved;
    const ws = await session.requireWorkspace();
    // A decision is tied to the commit the user saw: the sha carried by the tree item or the
    // panel; from the palette, the one the engine shows now (the engine refuses a stale one).
    const sha = ref.sha ?? (await ws.reviewDetails(ref.taskId)).sha;
    if (!sha) {
      void vscode.window.showWarningMessage(`Swarm: ${ref.taskId} has no commit to decide on yet.`);
      return undefined;
    }
    let text: string | undefined;
    if (kind === 'override') {
      text = await vscode.window.showInputBox({ title: `Swarm: Override review of ${ref.taskId}`, prompt: `Merge ${sha.slice(0, 12)} despite the reviewer. Why? (kept with the task)`, validateInput: (v) => (v.trim() ? undefined : 'A reason is required') });
      if (!text?.trim()) return undefined;
    } else if (kind === 'request_changes') {
      text = await vscode.window.showInputBox({ title: `Swarm: Request changes to ${ref.taskId}`, prompt: 'What should the worker change?', validateInput: (v) => (v.trim() ? undefined : 'Say what to change') });
      if (!text?.trim()) return undefined;
    }
    const result = await session.ops.run({ kind: 'decide', target: ref.taskId }, () => ws.decide({ taskId: ref.taskId, kind, sha, text: text?.trim(), by: 'vscode' }));
    session.scheduleRefresh({ worktrees: true });
    if (!result.ok && result.reason === 'needs_override') {
      // The engine's rule (the reviewer did not approve): say why in its words, offer Override…,
      // which asks for the reason. Whatever menu showed ✓, nothing merges without it.
      const pick = await vscode.window.showWarningMessage(`Swarm: ${ref.taskId} was not merged. ${result.detail}`, 'Override…');
      if (pick === 'Override…') return this.decide({ ...ref, sha }, 'override');
      return result;
    }
    await this.reportDecision(session, ref.taskId, result);
    return result;
  }

  async answer(arg: unknown, givenText?: string): Promise<boolean> {
    const resolved = await this.resolveTask(arg, 'Answer which question?', (t, status, n) => n?.kind === 'question' || STATUS[status]?.needsYou === 'question' || Boolean(t.question && !t.answer));
    if (!resolved) return false;
    const { session, ref } = resolved;
    const ws = await session.requireWorkspace();
    const known = () => findTask(session.snapshot.tasks, ref.taskId)?.question ?? session.snapshot.needsYou.find((n) => n.taskId === ref.taskId)?.question;
    // The tree may have caught the task between "blocked" and its question being written: read again.
    if (!resolved.task?.question && !known()) await session.refreshNow();
    const question = resolved.task?.question ?? known() ?? '(no question recorded)';
    const text = givenText ?? (await vscode.window.showInputBox({ title: `Swarm: ${ref.taskId} asks`, prompt: question, placeHolder: 'Your answer (given to the agent when it resumes)', ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'An answer is required') }));
    if (!text?.trim()) return false;
    await session.ops.run({ kind: 'answer', target: ref.taskId }, () => ws.answer(ref.taskId, text.trim()));
    session.scheduleRefresh();
    vscode.window.setStatusBarMessage(`Swarm: answered ${ref.taskId}`, 5000);
    return true;
  }

  /** Issue 12 rule 2: the base moved outside the swarm; the user looked and accepts it as it is. */
  async acceptBase(arg: unknown): Promise<boolean> {
    const resolved = await this.resolveTask(arg, 'Which waiting task?', (_t, status) => STATUS[status].needsYou === 'base');
    if (!resolved) return false;
    const { session, ref, task } = resolved;
    const why = typeof task?.meta.waiting_for === 'string' ? task.meta.waiting_for : 'the base branch moved outside the swarm';
    const ok = await vscode.window.showWarningMessage(`Swarm: ${why}`, { modal: true, detail: 'Accept the base branch as it is now? Waiting merges and reviews go on on top of it.' }, 'Accept base');
    if (!ok) return false;
    const ws = await session.requireWorkspace();
    const r = await session.ops.run({ kind: 'acceptBase', target: ref.taskId }, () => ws.acceptBase());
    session.scheduleRefresh({ worktrees: true });
    if (!r.ok) void vscode.window.showWarningMessage(`Swarm: not accepted: ${r.detail}`);
    else vscode.window.setStatusBarMessage(`Swarm: accepted ${ws.base} at ${r.sha.slice(0, 12)}`, 5000);
    return r.ok;
  }

  async retry(arg: unknown, confirm: boolean): Promise<boolean> {
    const resolved = await this.resolveTask(arg, confirm ? 'Move which task back to pending?' : 'Retry which task?', (t) => t.folder === 'current');
    if (!resolved) return false;
    const { session, ref } = resolved;
    if (confirm) {
      const ok = await vscode.window.showWarningMessage(`Move ${ref.taskId} back to pending? Its branch is kept for the next worker.`, { modal: true }, 'Move back to pending');
      if (!ok) return false;
    }
    const ws = await session.requireWorkspace();
    await session.ops.run({ kind: 'retry', target: ref.taskId }, () => ws.retry(ref.taskId));
    session.scheduleRefresh({ worktrees: true });
    vscode.window.setStatusBarMessage(`Swarm: ${ref.taskId} is back in pending`, 5000);
    return true;
  }

  async showAgentLog(arg?: unknown): Promise<void> {
    let resolved: ResolvedTask | undefined;
    if (arg instanceof WorktreeNode && arg.worktree.taskId) resolved = { session: arg.session, ref: { root: arg.session.root, taskId: arg.worktree.taskId }, task: undefined };
    else resolved = await this.resolveTask(arg, 'Show the agent log of which task?', (t) => t.folder !== 'pending');
    if (!resolved) return;
    const ws = await resolved.session.requireWorkspace();
    const file = await ws.agentLog(resolved.ref.taskId);
    if (!file) {
      void vscode.window.showInformationMessage(`Swarm: no agent has worked on ${resolved.ref.taskId} yet.`);
      return;
    }
    await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
  }

  // --- worktrees ---------------------------------------------------------------------------

  async cleanUp(arg: unknown, single: boolean): Promise<boolean> {
    let session: SwarmSession | undefined;
    let worktree: WorktreeInfo | undefined;
    if (single) {
      const resolved = await this.resolveWorktree(arg);
      if (!resolved) return false;
      ({ session, worktree } = resolved);
    } else {
      session = this.sessionFromArg(arg) ?? (await this.deps.registry.pick('Clean up the worktrees of which repository?'));
    }
    if (!session) return false;
    const ws = await session.requireWorkspace();
    const target = worktree?.path;
    // Dry run first: the user sees exactly what will be removed and what is archived.
    const plan = await ws.cleanup({ dryRun: true, worktree: target });
    const acting = plan.actions.filter((a) => a.action !== 'keep');
    if (!acting.length) {
      const kept = plan.actions.filter((a) => a.action === 'keep');
      void vscode.window.showInformationMessage(`Swarm: nothing to clean up${kept.length ? ` (${kept.map((k) => `${k.worktree ?? k.branch}: ${k.reason}`).join('; ')})` : ''}.`);
      return false;
    }
    const detail = plan.actions.map((a) => `${a.action === 'keep' ? 'keep' : a.action === 'archive_and_remove' ? 'archive, then remove' : 'remove'} ${a.worktree ?? a.branch ?? ''}${a.diskBytes !== undefined ? ` (${formatBytes(a.diskBytes)})` : ''}: ${a.reason}`).join('\n');
    const archived = acting.filter((a) => a.action === 'archive_and_remove').length;
    const ok = await vscode.window.showWarningMessage(
      `Clean up ${plural(acting.length, 'worktree')}${archived ? ` (${archived} with unmerged work, kept in an archive ref first)` : ''}?`,
      { modal: true, detail },
      'Clean up',
    );
    if (!ok) return false;
    const report = await session.ops.run({ kind: 'cleanup', target }, () => ws.cleanup({ dryRun: false, worktree: target }));
    session.scheduleRefresh({ worktrees: true });
    const refs = report.actions.map((a) => a.archivedRef).filter(Boolean);
    this.deps.log.info(`[${session.name}] cleanup: ${report.actions.map((a) => `${a.action} ${a.worktree ?? a.branch ?? ''}${a.archivedRef ? ` → ${a.archivedRef}` : ''}`).join(', ')}`);
    void vscode.window.showInformationMessage(`Swarm: cleaned up ${plural(report.actions.filter((a) => a.action !== 'keep').length, 'worktree')}, freed ${formatBytes(report.freedBytes)}${refs.length ? `; unmerged work kept in ${refs.join(', ')}` : ''}.`);
    return true;
  }

  async revealWorktree(arg?: unknown): Promise<void> {
    const resolved = await this.resolveTask(arg, 'Reveal the worktree of which task?', (t) => t.folder === 'current');
    if (!resolved) return;
    const node = arg instanceof TaskNode ? arg : undefined;
    const path = node?.worktree ?? resolved.task?.worktree ?? resolved.session.snapshot.worktrees.find((w) => w.taskId === resolved.ref.taskId)?.path;
    if (!path) {
      void vscode.window.showInformationMessage(`Swarm: ${resolved.ref.taskId} has no worktree.`);
      return;
    }
    await this.deps.revealWorktree(resolved.session, path);
  }

  async openChangedFile(arg?: unknown): Promise<void> {
    if (!(arg instanceof ChangedFileNode)) return;
    const wtNode = arg.parentWorktree;
    await openWorktreeFileDiff(wtNode.session, wtNode.worktree, arg.file);
  }

  // --- config and misc ---------------------------------------------------------------------

  async showRunLog(): Promise<void> {
    this.deps.log.show(true);
  }

  async openConfig(arg?: unknown): Promise<void> {
    const session = this.sessionFromArg(arg) ?? (await this.deps.registry.pick('Open the swarm config of which repository?'));
    if (!session) return;
    const file = session.configFile;
    if (!existsSync(file)) {
      const pick = await vscode.window.showInformationMessage(`Swarm: ${session.name} has no swarm config yet.`, 'Initialize swarm');
      if (pick) await this.initialize(session.root);
      return;
    }
    await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
  }

  async initialize(arg?: unknown): Promise<boolean> {
    const session = this.sessionFromArg(arg) ?? (await this.deps.registry.pick('Initialize a swarm in which repository?', () => true));
    if (!session) {
      void vscode.window.showErrorMessage('Swarm: open a folder first.');
      return false;
    }
    if (!session.isGitRepo) {
      void vscode.window.showErrorMessage(`Swarm: ${session.name} is not a git repository. Run "git init" (or open a repository) first.`);
      return false;
    }
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showErrorMessage('Swarm: this workspace is not trusted; trust it before initializing a swarm.');
      return false;
    }
    const options = await initOptions(session);
    const result = await session.ops.run({ kind: 'initialize' }, () => this.deps.engine.initRepo(session.root, options));
    sayInitChoice(session, result, this.deps.log); // which agent CLI swarm.json uses (setupCommands.ts)
    this.deps.log.info(`[${session.name}] initialized: swarm.json and the task folders`);
    await session.reopen();
    const file = join(session.root, 'swarm.json');
    if (existsSync(file)) await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
    return true;
  }

  async refresh(): Promise<void> {
    await Promise.all(this.deps.registry.sessions.map((s) => s.refreshNow()));
  }

  // --- argument resolution -----------------------------------------------------------------

  private sessionFromArg(arg: unknown): SwarmSession | undefined {
    if (arg instanceof TaskNode || arg instanceof WorktreeNode) return arg.session;
    if (typeof arg === 'string') return this.deps.registry.byRepoRoot(arg);
    if (arg instanceof vscode.Uri) return this.deps.registry.forPath(arg.fsPath);
    if (typeof arg === 'object' && arg !== null && typeof (arg as { root?: unknown }).root === 'string') return this.deps.registry.byRepoRoot((arg as { root: string }).root);
    return undefined;
  }

  /** The task a command acts on: from the clicked node or a ref, else a quick pick of fitting tasks. */
  private async resolveTask(arg: unknown, placeHolder: string, filter: TaskFilter): Promise<ResolvedTask | undefined> {
    if (arg instanceof TaskNode) return { session: arg.session, ref: arg.toTaskRef(), task: arg.task };
    if (isTaskRef(arg)) {
      const session = this.deps.registry.byRepoRoot(arg.root);
      if (!session) throw new Error(`no open repository at ${arg.root}`);
      return { session, ref: arg, task: findTask(session.snapshot.tasks, arg.taskId) };
    }
    if (typeof arg === 'string' && arg) {
      const session = this.deps.registry.forTask(arg);
      if (!session) throw new Error(`no task "${arg}" in the open repositories`);
      return { session, ref: { root: session.root, taskId: arg }, task: findTask(session.snapshot.tasks, arg) };
    }
    type Item = vscode.QuickPickItem & { resolved: ResolvedTask };
    const items: Item[] = [];
    const multi = this.deps.registry.sessions.length > 1;
    for (const session of this.deps.registry.sessions) {
      const { tasks, states, needsYou } = session.snapshot;
      for (const task of [...tasks.current, ...tasks.pending, ...tasks.complete]) {
        const state = states.get(task.id);
        const status = state?.status ?? task.status;
        const n = needsYou.find((x) => x.taskId === task.id);
        if (!filter(task, status, n)) continue;
        items.push({ label: task.title || task.id, description: `${task.id}${multi ? ` · ${session.name}` : ''} · ${status}`, detail: n?.question ?? task.question, resolved: { session, ref: { root: session.root, taskId: task.id, sha: n?.sha ?? state?.headSha }, task } });
      }
    }
    if (!items.length) {
      void vscode.window.showInformationMessage('Swarm: no task fits this command right now.');
      return undefined;
    }
    if (items.length === 1) return items[0].resolved;
    return (await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true }))?.resolved;
  }

  private async resolveWorktree(arg: unknown): Promise<{ session: SwarmSession; worktree: WorktreeInfo } | undefined> {
    if (arg instanceof WorktreeNode) return { session: arg.session, worktree: arg.worktree };
    if (arg instanceof TreeNode) return undefined;
    if (isWorktreeRef(arg)) {
      const session = this.deps.registry.byRepoRoot(arg.root);
      const worktree = session?.snapshot.worktrees.find((w) => w.path === arg.path);
      return session && worktree ? { session, worktree } : undefined;
    }
    type Item = vscode.QuickPickItem & { session: SwarmSession; worktree: WorktreeInfo };
    const items: Item[] = this.deps.registry.sessions.flatMap((session) => session.snapshot.worktrees.map((worktree) => ({ label: worktree.branch, description: `${worktree.orphaned ? `orphaned · ${formatBytes(worktree.diskBytes)}` : worktree.taskId ?? ''}`, detail: worktree.path, session, worktree })));
    if (!items.length) {
      void vscode.window.showInformationMessage('Swarm: there are no swarm worktrees.');
      return undefined;
    }
    return vscode.window.showQuickPick(items, { placeHolder: 'Which worktree?' });
  }

  private async withWorktree(arg: unknown, fn: (wt: WorktreeInfo, session: SwarmSession) => Thenable<unknown> | Promise<unknown>): Promise<void> {
    const resolved = await this.resolveWorktree(arg);
    if (resolved) await fn(resolved.worktree, resolved.session);
  }

  /** swarm.json and oompa.json both present and no setting chose: ask once per session. */
  private async pickConfigIfAmbiguous(session: SwarmSession): Promise<boolean> {
    const configured = readSettings(session.folder.uri).configPath;
    if (configured || session.workspace?.config.file?.includes('oompa') || askedConfig.has(session.root)) return true;
    const swarm = join(session.root, 'swarm.json');
    const oompa = join(session.root, 'oompa.json');
    if (!existsSync(swarm) || !existsSync(oompa)) return true;
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'swarm.json', description: 'this extension\'s config', path: swarm },
        { label: 'oompa.json', description: 'the oompa seed\'s config (model "claude:opus-4.5" style)', path: oompa },
      ],
      { placeHolder: `${session.name} has both swarm.json and oompa.json: which one configures this swarm? (setting swarm.configPath decides for good)` },
    );
    if (!pick) return false;
    askedConfig.add(session.root);
    if (pick.label === 'oompa.json') await session.useConfigFile(pick.path);
    return true;
  }

  private async reportDecision(session: SwarmSession, taskId: string, result: DecisionResult): Promise<void> {
    const ref: TaskRef = { root: session.root, taskId };
    if (result.ok) {
      switch (result.applied) {
        case 'merged': void vscode.window.showInformationMessage(`Swarm: ${taskId} merged as ${result.commit.slice(0, 12)}.`); break;
        case 'queued': vscode.window.setStatusBarMessage(`Swarm: ${taskId}: ${result.detail}`, 8000); break;
        case 'fix_requested': vscode.window.setStatusBarMessage(`Swarm: changes requested for ${taskId}; its worker picks them up`, 8000); break;
        case 'returned_to_pending': vscode.window.setStatusBarMessage(`Swarm: ${taskId} returned to pending`, 8000); break;
        case 'rejected': vscode.window.setStatusBarMessage(`Swarm: ${taskId} rejected`, 8000); break;
        case 'completed_without_change': vscode.window.setStatusBarMessage(`Swarm: ${taskId} completed: no change was needed`, 8000); break;
      }
      return;
    }
    switch (result.reason) {
      case 'stale_sha': {
        const pick = await vscode.window.showWarningMessage(`Swarm: ${taskId} changed since you looked at it (now at ${result.currentSha.slice(0, 12)}). Nothing was decided: review it again.`, 'Open review');
        if (pick) await vscode.commands.executeCommand(Commands.openReview, { ...ref, sha: result.currentSha });
        break;
      }
      case 'conflict':
        void vscode.window.showWarningMessage(`Swarm: ${taskId} conflicts with the base in ${result.files.join(', ')}; nothing was merged and the task goes back to its worker.`);
        break;
      case 'waiting_local_changes': {
        const pick = await vscode.window.showWarningMessage(`Swarm: ${taskId} is approved but waits for your local changes in ${result.files.join(', ')}; it merges once they are committed or undone.`, 'Show my changes');
        if (pick) await vscode.commands.executeCommand('workbench.view.scm');
        break;
      }
      default:
        void vscode.window.showWarningMessage(`Swarm: could not decide on ${taskId}: ${result.detail}`);
    }
  }
}

const askedConfig = new Set<string>();

function startOptions(arg: unknown): StartRunOptions | undefined {
  if (typeof arg === 'object' && arg !== null && Array.isArray((arg as { workers?: unknown }).workers)) return { workers: (arg as { workers: string[] }).workers };
  return undefined;
}

/** Resolves on the first matching event of the session, or after `timeoutMs`. */
function waitForEvent(session: SwarmSession, match: (e: SwarmEvent) => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const sub = session.onEvent((e) => {
      if (match(e)) done();
    });
    function done() {
      clearTimeout(timer);
      sub.dispose();
      resolve();
    }
  });
}
