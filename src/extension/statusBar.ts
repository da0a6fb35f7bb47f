// The status bar item: while a swarm runs (or something waits for the user) it shows workers
// running / tasks left / reviews waiting; a click focuses the Tasks view. The badge on the
// Tasks view (and so on the activity bar container) counts what needs the user.

import * as vscode from 'vscode';
import type { WorkerState } from '../swarm/types';
import type { AgentUsage } from '../swarm/harness/types';
import { formatUsage, formatUsd, sumUsage } from '../swarm/cost';
import { ContextKeys, Views } from './constants';
import { traceView } from './treeNode';
import { plural } from './format';
import type { SessionRegistry } from './sessions';
import type { SwarmSession } from './session';
import { readSettings } from './settings';
import { basename } from 'node:path';

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
  /** Tokens and cost of the running swarms' turns so far, and their budgets (limits.max_cost_usd) and budget waits. */
  usage: AgentUsage;
  budgets: string[];
}

export function countSwarm(registry: SessionRegistry): SwarmCounts {
  const counts: SwarmCounts = {
    running: false,
    paused: false,
    workersRunning: 0,
    workersTotal: 0,
    tasksLeft: 0,
    reviewsWaiting: 0,
    needsYou: 0,
    unsandboxed: [],
    usage: {},
    budgets: [],
  };
  for (const s of registry.sessions) {
    const sb = s.workspace?.sandbox;
    if (sb && !sb.sandboxed) counts.unsandboxed.push(sb.reason);
    const run = s.activeRun;
    if (run) {
      counts.running = true;
      counts.paused ||= run.paused;
      counts.workersTotal += s.workers.length;
      counts.workersRunning += s.workers.filter((w) => BUSY.has(w.state)).length;
      counts.usage = sumUsage(counts.usage, run.usage?.());
      const limit = s.workspace?.config.limits.maxCostUsd;
      const waiting = s.workers.find((w) => /budget reached/.test(w.waitReason ?? ''))?.waitReason;
      if (limit !== undefined || waiting) counts.budgets.push(waiting ?? `run budget ${formatUsd(limit!)}`);
    }
    const t = s.snapshot.tasks;
    counts.tasksLeft += t.pending.length + t.current.length;
    counts.reviewsWaiting += s.snapshot.needsYou.filter((n) => n.kind === 'review').length;
    counts.needsYou += s.snapshot.needsYou.length;
  }
  return counts;
}

export function statusBarText(c: SwarmCounts): string {
  // The spinner only while an agent works; "paused" (not "N running") while paused, even as agents
  // finish their turn; "waiting for you" when the run has nothing to do but wait for the user.
  const busy = c.running && !c.paused && c.workersRunning > 0;
  const icon = c.paused ? '$(debug-pause)' : busy ? '$(sync~spin)' : '$(bell-dot)';
  const state = !c.running ? 'idle' : c.paused ? 'paused' : busy ? `${c.workersRunning} running` : c.needsYou ? 'waiting for you' : '0 running';
  const parts = [state, `${c.tasksLeft} left`];
  if (c.reviewsWaiting) parts.push(plural(c.reviewsWaiting, 'review'));
  if (c.needsYou > c.reviewsWaiting) parts.push(`${c.needsYou - c.reviewsWaiting} waiting`);
  if (c.budgets?.some((b) => /budget reached/.test(b))) parts.push('budget reached');
  return `${icon} Swarm: ${parts.join(' · ')}`;
}

/** "review: agent+human (swarm.json)": the review mode the swarm of this repository uses, and where it comes from. */
export function reviewModeText(session: SwarmSession): string | undefined {
  const ws = session.workspace;
  if (!ws) return undefined;
  const from = readSettings(session.folder.uri).reviewMode ? 'setting swarm.review.mode' : ws.config.file ? basename(ws.config.file) : 'default';
  return `review: ${ws.config.review.mode} (${from})`;
}

export class SwarmStatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private readonly subscription: vscode.Disposable;
  private lastContext = '';
  private visible: boolean | undefined;

  constructor(
    private readonly registry: SessionRegistry,
    private readonly tasksView: vscode.TreeView<unknown>,
  ) {
    this.item = vscode.window.createStatusBarItem('swarm.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Swarm';
    this.item.command = `${Views.tasks}.focus`;
    this.subscription = registry.onDidChange(() => this.update());
    this.update();
  }

  update(): SwarmCounts {
    const c = countSwarm(this.registry);
    // Each property is set only when it changes: the sessions change many times a second while a
    // swarm runs, and every set re-renders the status bar or the view's badge (flicker, DOM churn).
    const text = statusBarText(c);
    if (this.item.text !== text) this.item.text = text;
    const tooltip = `Swarm — ${c.running ? (c.paused ? 'paused' : 'running') : 'not running'}\n${c.workersRunning} of ${c.workersTotal} workers busy\n${c.tasksLeft} tasks left (pending and current)\n${c.reviewsWaiting} reviews waiting for you\n${c.needsYou} items need you\n${c.running ? `Cost this run: ${formatUsage(c.usage) ?? 'none reported'}\n` : ''}${c.budgets.length ? `${[...new Set(c.budgets)].join('\n')}\n` : ''}${c.unsandboxed.length ? `⚠ ${[...new Set(c.unsandboxed)].join('\n⚠ ')}` : 'Agents run sandboxed'}\nClick to open the Tasks view`;
    if (this.item.tooltip !== tooltip) this.item.tooltip = tooltip;
    const visible = c.running || c.needsYou > 0;
    if (visible !== this.visible) {
      this.visible = visible;
      if (visible) this.item.show();
      else this.item.hide();
    }
    const badge = c.needsYou > 0 ? { value: c.needsYou, tooltip: `${plural(c.needsYou, 'item')} waiting for you` } : undefined;
    if (badge?.value !== this.tasksView.badge?.value || badge?.tooltip !== this.tasksView.badge?.tooltip) {
      traceView('badge', `  ${badge?.value ?? 'none'}`);
      this.tasksView.badge = badge;
    }
    const context = `${c.running}|${c.paused}|${c.needsYou}`;
    if (context !== this.lastContext) {
      this.lastContext = context;
      traceView('context', `  swarm.running|paused|needsYouCount = ${context}`);
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
