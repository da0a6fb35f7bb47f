// The Tasks view: Needs you / Pending / Current / Blocked / Complete (and Quarantined when a
// task file could not be read), per repository when the window has several. Items carry a
// `contextValue` like `task:current:awaiting_human:decidable:approvable:movable:review:worktree`:
// capability flags derived from the status table (src/swarm/status.ts) that the manifest's menus
// match (`viewItem =~ /:retryable(:|$)/`), so no `when` clause lists statuses.

import * as vscode from 'vscode';
import type { NeedsYouItem } from '../swarm/api';
import type { QuarantinedTask, Task, TaskRuntimeState } from '../swarm/types';
import { Commands, Views } from './constants';
import { currentRound, describeTaskStatus, formatFrontmatter, taskStatusIcon } from './format';
import { STATUS } from '../swarm/status';
import { formatPorts } from '../swarm/ports';
import { describeConflict } from '../swarm/conflictText';
import { costWords, formatUsd } from '../swarm/cost';
import type { SwarmSession } from './session';
import type { SessionRegistry } from './sessions';
import { MessageNode, TreeNode, type TaskRef } from './treeNode';
import { KeptTreeProvider } from './keptTree';

export type TaskGroupKind = 'needsYou' | 'pending' | 'current' | 'blocked' | 'failed' | 'complete' | 'quarantined';

const GROUP_LABELS: Record<TaskGroupKind, string> = {
  needsYou: 'Needs you',
  pending: 'Pending',
  current: 'Current',
  blocked: 'Blocked',
  failed: 'Failed',
  complete: 'Complete',
  quarantined: 'Quarantined',
};

const MAX_COMPLETE_SHOWN = 200;

export class RepositoryNode extends TreeNode {
  constructor(readonly session: SwarmSession) {
    super(undefined);
  }
  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.session.name, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `repo:${this.session.root}`;
    item.description = this.session.activeRun ? (this.session.activeRun.paused ? 'paused' : 'running') : undefined;
    item.iconPath = new vscode.ThemeIcon('repo');
    item.tooltip = this.session.root;
    item.contextValue = 'repository';
    return item;
  }
  override getChildren(): TreeNode[] {
    const groups = sessionGroups(this.session, this);
    return groups.length ? groups : [new MessageNode(this, stateMessage(this.session), { icon: 'info' })];
  }
}

export class TaskGroupNode extends TreeNode {
  constructor(
    parent: TreeNode | undefined,
    readonly session: SwarmSession,
    readonly kind: TaskGroupKind,
    private readonly children: (group: TaskGroupNode) => TreeNode[],
    private readonly total?: number,
  ) {
    super(parent);
  }
  getTreeItem(): vscode.TreeItem {
    const count = this.total ?? this.getChildren().length;
    const expanded = this.kind !== 'complete' && this.kind !== 'quarantined';
    const item = new vscode.TreeItem(
      GROUP_LABELS[this.kind],
      count === 0 ? vscode.TreeItemCollapsibleState.None : expanded ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
    );
    // VS Code keeps a tree item's collapsed state by id: a group that was empty (no children) would
    // stay collapsed once tasks arrive. A different id for empty and filled groups lets it open.
    item.id = `group:${this.session.root}:${this.kind}${count === 0 ? ':empty' : ''}`;
    item.description = String(count);
    item.contextValue = `group:${this.kind}`;
    if (this.kind === 'needsYou') item.iconPath = new vscode.ThemeIcon('bell-dot', new vscode.ThemeColor('charts.yellow'));
    if (this.kind === 'failed') item.iconPath = new vscode.ThemeIcon(FAILED_ICON.id, new vscode.ThemeColor(FAILED_ICON.color));
    if (this.kind === 'quarantined') item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    return item;
  }
  override getChildren(): TreeNode[] {
    return this.children(this);
  }
}

export class TaskNode extends TreeNode {
  constructor(
    parent: TreeNode | undefined,
    // Not readonly: a kept row takes a newer render's task and state (adopt, src/extension/keptTree.ts).
    public session: SwarmSession,
    public task: Task,
    public state: TaskRuntimeState | undefined,
    /** Set when the node stands for a "Needs you" entry. */
    public needsYou?: NeedsYouItem,
  ) {
    super(parent);
  }

