// Tree items as small node classes, after GitHub Pull Requests' `TreeNode`: each node knows its
// own TreeItem and children, the provider only walks them. Command handlers receive the node
// that was clicked and ask it for a TaskRef / WorktreeRef, so the palette, the tree and the
// notification buttons all end up with the same argument.

import * as vscode from 'vscode';
import { appendFileSync } from 'node:fs';
import type { ViewId } from './constants';

/**
 * The plumbing both views share: walk the nodes, and tell VS Code the view changed only when what it
 * shows changed. The sessions change many times a second while a swarm runs (worker states, polls);
 * a tree refresh re-renders every row and, while it runs, VS Code cannot map a menu's target back to
 * its element (the command then gets no argument). So each change renders the items to a signature
 * and fires only when it differs from the last one: a refresh with equal content fires nothing.
 * Subclasses say what the top level is.
 */
export abstract class SessionTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  protected readonly emitter = new vscode.EventEmitter<TreeNode | undefined | void>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;
  private signature: string | undefined;
  /** How many times the view was told to re-render (tests, the idle-noise check). */
  changeEvents = 0;

  constructor(protected readonly registry: { onDidChange: vscode.Event<unknown> }) {
    this.subscription = registry.onDidChange(() => this.refreshIfChanged());
  }

  protected abstract roots(): TreeNode[];
  /** The view this provider draws (for the redraw trace). */
  protected abstract readonly view: ViewId;

  /** Fire a change when the rendered items differ from the last render; returns whether it fired. */
  refreshIfChanged(): boolean {
    const signature = treeSignature(this.roots());
    if (signature === this.signature) return false;
    traceRedraw(this.view, this.signature, signature);
    this.signature = signature;
    this.changeEvents++;
    this.emitter.fire();
    return true;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.getTreeItem();
  }

  getChildren(node?: TreeNode): TreeNode[] {
    if (node) return node.getChildren();
    const roots = this.roots();
    // What VS Code renders now is the baseline the next change is compared with.
    this.signature ??= treeSignature(roots);
    return roots;
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent;
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}

/**
 * With SWARM_TRACE_VIEWS=<file> in the extension host's environment, every redraw a view asks of
 * VS Code is appended to that file with the rows that changed (the lines of treeSignature): how the
 * idle check (docs/architecture.md) tells "the extension redrew" from "VS Code re-rendered".
 */
export function traceRedraw(view: ViewId, before: string | undefined, after: string): void {
  if (!process.env.SWARM_TRACE_VIEWS) return;
  const old = new Set((before ?? '').split('\n'));
  const now = new Set(after.split('\n'));
  const gone = [...old].filter((l) => !now.has(l)).map((l) => `  - ${l.slice(0, 300)}`);
  const added = [...now].filter((l) => !old.has(l)).map((l) => `  + ${l.slice(0, 300)}`);
  traceView(view, [...gone, ...added].join('\n'));
}

/** One entry of the SWARM_TRACE_VIEWS file: what changed (a view's rows, a context key, a badge). */
export function traceView(what: string, detail: string): void {
  const file = process.env.SWARM_TRACE_VIEWS;
  if (!file) return;
  try {
    appendFileSync(file, `${new Date().toISOString()} ${what}\n${detail}\n`);
  } catch {
    /* a trace must never break the view */
  }
}

/** Everything a row shows or carries (label, words, icon, tooltip, menus, click), for the whole tree. */
export function treeSignature(nodes: TreeNode[], depth = 0): string {
  const parts: string[] = [];
  for (const node of nodes) {
    const item = node.getTreeItem();
    parts.push(itemSignature(item));
    if (item.collapsibleState !== vscode.TreeItemCollapsibleState.None && depth < 4) parts.push(`[${treeSignature(node.getChildren(), depth + 1)}]`);
  }
  return parts.join('\n');
}

/** Everything one row shows or carries, without its children. */
export function itemSignature(item: vscode.TreeItem): string {
  const icon = item.iconPath instanceof vscode.ThemeIcon ? `${item.iconPath.id}|${(item.iconPath.color as { id?: string } | undefined)?.id ?? ''}` : '';
  const tooltip = typeof item.tooltip === 'string' ? item.tooltip : item.tooltip?.value;
  const args = item.command?.arguments?.map((a) => (a instanceof TreeNode ? 'node' : a));
  return JSON.stringify([
    item.id,
    item.label,
    item.description,
    item.contextValue,
    icon,
    tooltip,
    item.collapsibleState,
    item.command?.command,
    args,
    item.resourceUri?.fsPath,
  ]);
}

export abstract class TreeNode {
  constructor(readonly parent: TreeNode | undefined) {}
  abstract getTreeItem(): vscode.TreeItem;
  getChildren(): TreeNode[] {
    return [];
  }
  /** What a kept row is known by across renders (src/extension/keptTree.ts): its item id, else its label. */
  key(): string {
    const item = this.getTreeItem();
    return item.id ?? `label:${typeof item.label === 'string' ? item.label : (item.label?.label ?? '')}`;
  }
  /**
   * Take the state of a newer render of the same row (same key, same class, same parent), so this
   * object stays the element VS Code holds (src/extension/keptTree.ts).
   */
  adopt(fresh: this): void {
    const parent = this.parent;
    Object.assign(this, fresh);
    (this as { parent: TreeNode | undefined }).parent = parent;
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
  constructor(
    parent: TreeNode | undefined,
    private readonly label: string,
    private readonly options: { icon?: string; color?: string; tooltip?: string; command?: vscode.Command; id?: string } = {},
  ) {
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
