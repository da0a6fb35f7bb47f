// The Workers view: each worker of a running swarm with its role, harness and model, state, task,
// iteration n of N, how long it has been in that state, and why it waits ("rate limited until
// 14:05", "run budget reached"). A click shows its agent output live (liveCommands.ts).

import * as vscode from 'vscode';
import type { WorkerInfo, WorkerState } from '../swarm/types';
import { formatUsage } from '../swarm/cost';
import type { SwarmSession } from './session';
import type { SessionRegistry } from './sessions';
import { MessageNode, SessionTreeProvider, TreeNode, traceRedraw, treeSignature } from './treeNode';
import type { LiveTurns } from './liveOutput';

import { Commands, Views } from './constants';
const SHOW_WORKER_OUTPUT = Commands.showWorkerOutput;

const ICONS: Record<WorkerState, { id: string; color?: string }> = {
  idle: { id: 'circle-large-outline' },
  claiming: { id: 'search' },
  running: { id: 'sync~spin', color: 'charts.blue' },
  reviewing: { id: 'eye', color: 'charts.purple' },
  merging: { id: 'git-merge', color: 'charts.blue' },
  waiting: { id: 'watch' },
  paused: { id: 'debug-pause', color: 'charts.orange' },
  stopped: { id: 'circle-slash' },
};

/** "3 s", "4 min", "2 h 5 min". */
export function elapsed(sinceIso: string | undefined, now = Date.now()): string | undefined {
  if (!sinceIso) return undefined;
  const s = Math.max(0, Math.round((now - Date.parse(sinceIso)) / 1000));
  if (!Number.isFinite(s)) return undefined;
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** Why a worker waits, in few words: "rate limited until 14:05". */
export function waitWords(w: WorkerInfo): string | undefined {
  if (!w.waitReason) return undefined;
  const until = w.waitUntil ? ` until ${new Date(w.waitUntil).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}` : '';
  const head = /^rate limited/.test(w.waitReason)
    ? 'rate limited'
    : /budget reached/.test(w.waitReason)
      ? 'budget reached'
      : /failures within/.test(w.waitReason)
        ? 'backing off after failures'
        : w.waitReason;
  return `${head}${until}`;
}

/**
 * What the Workers view's actions may do with a worker (the manifest's `when` clauses match these
 * flags): only a run of this window can pause or stop one of its workers (SwarmRun.pauseWorker).
 */
export function workerFlags(session: Pick<SwarmSession, 'activeRun'>, w: WorkerInfo): string {
  const run = session.activeRun;
  if (!run?.pauseWorker || w.state === 'stopped') return '';
  return `${w.paused ? ':resumable' : ':pausable'}:stoppable`;
}

export class WorkerNode extends TreeNode {
  /** The worker as last reported (a kept node is updated in place: see WorkersTreeProvider). */
  constructor(
    parent: TreeNode | undefined,
    readonly session: SwarmSession,
    public worker: WorkerInfo,
    private readonly turns: LiveTurns,
  ) {
    super(parent);
  }
  getTreeItem(): vscode.TreeItem {
    const w = this.worker;
    const item = new vscode.TreeItem(w.id, vscode.TreeItemCollapsibleState.None);
    item.id = `worker:${this.session.root}:${w.id}`;
    const agent = `${w.harness}${w.model ? ` ${w.model}` : ''}`;
    const wait = waitWords(w);
    const state =
      w.state === 'paused' && w.paused
        ? 'paused by you'
        : w.paused && w.state !== 'stopped'
          ? `${w.state}, pausing after this turn`
          : wait
            ? `${w.state}: ${wait}`
            : w.state;
    item.description = [w.role, agent, state, w.taskId, w.iterations ? `${w.iteration}/${w.iterations}` : undefined, elapsed(w.since)]
      .filter(Boolean)
      .join(' · ');
    const icon = ICONS[w.state] ?? { id: 'circle-filled' };
    item.iconPath = new vscode.ThemeIcon(icon.id, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
    const md = new vscode.MarkdownString(undefined, false);
    md.isTrusted = false;
    md.appendText(`${w.id} — ${w.role}, ${agent}\nState: ${w.state}${w.since ? ` since ${new Date(w.since).toLocaleTimeString()}` : ''}\n`);
    if (w.taskId) md.appendText(`Task: ${w.taskId}\n`);
    md.appendText(`Iteration ${w.iteration} of ${w.iterations}\n`);
    if (w.waitReason) md.appendText(`Waits: ${w.waitReason}${w.waitUntil ? ` (until ${new Date(w.waitUntil).toLocaleTimeString()})` : ''}\n`);
    if (w.stoppedReason) md.appendText(`Stopped: ${w.stoppedReason}\n`);
    const cost = formatUsage(this.turns.workerUsage(this.session.root, w.id));
    if (cost) md.appendText(`Cost this run: ${cost}\n`);
    item.tooltip = md;
    item.contextValue = `worker:${w.state}${workerFlags(this.session, w)}`;
    item.command = { command: SHOW_WORKER_OUTPUT, title: 'Show agent output', arguments: [{ root: this.session.root, workerId: w.id }] };
    return item;
  }
}

class WorkersRepositoryNode extends TreeNode {
  constructor(
    readonly session: SwarmSession,
    private readonly turns: LiveTurns,
  ) {
    super(undefined);
  }
  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.session.name, vscode.TreeItemCollapsibleState.Expanded);
    item.id = `workers:${this.session.root}`;
    item.iconPath = new vscode.ThemeIcon('repo');
    return item;
  }
  override getChildren(): TreeNode[] {
    return workerNodes(this, this.session, this.turns);
  }
}

