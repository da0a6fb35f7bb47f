// Editor tabs of task files follow the file: a task's file moves from tasks/pending to
// tasks/current to tasks/complete as it progresses, and a tab on the old path would go stale
// ("file not found"). When a refresh shows a task at a new path, each clean tab on its old path is
// replaced by one on the new path, in the same editor group, keeping preview and focus as they were.

import * as vscode from 'vscode';
import type { SessionSnapshot } from './session';
import type { SessionRegistry } from './sessions';

export class TaskTabFollower implements vscode.Disposable {
  private readonly files = new Map<string, Map<string, string>>();
  private readonly seen = new Map<string, SessionSnapshot>();
  private readonly subscription: vscode.Disposable;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly registry: SessionRegistry) {
    this.subscription = registry.onDidChange(() => {
      this.running = this.running.then(() => this.update()).catch(() => undefined);
    });
  }

  /** Resolves when the tabs have followed every change seen so far (tests). */
  settled(): Promise<void> {
    return this.running;
  }

  dispose(): void {
    this.subscription.dispose();
  }

  private async update(): Promise<void> {
    for (const session of this.registry.sessions) {
      const snapshot = session.snapshot;
      if (!session.loaded || this.seen.get(session.root) === snapshot) continue;
      this.seen.set(session.root, snapshot);
      const now = new Map<string, string>();
      for (const t of [...snapshot.tasks.pending, ...snapshot.tasks.current, ...snapshot.tasks.complete]) now.set(t.id, t.file);
      const before = this.files.get(session.root);
      this.files.set(session.root, now);
      if (!before) continue;
      for (const [id, file] of now) {
        const old = before.get(id);
        if (old && old !== file) await follow(old, file);
      }
    }
  }
}

async function follow(from: string, to: string): Promise<void> {
  const tabGroups = (vscode.window as Partial<typeof vscode.window>).tabGroups;
  if (!tabGroups) return;
  for (const group of tabGroups.all) {
    for (const tab of group.tabs) {
      const input = tab.input as { uri?: vscode.Uri } | undefined;
      if (!(input instanceof vscode.TabInputText) || input.uri.fsPath !== from || tab.isDirty) continue;
      await vscode.window.showTextDocument(vscode.Uri.file(to), {
        viewColumn: group.viewColumn,
        preview: tab.isPreview,
        preserveFocus: !(tab.isActive && group.isActive),
      });
      await tabGroups.close(tab, true);
    }
  }
}