  /** A task row is adopted thousands of times per refresh in a big repository: its fields, not Object.assign. */
  override adopt(fresh: this): void {
    this.session = fresh.session;
    this.task = fresh.task;
    this.state = fresh.state;
    this.needsYou = fresh.needsYou;
  }

  override key(): string {
    return `task:${this.session.root}:${this.needsYou ? 'needsYou:' : ''}${this.task.id}`;
  }

  toTaskRef(): TaskRef {
    return { root: this.session.root, taskId: this.task.id, sha: this.needsYou?.sha ?? this.state?.headSha };
  }

  get worker(): string | undefined {
    return this.state?.workerId ?? this.task.claimedBy ?? this.task.completedBy;
  }

  get worktree(): string | undefined {
    return this.state?.worktree ?? this.task.worktree;
  }

  /**
   * What the engine says this task waits for (its "Needs you" entry: a review with the engine's
   * approvability, a question, a failure, ...), or undefined. Taken from the engine, never derived
   * here: src/swarm/workspace.ts needsYou() classifies, src/swarm/approval.ts decides approvability.
   */
  get engineItem(): NeedsYouItem | undefined {
    return this.needsYou ?? this.session?.snapshot?.needsYou.find((n) => n.taskId === this.task.id);
  }

  /** Blocked because it failed `limits.max_attempts` times (the engine's "failed"), not because it asks something. */
  get failed(): boolean {
    return this.task.folder === 'current' && this.engineItem?.kind === 'failed';
  }

  /**
   * `task:<folder>:<status>` then what may be done to it, as the engine would accept it:
   * `decidable` (a decision on its head: override, request changes), `approvable` (a review waiting
   * for you that a plain Approve may merge: the engine's approvability for exactly the head shown)
   * or else `overridable` (the reviewer said NEEDS_CHANGES or REJECTED, or the engine has not said:
   * Override… asks for the reason), `retryable`, `movable` (back to pending), `answerable`,
   * `baseacceptable` (its merge waits for the base: Accept base), `failed`; then `review`,
   * `worktree`, `question`, `needsyou-<kind>`.
   */
  get contextValue(): string {
    const status = this.state?.status ?? this.task.status;
    const s = STATUS[status] as (typeof STATUS)[keyof typeof STATUS] | undefined;
    const parts = ['task', this.task.folder, status];
    const failed = this.failed;
    if (s && this.task.folder === 'current') {
      const decidable = s.decidable && !!this.state?.headSha;
      if (decidable) parts.push('decidable');
      if (decidable && s.approvable) {
        const item = this.engineItem;
        const approvable = item?.kind === 'review' && item.sha === this.state?.headSha && item.approvable?.approvable === true;
        parts.push(approvable ? 'approvable' : 'overridable');
      }
      if (s.retryable) parts.push('retryable');
      if (s.movable) parts.push('movable');
      if (s.needsYou === 'question' && !failed) parts.push('answerable');
      if (s.needsYou === 'base') parts.push('baseacceptable');
      if (failed) parts.push('failed');
    }
    if (failed || s?.reviewable || (this.state?.rounds.length ?? 0) > 0 || (this.task.reviewRounds ?? 0) > 0) parts.push('review');
    if (this.worktree && this.task.folder === 'current') parts.push('worktree');
    if (!failed && (this.task.question || s?.needsYou === 'question')) parts.push('question');
    if (this.needsYou) parts.push(`needsyou-${this.needsYou.kind}`);
    return parts.join(':');
  }

  /** Words for its state: the engine's "Needs you" words, a failure's own words, else the status table's. */
  words(): string {
    if (this.failed) return failedWords(this.state);
    if (this.needsYou) return needsYouWords(this.needsYou);
    return describeTaskStatus(this.state?.status ?? this.task.status, currentRound(this.state, this.task.reviewRounds));
  }