function workerNodes(parent: TreeNode | undefined, session: SwarmSession, turns: LiveTurns): TreeNode[] {
  const workers = session.workers;
  if (!workers.length)
    return [new MessageNode(parent, session.activeRun ? 'Starting…' : 'No swarm is running', { icon: 'info', id: `workers-none:${session.root}` })];
  return workers.map((w) => new WorkerNode(parent, session, w, turns));
}

export class WorkersTreeProvider extends SessionTreeProvider {
  protected readonly view = Views.workers;
  /**
   * One node per worker, kept while the list of workers stays the same, and a change fired for
   * that node only: VS Code drops every row's handle on a whole-tree refresh, and an inline
   * action clicked then (Pause, Stop) would reach its command without its row. Workers change
   * state several times a second in a busy run.
   */
  private readonly kept = new Map<string, WorkerNode>();
  private readonly changes = new vscode.EventEmitter<TreeNode | undefined | void>();
  override readonly onDidChangeTreeData = this.changes.event;
  private shown: TreeNode[] | undefined;
  private readonly drawn = new Map<TreeNode, string>();

  constructor(
    private readonly sessions: SessionRegistry,
    private readonly turns: LiveTurns,
    tick: vscode.EventEmitter<void>,
  ) {
    super({
      onDidChange: (l, t, d) => {
        const a = sessions.onDidChange(l, t, d);
        const b = tick.event(l, t, d);
        return {
          dispose: () => {
            a.dispose();
            b.dispose();
          },
        };
      },
    });
  }

  protected roots(): TreeNode[] {
    const list = this.sessions.sessions.filter((s) => s.isGitRepo);
    if (list.length !== 1) return list.map((s) => new WorkersRepositoryNode(s, this.turns));
    const session = list[0];
    if (!session.workers.length) return workerNodes(undefined, session, this.turns);
    return session.workers.map((w) => {
      const key = `${session.root}\u0000${w.id}`;
      let n = this.kept.get(key);
      if (!n || n.session !== session) {
        n = new WorkerNode(undefined, session, w, this.turns);
        this.kept.set(key, n);
      } else n.worker = w;
      return n;
    });
  }

  override getChildren(node?: TreeNode): TreeNode[] {
    const out = super.getChildren(node);
    if (!node) this.remember(out); // what VS Code renders now
    return out;
  }

  private remember(roots: TreeNode[]): void {
    this.shown = roots;
    this.drawn.clear();
    for (const n of roots) this.drawn.set(n, treeSignature([n]));
  }

  override refreshIfChanged(): boolean {
    const roots = this.roots();
    const same = this.shown !== undefined && roots.length === this.shown.length && roots.every((n, i) => n === this.shown![i] && n instanceof WorkerNode);
    if (!same) {
      const before = this.shown;
      // The same rows (a message made anew, say): nothing to redraw; VS Code keeps what it has.
      if (before && treeSignature(before) === treeSignature(roots) && !roots.some((n, i) => n instanceof WorkerNode && n !== before[i])) return false;
      traceRedraw(this.view, before ? treeSignature(before) : undefined, treeSignature(roots));
      this.remember(roots);
      this.changeEvents++;
      this.changes.fire();
      return true;
    }
    let fired = false;
    for (const n of roots) {
      const sig = treeSignature([n]);
      if (this.drawn.get(n) === sig) continue;
      traceRedraw(this.view, this.drawn.get(n), sig);
      this.drawn.set(n, sig);
      this.changes.fire(n);
      fired = true;
    }
    if (fired) this.changeEvents++;
    return fired;
  }

  override dispose(): void {
    this.changes.dispose();
    super.dispose();
  }
}
