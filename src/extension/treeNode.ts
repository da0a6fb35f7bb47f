// Tree items as small node classes, after GitHub Pull Requests' `TreeNode`: each node knows its
// own TreeItem and children, the provider only walks them. Command handlers receive the node
// that was clicked and ask it for a TaskRef / WorktreeRef, so the palette, the tree and the
// notification buttons all end up with the same argument.

import * as vscode from 'vscode';

/**
 * The plumbing both views share: refresh whenever the sessions change, walk the nodes. Subclasses
 * say what the top level is.
 */
export abstract class SessionTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | undefined | void>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;

  constructor(protected readonly registry: { onDidChange: vscode.Event<unknown> }) {
    this.subscription = registry.onDidChange(() => this.emitter.fire());
  }

  protected abstract roots(): TreeNode[];

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.getTreeItem();
  }

  getChildren(node?: TreeNode): TreeNode[] {
    return node ? node.getChildren() : this.roots();
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent;
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}

export abstract class TreeNode {
  constructor(readonly parent: TreeNode | undefined) {}
  abstract getTreeItem(): vscode.TreeItem;
  getChildren(): TreeNode[] {
    return [];
  }
}

/** What a task command acts on. `sha` is the commit the user saw, for decisions. */
export interface TaskRef {
  root: string;
  taskId: string;
  sha?: string;
}

export interface WorktreeRef {
  root: string;
  path: string;
}

export function isTaskRef(value: unknown): value is TaskRef {
  return typeof value === 'object' && value !== null && typeof (value as TaskRef).taskId === 'string' && typeof (value as TaskRef).root === 'string';
}

export function isWorktreeRef(value: unknown): value is WorktreeRef {
  return typeof value === 'object' && value !== null && typeof (value as WorktreeRef).path === 'string' && typeof (value as WorktreeRef).root === 'string';
}

/** A single line in a tree: a note or an error, optionally clickable. */
export class MessageNode extends TreeNode {
  constructor(parent: TreeNode | undefined, private readonly label: string, private readonly options: { icon?: string; color?: string; tooltip?: string; command?: vscode.Command; id?: string } = {}) {
    super(parent);
  }
  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.None);
    if (this.options.icon) item.iconPath = new vscode.ThemeIcon(this.options.icon, this.options.color ? new vscode.ThemeColor(this.options.color) : undefined);
    item.tooltip = this.options.tooltip;
    item.command = this.options.command;
    item.contextValue = 'message';
    item.id = this.options.id;
    return item;
  }
}