  getTreeItem(): vscode.TreeItem {
    const status = this.state?.status ?? this.task.status;
    const item = new vscode.TreeItem(this.task.title || this.task.id, vscode.TreeItemCollapsibleState.None);
    // Stable while the task moves between Pending / Current / Blocked / Complete: VS Code maps a
    // menu's target back to the element by this id, so an action never loses its task to a refresh.
    // The "Needs you" copy of the task is a second item of its own.
    item.id = this.key();
    const words = this.words();
    const pending = this.task.folder === 'pending';
    const deps =
      pending && this.task.cannotRun
        ? `can never start: ${this.task.cannotRun}`
        : pending && this.task.dependsOn.length
          ? `after ${this.task.dependsOn.join(', ')}`
          : undefined;
    item.description = [this.task.id, this.worker, words, deps, this.state?.usage?.costUsd !== undefined ? formatUsd(this.state.usage.costUsd) : undefined]
      .filter(Boolean)
      .join(' · ');
    const icon = this.failed ? FAILED_ICON : taskStatusIcon(status);
    item.iconPath = new vscode.ThemeIcon(icon.id, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
    item.tooltip = this.tooltip(words);
    item.contextValue = this.contextValue;
    item.command = { command: Commands.openTask, title: 'Open task', arguments: [this.toTaskRef()] };
    return item;
  }

  private tooltip(words: string): vscode.MarkdownString {
    // Task files are data written by agents: render them as text, never as HTML or commands.
    const md = new vscode.MarkdownString(undefined, false);
    md.isTrusted = false;
    md.supportHtml = false;
    md.appendText(`${this.task.title}\n\n`);
    md.appendText(`${this.task.id} — ${words}${this.worker ? ` — ${this.worker}` : ''}\n`);
    const question = this.needsYou?.question ?? this.task.question;
    if (question) md.appendText(`\n${this.failed ? 'Why' : 'Question'}: ${question}\n`);
    if (this.task.cannotRun) md.appendText(`\nCan never start: ${this.task.cannotRun}\n`);
    if (this.task.folder === 'current') {
      if (this.state?.ports) md.appendText(`\nWorktree ${formatPorts(this.state.ports)} (SWARM_PORT)\n`);
      for (const c of this.state?.predictedConflicts ?? []) md.appendText(`\n⚠ ${describeConflict(c)}\n`);
    }
    const cost = costWords(this.state?.usage, this.state?.budgetUsd);
    if (cost) md.appendText(`\nCost (all rounds and reviews): ${cost}\n`);
    const frontmatter = formatFrontmatter(this.task.meta);
    if (frontmatter) md.appendCodeblock(frontmatter, 'yaml');
    return md;
  }
}

export class QuarantinedNode extends TreeNode {
  constructor(
    parent: TreeNode,
    readonly session: SwarmSession,
    readonly entry: QuarantinedTask,
  ) {
    super(parent);
  }
  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.entry.file.split(/[\\/]/).pop() ?? this.entry.file, vscode.TreeItemCollapsibleState.None);
    item.id = `quarantined:${this.entry.file}`;
    item.description = this.entry.reason;
    item.tooltip = `${this.entry.file}\n${this.entry.reason}`;
    item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
    item.contextValue = 'quarantined';
    item.command = { command: 'vscode.open', title: 'Open file', arguments: [vscode.Uri.file(this.entry.file)] };
    return item;
  }
}

function needsYouWords(item: NeedsYouItem): string {
  switch (item.kind) {
    case 'review':
      return 'review waiting for you';
    case 'question':
      return 'question for you';
    case 'local_changes':
      return 'merge waits for your local changes';
    case 'base':
      return 'waits for the base branch';
    case 'failed':
      return 'failed';
  }
}

const FAILED_ICON = { id: 'error', color: 'problemsErrorIcon.foreground' };

function failedWords(state: TaskRuntimeState | undefined): string {
  return state?.attempts ? `failed ${state.attempts === 1 ? 'once' : `${state.attempts} times`}` : 'failed';
}

