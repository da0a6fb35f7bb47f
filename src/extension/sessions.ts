// The sessions of the window: one per git repository among the workspace folders (a folder
// outside any repository gets a session too, in state `noGit`, so the views can say so).

import * as vscode from 'vscode';
import { findRepoRoot, SwarmSession, type SessionDeps } from './session';
import type { TaskList } from '../swarm/api';
import type { SwarmEvent, Task } from '../swarm/types';

export class SessionRegistry implements vscode.Disposable {
  private readonly byRoot = new Map<string, SwarmSession>();
  private readonly sessionListeners = new Map<SwarmSession, vscode.Disposable>();
  private readonly changeEmitter = new vscode.EventEmitter<void>();
  private readonly eventEmitter = new vscode.EventEmitter<{ session: SwarmSession; event: SwarmEvent }>();
  private readonly disposables: vscode.Disposable[] = [this.changeEmitter, this.eventEmitter];
  private opened = false;
  /** A session was added, removed or changed. */
  readonly onDidChange = this.changeEmitter.event;
  /** Every engine event of every repository. */
  readonly onEvent = this.eventEmitter.event;

  constructor(private readonly deps: SessionDeps) {
    this.disposables.push(vscode.workspace.onDidChangeWorkspaceFolders(() => this.sync()));
    this.sync();
  }

  get sessions(): SwarmSession[] {
    return [...this.byRoot.values()];
  }

  /** Open every session's workspace (after activation, never during it). */
  openAll(): Promise<unknown> {
    this.opened = true;
    return Promise.all(this.sessions.map((s) => s.open()));
  }

  byRepoRoot(root: string): SwarmSession | undefined {
    return this.byRoot.get(root);
  }

  /** The session whose repository contains this path (a task file, a worktree). */
  forPath(path: string): SwarmSession | undefined {
    let best: SwarmSession | undefined;
    for (const s of this.sessions)
      if ((path === s.root || path.startsWith(s.root + '/') || path.startsWith(s.root + '\\')) && (!best || s.root.length > best.root.length)) best = s;
    return best;
  }

  /** The session that knows this task id (first match), for ids coming from the palette or a notification. */
  forTask(taskId: string): SwarmSession | undefined {
    return this.sessions.find((s) => findTask(s.snapshot.tasks, taskId));
  }

  /**
   * The session a command acts on: the only one, or the one the user picks (multi-root).
   * `filter` narrows to sessions where the command makes sense (e.g. a git repository).
   */
  async pick(placeHolder: string, filter: (s: SwarmSession) => boolean = (s) => s.isGitRepo): Promise<SwarmSession | undefined> {
    const candidates = this.sessions.filter(filter);
    if (candidates.length <= 1) return candidates[0];
    const picked = await vscode.window.showQuickPick(
      candidates.map((s) => ({ label: s.name, description: s.root, session: s })),
      { placeHolder },
    );
    return picked?.session;
  }

  dispose(): void {
    for (const s of this.sessions) s.dispose();
    this.byRoot.clear();
    for (const l of this.sessionListeners.values()) l.dispose();
    for (const d of this.disposables) d.dispose();
  }

  private sync(): void {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const wanted = new Map<string, { folder: vscode.WorkspaceFolder; git: boolean }>();
    for (const folder of folders) {
      if (folder.uri.scheme !== 'file') continue;
      const repo = findRepoRoot(folder.uri.fsPath);
      const root = repo ?? folder.uri.fsPath;
      if (!wanted.has(root)) wanted.set(root, { folder, git: repo !== undefined });
    }
    let changed = false;
    for (const [root, session] of this.byRoot) {
      if (wanted.has(root)) continue;
      // The window no longer shows this repository: stop its swarm cleanly rather than leave
      // agents running where nobody sees them.
      void session.activeRun?.stop('folder removed from the window');
      this.sessionListeners.get(session)?.dispose();
      this.sessionListeners.delete(session);
      session.dispose();
      this.byRoot.delete(root);
      changed = true;
    }
    for (const [root, { folder, git }] of wanted) {
      if (this.byRoot.has(root)) continue;
      const session = new SwarmSession(root, folder, git, this.deps);
      this.byRoot.set(root, session);
      const listeners = [session.onDidChange(() => this.changeEmitter.fire()), session.onEvent((event) => this.eventEmitter.fire({ session, event }))];
      this.sessionListeners.set(session, { dispose: () => listeners.forEach((l) => l.dispose()) });
      // Folders added after activation open at once; at activation openAll() does it.
      if (this.opened) void session.open();
      changed = true;
    }
    if (changed) this.changeEmitter.fire();
  }
}

export function findTask(tasks: TaskList, taskId: string): Task | undefined {
  return tasks.current.find((t) => t.id === taskId) ?? tasks.pending.find((t) => t.id === taskId) ?? tasks.complete.find((t) => t.id === taskId);
}
