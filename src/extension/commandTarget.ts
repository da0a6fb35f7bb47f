// What a command acts on, resolved in one place (after VS Code's git extension, whose `@command`
// decorator declares whether a command takes a repository and resolves it before the handler
// runs). Each command in commands.ts declares its target — a task (with a filter of fitting
// tasks), a worktree, a repository (session), or nothing — and whether it needs a trusted
// workspace; `resolveTarget` turns whatever VS Code passed into that target:
//
//   a tree node        the clicked item, always, whatever its state now (the engine refuses what no
//                      longer applies and says why): a menu action never opens a "which task?" picker
//   undefined, passed  a menu or inline action on a row VS Code had just dropped (a refresh of its
//                      group: VS Code issues #144250, #283655; src/extension/keptTree.ts): the one
//                      dropped row that fits the command, else a message to click again, never a picker
//   a TaskRef / id     a notification button, the review panel, another command
//   nothing            the palette: a quick pick of the fitting ones, in words (never status ids)

import * as vscode from 'vscode';
import type { NeedsYouItem } from '../swarm/api';
import { STATUS } from '../swarm/status';
import type { Task, TaskStatus, WorktreeInfo } from '../swarm/types';
import { currentRound, describeTaskStatus, formatBytes } from './format';
import type { SwarmSession } from './session';
import { findTask, type SessionRegistry } from './sessions';
import { TaskNode } from './tasksTree';
import { isTaskRef, isWorktreeRef, TreeNode, type TaskRef } from './treeNode';
import { WorktreeNode } from './worktreesTree';

export interface ResolvedTask {
  session: SwarmSession;
  ref: TaskRef;
  task: Task | undefined;
  /** The tree node the command came from, if any. */
  node?: TaskNode;
}

export interface ResolvedWorktree {
  session: SwarmSession;
  worktree: WorktreeInfo;
}

export type TaskFilter = (task: Task, status: TaskStatus, needsYou: NeedsYouItem | undefined) => boolean;

export type CommandTarget =
  | { kind: 'none' }
  /** A repository: from the argument, else the only one, else a pick among those `filter` keeps. */
  | { kind: 'session'; pick: string; filter?: (s: SwarmSession) => boolean; nothing?: (registry: SessionRegistry) => string }
  /** `otherViews`: its menus are also on rows of views other than Tasks (whose dropped rows are not known). */
  | { kind: 'task'; pick: string; filter: TaskFilter; otherViews?: boolean }
  | { kind: 'worktree'; pick: string };

export type TargetOf<T extends CommandTarget> = T extends { kind: 'task' }
  ? ResolvedTask
  : T extends { kind: 'worktree' }
    ? ResolvedWorktree
    : T extends { kind: 'session' }
      ? SwarmSession
      : undefined;

/**
 * The target of a command for the first argument VS Code passed, or undefined (nothing fits, or the
 * user cancelled). `dropped`: the argument VS Code passed was `undefined` (not absent), so the
 * command came from a row VS Code had dropped; these are the Tasks view's dropped rows, read when the
 * command arrived (src/extension/keptTree.ts forgottenRows).
 */
export async function resolveTarget(
  registry: SessionRegistry,
  target: CommandTarget,
  arg: unknown,
  dropped?: readonly TreeNode[],
): Promise<ResolvedTask | ResolvedWorktree | SwarmSession | undefined | null> {
  switch (target.kind) {
    case 'none':
      return null;
    case 'session': {
      const session = sessionFromArg(registry, arg) ?? (await registry.pick(target.pick, target.filter));
      if (!session && target.nothing) void vscode.window.showInformationMessage(target.nothing(registry));
      return session;
    }
    case 'task':
      if (dropped) return droppedTask(dropped, target);
      return resolveTask(registry, arg, target.pick, target.filter);
    case 'worktree':
      return resolveWorktree(registry, arg, target.pick);
  }
}

