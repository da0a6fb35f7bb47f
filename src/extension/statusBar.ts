// The status bar item: while a swarm runs (or something waits for the user) it shows workers
// running / tasks left / reviews waiting; a click focuses the Tasks view. The badge on the
// Tasks view (and so on the activity bar container) counts what needs the user.

import * as vscode from 'vscode';
import type { WorkerState } from '../swarm/types';
import { ContextKeys, Views } from './constants';
import { plural } from './format';
import type { SessionRegistry } from './sessions';

const BUSY: ReadonlySet<WorkerState> = new Set(['claiming', 'running', 'reviewing', 'merging']);

export interface SwarmCounts {
  running: boolean;
  paused: boolean;
  workersRunning: number;
  workersTotal: number;
  tasksLeft: number;
  reviewsWaiting: number;
  needsYou: number;
  /** Why agents of a repository are not sandboxed (src/swarm/sandbox.ts), one line each; empty = all sandboxed. */
  unsandboxed: string[];
}

export function countSwarm(registry: SessionRegistry): SwarmCounts {
  const counts: SwarmCounts = { running: false, paused: false, workersRunning: 0, workersTotal: 0, tasksLeft: 0, reviewsWaiting: 0, needsYou: 0, unsandboxed: [] };
  for (const s of registry.sessions) {
    const sb = s.workspace?.sandbox;
    if (sb && !sb.sandboxed) counts.unsandboxed.push(sb.reason);
    const run = s.activeRun;
    if (run) {
      counts.running = true;
      counts.paused ||= run.paused;
      counts.workersTotal += s.workers.length;
      counts.workersRunning += s.workers.filter((w) => BUSY.has(w.state)).length;
    }
    const t = s.snapshot.tasks;
    counts.tasksLeft += t.pending.length + t.current.length;
    counts.reviewsWaiting += s.snapshot.needsYou.filter((n) => n.kind === 'review').length;
    counts.needsYou += s.snapshot.needsYou.length;
  }
  return counts;
}

export function statusBarText(c: SwarmCounts): string {
  // Workers that only wait for the user's decisions are not "running": no spinner then.
  const waitingForYou = c.running && !c.paused && c.workersRunning === 0 && c.needsYou > 0;
  const icon = c.paused ? '$(debug-pause)' : c.running && !waitingForYou ? '$(sync~spin)' : '$(bell-dot)';
  const parts = [waitingForYou ? 'waiting for you' : c.running ? `${c.workersRunning} running` : 'idle', `${c.tasksLeft} left`];
  if (c.reviewsWaiting) parts.push(plural(c.reviewsWaiting, 'review'));
  if (c.needsYou > c.reviewsWaiting) parts.push(`${c.needsYou - c.reviewsWaiting} waiting`);
  return `${icon} Swarm: ${parts.join(' · ')}`;
}

export class SwarmStatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private readonly subscription: vscode.Disposable;
  private lastContext = '';

  constructor(private readonly registry: SessionRegistry, private readonly tasksView: vscode.TreeView<unknown>) {
    this.item = vscode.window.createStatusBarItem('swarm.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Swarm';
    this.item.command = `${Views.tasks}.focus`;
    this.subscription = registry.onDidChange(() => this.update());
    this.update();
  }

  update(): SwarmCounts {
    const c = countSwarm(this.registry);
    this.item.text = statusBarText(c);
    this.item.tooltip = `Swarm — ${c.running ? (c.paused ? 'paused' : 'running') : 'not running'}\n${c.workersRunning} of ${c.workersTotal} workers busy\n${c.tasksLeft} tasks left (pending and current)\n${c.reviewsWaiting} reviews waiting for you\n${c.needsYou} items need you\n${c.unsandboxed.length ? `⚠ ${[...new Set(c.unsandboxed)].join('\n⚠ ')}` : 'Agents run sandboxed'}\nClick to open the Tasks view`;
    if (c.running || c.needsYou > 0) this.item.show();
    else this.item.hide();
    this.tasksView.badge = c.needsYou > 0 ? { value: c.needsYou, tooltip: `${plural(c.needsYou, 'item')} waiting for you` } : undefined;
    const context = `${c.running}|${c.paused}|${c.needsYou}`;
    if (context !== this.lastContext) {
      this.lastContext = context;
      void vscode.commands.executeCommand('setContext', ContextKeys.running, c.running);
      void vscode.commands.executeCommand('setContext', ContextKeys.paused, c.paused);
      void vscode.commands.executeCommand('setContext', ContextKeys.needsYouCount, c.needsYou);
    }
    return c;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