/** The groups of one repository; empty when there is nothing to show (the welcome view shows). */
export function sessionGroups(session: SwarmSession, parent: TreeNode | undefined): TreeNode[] {
  if (session.state === 'configError') {
    // Each error on its own row, as an error; a click opens the config.
    const lines = (session.error ?? 'the config could not be read')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    return lines.map(
      (line, i) =>
        new MessageNode(parent, `Config error: ${line}`, {
          icon: 'error',
          color: 'problemsErrorIcon.foreground',
          tooltip: line,
          command: { command: Commands.openConfig, title: 'Open config', arguments: [session.root] },
          id: `error:${session.root}:${i}`,
        }),
    );
  }
  if (session.state !== 'ready' && session.state !== 'noConfig') return [];
  if (!session.hasAnyTask && session.snapshot.needsYou.length === 0) return [];
  const { tasks, states, needsYou } = session.snapshot;
  const failedIds = new Set(needsYou.filter((n) => n.kind === 'failed').map((n) => n.taskId));
  const isBlocked = (t: Task) => !failedIds.has(t.id) && STATUS[states.get(t.id)?.status ?? t.status]?.needsYou === 'question';
  const isFailed = (t: Task) => failedIds.has(t.id);
  const taskNodes = (list: Task[]) => (group: TreeNode) => list.map((t) => new TaskNode(group, session, t, states.get(t.id)));
  const groups: TreeNode[] = [];
  // Each group knows its count without making its rows (the kept tree asks every group's key: keptTree.ts).
  const group = (kind: TaskGroupKind, list: Task[]) => new TaskGroupNode(parent, session, kind, taskNodes(list), list.length);
  if (needsYou.length) {
    const waiting = needsYou.flatMap((n) => {
      const task = tasks.current.find((t) => t.id === n.taskId) ?? tasks.pending.find((t) => t.id === n.taskId);
      return task ? [{ n, task }] : [];
    });
    groups.push(
      new TaskGroupNode(
        parent,
        session,
        'needsYou',
        (g) => waiting.map(({ n, task }) => new TaskNode(g, session, task, states.get(task.id), n)),
        waiting.length,
      ),
    );
  }
  // The engine takes the lowest priority number first: list in the order work happens.
  const byPriority = (a: Task, b: Task) => a.priority - b.priority || a.id.localeCompare(b.id);
  groups.push(group('pending', [...tasks.pending].sort(byPriority)));
  groups.push(
    group(
      'current',
      tasks.current.filter((t) => !isBlocked(t) && !isFailed(t)),
    ),
  );
  groups.push(group('blocked', tasks.current.filter(isBlocked)));
  // A task that failed max_attempts times is not a question: a group of its own, shown only when there is one.
  const failed = tasks.current.filter(isFailed);
  if (failed.length) groups.push(group('failed', failed));
  const newestFirst = [...tasks.complete].sort((a, b) => (b.completedAt ?? '').localeCompare(a.completedAt ?? ''));
  groups.push(
    new TaskGroupNode(
      parent,
      session,
      'complete',
      (group) => {
        // A long-lived repository collects thousands of finished tasks: show the newest ones.
        const shown = taskNodes(newestFirst.slice(0, MAX_COMPLETE_SHOWN))(group);
        const hidden = newestFirst.length - shown.length;
        return hidden > 0
          ? [
              ...shown,
              new MessageNode(group, `${hidden} older tasks in ${session.workspace?.config.tasksDir ?? 'tasks'}/complete`, {
                icon: 'ellipsis',
                id: `more:${session.root}`,
              }),
            ]
          : shown;
      },
      newestFirst.length,
    ),
  );
  if (tasks.quarantined.length)
    groups.push(
      new TaskGroupNode(parent, session, 'quarantined', (g) => tasks.quarantined.map((q) => new QuarantinedNode(g, session, q)), tasks.quarantined.length),
    );
  return groups;
}

function stateMessage(session: SwarmSession): string {
  switch (session.state) {
    case 'loading':
      return 'Loading…';
    case 'noGit':
      return 'Not a git repository';
    case 'noConfig':
      return 'No swarm.json — run "Initialize swarm"';
    default:
      return 'No tasks yet';
  }
}

export class TasksTreeProvider extends KeptTreeProvider {
  protected readonly view = Views.tasks;
  constructor(protected override readonly registry: SessionRegistry) {
    super(registry);
  }

  protected roots(): TreeNode[] {
    const sessions = this.registry.sessions;
    if (sessions.length === 0) return [];
    if (sessions.length === 1) return sessionGroups(sessions[0], undefined);
    return sessions.map((s) => new RepositoryNode(s));
  }

  /** Items waiting for the user across every repository (the view's badge). */
  needsYouCount(): number {
    return this.registry.sessions.reduce((n, s) => n + s.snapshot.needsYou.length, 0);
  }
}
