// The Merge queue view: what is queued, being merged or checked, waiting for the user's local
// changes (each file a child that opens it) or for the base branch, and why. The entries come from
// src/shared/mergeQueueModel.ts (task statuses + merge events); a click opens the task's review.

import * as vscode from 'vscode';
import { join } from 'node:path';
import { buildMergeQueue, MergeQueueLog, type MergeQueueEntry, type MergeQueueKind } from '../shared/mergeQueueModel';
import { Commands, Views } from './constants';
import type { SwarmSession } from './session';
import type { SessionRegistry } from './sessions';
import { MessageNode, SessionTreeProvider, TreeNode } from './treeNode';
import { elapsed } from './workersTree';

const ICONS: Record<MergeQueueKind, { id: string; color?: string; words: string }> = {
  merging: { id: 'git-merge', color: 'charts.blue', words: 'merging' },
  checking: { id: 'beaker', color: 'charts.blue', words: 'merge check' },
  queued: { id: 'list-ordered', words: 'queued' },
  waiting_local_changes: { id: 'warning', color: 'charts.orange', words: 'waiting for your local changes' },
  waiting_base: { id: 'watch', color: 'charts.orange', words: 'waiting for the base' },
};

class QueueFileNode extends TreeNode {
  constructor(
    parent: TreeNode,
    private readonly root: string,
    private readonly file: string,
    private readonly taskId: string,
  ) {
    super(parent);
  }
  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.file, vscode.TreeItemCollapsibleState.None);
    item.id = `mergequeue-file:${this.root}:${this.taskId}:${this.file}`;
    item.resourceUri = vscode.Uri.file(join(this.root, this.file));
    item.description = 'uncommitted, in the way';
    item.contextValue = 'mergequeue-file';
    item.command = { command: 'vscode.open', title: 'Open file', arguments: [item.resourceUri] };
    return item;
  }
}

export class MergeQueueNode extends TreeNode {
  constructor(
    parent: TreeNode | undefined,
    readonly session: SwarmSession,
    readonly entry: MergeQueueEntry,
  ) {
    super(parent);
  }
  getTreeItem(): vscode.TreeItem {
    const e = this.entry;
    const icon = ICONS[e.kind];
    const item = new vscode.TreeItem(e.title || e.taskId, e.files?.length ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    item.id = `mergequeue:${this.session.root}:${e.taskId}`;
    item.description = [icon.words, e.taskId, elapsed(e.since ? new Date(e.since).toISOString() : undefined)].filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon(icon.id, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
    const md = new vscode.MarkdownString(undefined, false);
    md.isTrusted = false;
    md.appendText(`${e.taskId}: ${icon.words}\n${e.why}\n`);
    if (e.files?.length) md.appendText(`Files: ${e.files.join(', ')}\n`);
    if (e.lastCheck)
      md.appendText(`Last merge check: ${e.lastCheck.ok ? 'passed' : e.lastCheck.timedOut ? 'timed out' : `failed (exit ${e.lastCheck.exitCode})`}\n`);
    item.tooltip = md;
    item.contextValue = `mergequeue:${e.kind}`;
    item.command = { command: Commands.openReview, title: 'Open review', arguments: [{ root: this.session.root, taskId: e.taskId }] };
    return item;
  }
  override getChildren(): TreeNode[] {
    return (this.entry.files ?? []).map((f) => new QueueFileNode(this, this.session.root, f, this.entry.taskId));
  }
}

class QueueRepositoryNode extends TreeNode {
  constructor(
    readonly session: SwarmSession,
    private readonly log: MergeQueueLog,
  ) {
    super(undefined);
  }
  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.session.name, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `mergequeue-repo:${this.session.root}`;
    item.iconPath = new vscode.ThemeIcon('repo');
    return item;
  }
  override getChildren(): TreeNode[] {
    return queueNodes(this, this.session, this.log);
  }
}

function queueNodes(parent: TreeNode | undefined, session: SwarmSession, log: MergeQueueLog): TreeNode[] {
  const current = session.snapshot.tasks.current;
  log.keepOnly(new Set(current.map((t) => t.id)));
  const ws = session.workspace;
  const check = ws?.config.mergeCheck;
  const entries = buildMergeQueue(current, log, {
    check: check ? { batch: check.batch } : undefined,
    running: Boolean(session.activeRun),
    base: ws?.base ?? 'the base',
  });
  if (!entries.length) return [new MessageNode(parent, 'Nothing waits to merge', { icon: 'check', id: `mergequeue-none:${session.root}` })];
  return entries.map((e) => new MergeQueueNode(parent, session, e));
}

export class MergeQueueTreeProvider extends SessionTreeProvider {
  protected readonly view = Views.mergeQueue;
  private readonly logs = new Map<string, MergeQueueLog>();
  private readonly changed: vscode.EventEmitter<void>;
  private readonly sub: vscode.Disposable;

  constructor(private readonly sessions: SessionRegistry) {
    const changed = new vscode.EventEmitter<void>();
    super({
      onDidChange: (l, t, d) => {
        const a = sessions.onDidChange(l, t, d);
        const b = changed.event(l, t, d);
        return {
          dispose: () => {
            a.dispose();
            b.dispose();
          },
        };
      },
    });
    this.changed = changed;
    // Merge events carry what the statuses do not (the files in the way, the queue order).
    this.sub = sessions.onEvent(({ session, event }) => {
      if (this.logOf(session.root).observe(event)) this.changed.fire();
    });
  }

  private logOf(root: string): MergeQueueLog {
    let l = this.logs.get(root);
    if (!l) {
      l = new MergeQueueLog();
      this.logs.set(root, l);
    }
    return l;
  }

  protected roots(): TreeNode[] {
    const list = this.sessions.sessions.filter((s) => s.isGitRepo);
    if (list.length === 1) return queueNodes(undefined, list[0], this.logOf(list[0].root));
    return list.map((s) => new QueueRepositoryNode(s, this.logOf(s.root)));
  }

  override dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
    super.dispose();
  }
}
