// The Worktrees view: every swarm worktree with its branch, worker, task, state and commits
// ahead of the base; its changed files open in the native diff editor against the base.
// Worktrees left by an earlier run (orphaned) are flagged with their disk use so the user can
// clean them up (the engine archives unmerged work before removing anything).

import * as vscode from 'vscode';
import { basename, dirname } from 'node:path';
import type { WorktreeInfo } from '../swarm/types';
import { Commands, Views } from './constants';
import { describeTaskStatus, formatBytes, plural } from './format';
import { formatPorts } from '../swarm/ports';
import { describeConflict } from '../swarm/conflictText';
import type { SwarmSession } from './session';
import type { SessionRegistry } from './sessions';
import { MessageNode, SessionTreeProvider, TreeNode, type WorktreeRef } from './treeNode';

export class WorktreeRepositoryNode extends TreeNode {
  constructor(readonly session: SwarmSession) {
    super(undefined);
  }
  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.session.name, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `wt-repo:${this.session.root}`;
    item.iconPath = new vscode.ThemeIcon('repo');
    item.contextValue = 'repository';
    return item;
  }
  override getChildren(): TreeNode[] {
    const nodes = worktreeNodes(this.session, this);
    return nodes.length ? nodes : [new MessageNode(this, 'No worktrees', { icon: 'info' })];
  }
}

export class WorktreeNode extends TreeNode {
  constructor(
    parent: TreeNode | undefined,
    readonly session: SwarmSession,
    readonly worktree: WorktreeInfo,
  ) {
    super(parent);
  }

  toWorktreeRef(): WorktreeRef {
    return { root: this.session.root, path: this.worktree.path };
  }

  /** `worktree:active|orphaned` plus `:dirty` and `:task` flags for the menus. */
  get contextValue(): string {
    const parts = ['worktree', this.worktree.orphaned ? 'orphaned' : 'active'];
    if (this.worktree.dirty) parts.push('dirty');
    if (this.worktree.taskId) parts.push('task');
    return parts.join(':');
  }

  getTreeItem(): vscode.TreeItem {
    const wt = this.worktree;
    const item = new vscode.TreeItem(
      wt.branch || basename(wt.path),
      wt.changedFiles.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = `worktree:${wt.path}`;
    const parts: string[] = [];
    if (wt.orphaned) parts.push(`orphaned · ${formatBytes(wt.diskBytes)}`);
    if (wt.taskId) parts.push(wt.taskId);
    if (wt.workerId) parts.push(wt.workerId);
    if (wt.status) parts.push(describeTaskStatus(wt.status));
    parts.push(`${wt.ahead} ahead`);
    if (wt.changedFiles.length) parts.push(plural(wt.changedFiles.length, 'file'));
    if (wt.dirty) parts.push('uncommitted changes');
    if (wt.ports && !wt.orphaned) parts.push(formatPorts(wt.ports));
    for (const c of wt.conflicts ?? []) parts.push(`⚠ ${describeConflict(c)}`);
    // Whether the agents working here are confined (src/swarm/sandbox.ts): said where people look.
    const sandbox = this.session.workspace?.sandbox;
    if (sandbox && !sandbox.sandboxed && !wt.orphaned) parts.push('not sandboxed');
    item.description = parts.join(' · ');
    item.iconPath = wt.orphaned ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')) : new vscode.ThemeIcon('git-branch');
    const md = new vscode.MarkdownString(undefined, false);
    md.appendText(
      `${wt.path}\nbranch ${wt.branch} at ${wt.head.slice(0, 12)}\n${wt.ahead} commit(s) ahead of the base${wt.dirty ? ', uncommitted changes' : ''}`,
    );
    if (wt.ports && !wt.orphaned)
      md.appendText(`\nPorts: ${wt.ports.first}–${wt.ports.first + wt.ports.count - 1} (SWARM_PORT=${wt.ports.first}, SWARM_PORT_COUNT=${wt.ports.count})`);
    for (const c of wt.conflicts ?? []) md.appendText(`\n⚠ ${describeConflict(c)} (an off-tree merge says so; merge one first or bring it in)`);
    if (sandbox && !wt.orphaned)
      md.appendText(
        sandbox.sandboxed
          ? '\nAgents here run sandboxed: they write this worktree and its branch, nothing else of yours (docs/security.md).'
          : `\n⚠ ${sandbox.reason}`,
      );
    if (wt.orphaned)
      md.appendText(
        `\nOrphaned: no live run owns it and no current task uses it (${formatBytes(wt.diskBytes)} on disk). "Clean up worktree" keeps unmerged commits in an archive ref before removing it.`,
      );
    item.tooltip = md;
    item.contextValue = this.contextValue;
    return item;
  }

  override getChildren(): TreeNode[] {
    return this.worktree.changedFiles.map((f) => new ChangedFileNode(this, f));
  }
}

export class ChangedFileNode extends TreeNode {
  constructor(
    readonly parentWorktree: WorktreeNode,
    readonly file: { path: string; status: string },
  ) {
    super(parentWorktree);
  }
  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(basename(this.file.path), vscode.TreeItemCollapsibleState.None);
    const wt = this.parentWorktree.worktree;
    item.id = `file:${wt.path}:${this.file.path}`;
    const dir = dirname(this.file.path);
    item.description = `${dir === '.' ? '' : `${dir} · `}${this.file.status}`;
    // resourceUri gives the file-type icon of the user's theme.
    item.resourceUri = vscode.Uri.file(`${wt.path}/${this.file.path}`);
    item.tooltip = `${this.file.path} (${this.file.status})`;
    item.contextValue = 'worktreeFile';
    item.command = { command: Commands.openChangedFile, title: 'Open changes', arguments: [this] };
    return item;
  }
}

export function worktreeNodes(session: SwarmSession, parent: TreeNode | undefined): TreeNode[] {
  // Active worktrees first (by task), orphaned ones after.
  const sorted = [...session.snapshot.worktrees].sort(
    (a, b) => Number(a.orphaned) - Number(b.orphaned) || (a.taskId ?? a.branch).localeCompare(b.taskId ?? b.branch),
  );
  return sorted.map((wt) => new WorktreeNode(parent, session, wt));
}

export class WorktreesTreeProvider extends SessionTreeProvider {
  protected readonly view = Views.worktrees;
  constructor(protected override readonly registry: SessionRegistry) {
    super(registry);
  }

  protected roots(): TreeNode[] {
    const sessions = this.registry.sessions.filter((s) => s.isGitRepo);
    if (sessions.length === 1) return worktreeNodes(sessions[0], undefined);
    return sessions.map((s) => new WorktreeRepositoryNode(s));
  }
}