export function sessionFromArg(registry: SessionRegistry, arg: unknown): SwarmSession | undefined {
  if (arg instanceof TaskNode || arg instanceof WorktreeNode) return arg.session;
  if (typeof arg === 'string') return registry.byRepoRoot(arg);
  if (arg instanceof vscode.Uri) return registry.forPath(arg.fsPath);
  if (typeof arg === 'object' && arg !== null && typeof (arg as { root?: unknown }).root === 'string')
    return registry.byRepoRoot((arg as { root: string }).root);
  return undefined;
}

async function resolveTask(registry: SessionRegistry, arg: unknown, placeHolder: string, filter: TaskFilter): Promise<ResolvedTask | undefined> {
  if (arg instanceof TaskNode) return { session: arg.session, ref: arg.toTaskRef(), task: arg.task, node: arg };
  // The Worktrees view: a worktree's task (Show agent log).
  if (arg instanceof WorktreeNode && arg.worktree.taskId)
    return {
      session: arg.session,
      ref: { root: arg.session.root, taskId: arg.worktree.taskId },
      task: findTask(arg.session.snapshot.tasks, arg.worktree.taskId),
    };
  if (arg instanceof TreeNode) {
    void vscode.window.showInformationMessage('Swarm: this item is not a task.');
    return undefined;
  }
  if (isTaskRef(arg)) {
    const session = registry.byRepoRoot(arg.root);
    if (!session) throw new Error(`no open repository at ${arg.root}`);
    return { session, ref: arg, task: findTask(session.snapshot.tasks, arg.taskId) };
  }
  if (typeof arg === 'string' && arg) {
    const session = registry.forTask(arg);
    if (!session) throw new Error(`no task "${arg}" in the open repositories`);
    return { session, ref: { root: session.root, taskId: arg }, task: findTask(session.snapshot.tasks, arg) };
  }
  type Item = vscode.QuickPickItem & { resolved: ResolvedTask };
  const items: Item[] = [];
  const multi = registry.sessions.length > 1;
  for (const session of registry.sessions) {
    const { tasks, states, needsYou } = session.snapshot;
    for (const task of [...tasks.current, ...tasks.pending, ...tasks.complete]) {
      const state = states.get(task.id);
      const status = state?.status ?? task.status;
      const n = needsYou.find((x) => x.taskId === task.id);
      if (!filter(task, status, n)) continue;
      // Words, as the tree says them: "waiting for you", "failed", never `awaiting_human`.
      const words = n?.kind === 'failed' ? 'failed' : describeTaskStatus(status, currentRound(state, task.reviewRounds));
      items.push({
        label: task.title || task.id,
        description: `${task.id}${multi ? ` · ${session.name}` : ''} · ${words}`,
        detail: n?.question ?? task.question,
        resolved: { session, ref: { root: session.root, taskId: task.id, sha: n?.sha ?? state?.headSha }, task },
      });
    }
  }
  if (!items.length) {
    void vscode.window.showInformationMessage('Swarm: no task fits this command right now.');
    return undefined;
  }
  if (items.length === 1) return items[0].resolved;
  return (await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true }))?.resolved;
}

/** Whether a command got `undefined` from VS Code (a menu on a row it had dropped), not no argument at all (the palette). */
export function cameFromDroppedRow(args: readonly unknown[]): boolean {
  return args.length > 0 && args[0] === undefined;
}

/**
 * A task menu clicked on a row VS Code had dropped: the clicked row is one of `dropped`. The one
 * dropped task the command fits is the clicked one; with several (or none, or a command whose menus
 * are in other views too) no guess and no picker, where Enter would take the first row: say so.
 */
