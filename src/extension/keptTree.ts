// A tree whose rows keep their objects across refreshes, and whose refreshes name the rows that
// changed (the Tasks view). Why: on a whole-tree refresh VS Code's extension host forgets every
// row's element until the view has fetched the tree again; a context-menu or inline action clicked
// in that window reaches its command with no argument, and the command had to ask "which task?".
// Refreshing one element re-registers that element only (the same object under the same id), and
// every other row keeps its element throughout. So:
//
//   - the nodes VS Code fetched are kept, per parent, by their key (the item id): a newer render of
//     the same row is adopted into the kept object (TreeNode.adopt);
//   - a row whose own rendering changed (words, icon, menus) is refreshed alone;
//   - a parent whose list of children changed (a row added, gone, moved) is refreshed with its
//     children: the group, not the tree;
//   - the whole tree only when its top level changes (a group appears, a repository is added).
//
// WorkersTreeProvider (src/extension/workersTree.ts) keeps its worker rows the same way by hand.
//
// What remains (VS Code issues #144250, #283655): refreshing a parent makes the extension host drop
// the handles of its rows at once and register them again only when the view fetches the parent's
// children. An action clicked on one of those rows in between reaches its command with `undefined`.
// So the provider says which rows VS Code holds no element for right now (`forgottenRows`): the rows
// of every parent it refreshed that VS Code has not fetched again (commandTarget.ts uses them).

import type * as vscode from 'vscode';
import { itemSignature, SessionTreeProvider, traceRedraw, type TreeNode } from './treeNode';

const ROOT = Symbol('root');
type Parent = TreeNode | typeof ROOT;

export abstract class KeptTreeProvider extends SessionTreeProvider {
  /** The children VS Code last fetched, per parent (the top level under ROOT). */
  private readonly shown = new Map<Parent, TreeNode[]>();
  /** The item VS Code last got for each row (getTreeItem); its signature is made when first compared. */
  private readonly drawn = new WeakMap<TreeNode, { item: vscode.TreeItem; signature?: string }>();
  /**
   * Per parent refreshed and not fetched again since: the rows below it VS Code drops. `dropped`: VS
   * Code has dropped them (it asks for the parent's item right then), so the parent's next fetch is
   * the one that registers them again; a fetch before that is an earlier refresh's. The top level's
   * drop shows no such sign: its rows are kept until its second fetch (more rows than dropped only
   * make a click ambiguous, never take the wrong row).
   */
  private readonly refetching = new Map<Parent, { rows: Set<TreeNode>; dropped: boolean; fetches: number }>();
  /** VS Code is fetching the top level in this turn of the event loop (it asks for each group's item). */
  private fetchingTop = false;

  override getTreeItem(node: TreeNode): vscode.TreeItem {
    const pending = this.refetching.get(node);
    if (pending && !this.fetchingTop) pending.dropped = true;
    const item = node.getTreeItem();
    this.drawn.set(node, { item });
    return item;
  }

  override getChildren(node?: TreeNode): TreeNode[] {
    const parent: Parent = node ?? ROOT;
    // VS Code fetches what it dropped: those rows have their elements again.
    const pending = this.refetching.get(parent);
    if (pending && (parent === ROOT ? ++pending.fetches >= 2 : pending.dropped)) this.refetching.delete(parent);
    if (parent === ROOT && !this.fetchingTop) {
      this.fetchingTop = true;
      setImmediate(() => (this.fetchingTop = false));
    }
    const list = this.reconcile(parent, node ? node.getChildren() : this.roots());
    const before = this.shown.get(parent);
    if (before) {
      const now = new Set(list);
      for (const gone of before) if (!now.has(gone)) this.forget(gone);
    }
    this.shown.set(parent, list);
    return list;
  }

  private drawnSignature(node: TreeNode): string | undefined {
    const d = this.drawn.get(node);
    if (d) d.signature ??= itemSignature(d.item);
    return d?.signature;
  }

  /** The fresh rows of this parent, as the objects VS Code holds where the key is the same. */
  private reconcile(parent: Parent, fresh: TreeNode[]): TreeNode[] {
    const before = this.shown.get(parent);
    if (!before?.length) return fresh;
    const kept = new Map<string, TreeNode>();
    for (const n of before) kept.set(n.key(), n);
    const used = new Set<TreeNode>();
    return fresh.map((f) => {
      const k = kept.get(f.key());
      if (!k || used.has(k) || k.constructor !== f.constructor) return f;
      used.add(k);
      k.adopt(f);
      return k;
    });
  }

  /**
   * The rows whose elements VS Code dropped in a refresh and has not fetched again: a menu or inline
   * action clicked on one of them now reaches its command with no argument. Read it when such a
   * command arrives (before any await): VS Code fetches them again moments later.
   */
  forgottenRows(): TreeNode[] {
    return [...new Set([...this.refetching.values()].flatMap((p) => [...p.rows]))];
  }

  /** The rows below `parent` that VS Code holds (fetched), at every depth. */
  private shownBelow(parent: Parent): TreeNode[] {
    return (this.shown.get(parent) ?? []).flatMap((n) => [n, ...this.shownBelow(n)]);
  }

  private forget(node: TreeNode): void {
    const children = this.shown.get(node);
    this.shown.delete(node);
    this.refetching.delete(node); // gone from the view: its rows can no longer be clicked
    for (const c of children ?? []) this.forget(c);
  }

  /** Refresh the rows whose rendering changed, the parents whose children changed; returns whether it fired. */
  override refreshIfChanged(): boolean {
    if (!this.shown.has(ROOT)) return false; // not drawn yet: VS Code fetches the current rows when it draws
    const changed = new Set<TreeNode>();
    const traces: [string, string][] = [];
    let whole = false;
    const walk = (parent: Parent) => {
      const before = this.shown.get(parent) ?? [];
      const now = this.reconcile(parent, parent === ROOT ? this.roots() : parent.getChildren());
      if (now.length !== before.length || now.some((n, i) => n !== before[i])) {
        traces.push([before.map((n) => this.drawnSignature(n) ?? '').join('\n'), now.map((n) => itemSignature(n.getTreeItem())).join('\n')]);
        if (parent === ROOT) whole = true;
        else changed.add(parent);
        return;
      }
      for (const n of now) {
        const drawn = this.drawnSignature(n);
        if (drawn !== undefined) {
          const sig = itemSignature(n.getTreeItem());
          if (sig !== drawn) {
            changed.add(n);
            traces.push([drawn, sig]);
          }
        }
        if (this.shown.has(n)) walk(n);
      }
    };
    walk(ROOT);
    if (!whole && !changed.size) return false;
    for (const [before, after] of traces) traceRedraw(this.view, before, after);
    this.changeEvents++;
    // What VS Code drops with each refresh: the rows below it (a row refreshed alone keeps its element).
    for (const p of whole ? [ROOT as Parent] : changed) {
      const below = this.shownBelow(p);
      if (!below.length) continue;
      const pending = this.refetching.get(p) ?? { rows: new Set<TreeNode>(), dropped: false, fetches: 0 };
      for (const n of below) pending.rows.add(n);
      pending.dropped = false;
      pending.fetches = 0;
      this.refetching.set(p, pending);
    }
    if (whole) this.emitter.fire();
    else for (const n of changed) this.emitter.fire(n);
    return true;
  }
}