function droppedTask(dropped: readonly TreeNode[], target: Extract<CommandTarget, { kind: 'task' }>): ResolvedTask | undefined {
  const fitting = target.otherViews
    ? []
    : dropped.filter((n): n is TaskNode => n instanceof TaskNode && target.filter(n.task, n.state?.status ?? n.task.status, n.engineItem));
  const tasks = new Set(fitting.map((n) => `${n.session.root}\0${n.task.id}`));
  if (tasks.size === 1) {
    // The "Needs you" copy of the task first: its sha is the one the engine asks a decision on.
    const node = fitting.find((n) => n.needsYou) ?? fitting[0];
    return { session: node.session, ref: node.toTaskRef(), task: node.task, node };
  }
  void vscode.window.showInformationMessage('Swarm: the Tasks view was redrawing as you clicked, and VS Code did not say on which task. Click again.');
  return undefined;
}

async function resolveWorktree(registry: SessionRegistry, arg: unknown, placeHolder: string): Promise<ResolvedWorktree | undefined> {
  if (arg instanceof WorktreeNode) return { session: arg.session, worktree: arg.worktree };
  if (arg instanceof TreeNode) {
    void vscode.window.showInformationMessage('Swarm: this item is not a worktree.');
    return undefined;
  }
  if (isWorktreeRef(arg)) {
    const session = registry.byRepoRoot(arg.root);
    const worktree = session?.snapshot.worktrees.find((w) => w.path === arg.path);
    return session && worktree ? { session, worktree } : undefined;
  }
  type Item = vscode.QuickPickItem & ResolvedWorktree;
  const items: Item[] = registry.sessions.flatMap((session) =>
    session.snapshot.worktrees.map((worktree) => ({
      label: worktree.branch,
      description: `${worktree.orphaned ? `orphaned · ${formatBytes(worktree.diskBytes)}` : (worktree.taskId ?? '')}`,
      detail: worktree.path,
      session,
      worktree,
    })),
  );
  if (!items.length) {
    void vscode.window.showInformationMessage('Swarm: there are no swarm worktrees.');
    return undefined;
  }
  return vscode.window.showQuickPick(items, { placeHolder });
}

/** Filters the task commands share (what the status table says a task is ready for). */
export const fits = {
  any: (() => true) as TaskFilter,
  review: ((t, status, n) => n?.kind === 'review' || STATUS[status]?.reviewable || (t.reviewRounds ?? 0) > 0) as TaskFilter,
  current: ((t) => t.folder === 'current') as TaskFilter,
  started: ((t) => t.folder !== 'pending') as TaskFilter,
};

// --- command declarations ------------------------------------------------------------------------

/** What every command handler may use. */
export interface CommandDeps {
  registry: SessionRegistry;
  engine: import('./session').SwarmEngine;
  log: vscode.LogOutputChannel;
  reviewHost(): import('./reviewHost').ReviewHost;
  /** Reveal a worktree in the Worktrees view. */
  revealWorktree(session: SwarmSession, path: string): Promise<void>;
  /** How long "Start swarm" waits for the engine's run_started before its progress ends. */
  startTimeoutMs?: number;
  /** The Tasks view's rows VS Code has dropped and not fetched again (src/extension/keptTree.ts forgottenRows). */
  droppedTaskRows?(): TreeNode[];
  /** The review "Open next review" opens: the notifications' next one (notifications.ts Notifier.nextReview). */
  nextReview?(): { session: SwarmSession; ref: import('./treeNode').TaskRef } | undefined;
}

export interface CommandDef {
  target: CommandTarget;
  /** It runs git or agents: refused (with the way to trust the folder) in an untrusted workspace. */
  trusted?: boolean;
  /** The handler, with the resolved target and every argument VS Code passed. */
  run(target: never, args: unknown[]): Promise<unknown>;
}

/** Declare a command: its target, whether it needs trust, and its handler (typed by the target). */
export function command<T extends CommandTarget>(
  target: T,
  run: (target: TargetOf<T>, args: unknown[]) => Promise<unknown>,
  options: { trusted?: boolean } = {},
): CommandDef {
  return { target, run: run as CommandDef['run'], ...options };
}
