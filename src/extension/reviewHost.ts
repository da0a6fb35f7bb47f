// How "Open review" reaches the review panel. The panel (reviewPanel.ts, a webview) is its own
// module; the commands only need "show the review of this task". Until the panel is wired in (or
// if it fails to load), a quick pick shows the rounds and offers the decisions and the native
// diffs of the changed files, so a review can always be decided from VS Code.

import * as vscode from 'vscode';
import { Commands } from './constants';
import { revisionUri } from './nativeDiff';
import type { SwarmSession } from './session';
import type { TaskRef } from './treeNode';

export interface ReviewHost extends vscode.Disposable {
  openReview(session: SwarmSession, ref: TaskRef): Promise<void>;
}

/** Files of a unified diff (`diff --git a/x b/y`), with added/deleted detection. */
export function filesOfDiff(diff: string): { path: string; status: string }[] {
  const files: { path: string; status: string }[] = [];
  const lines = diff.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^diff --git a\/(.+) b\/(.+)$/.exec(lines[i]);
    if (!m) continue;
    let status = 'M';
    for (let j = i + 1; j < Math.min(lines.length, i + 6) && !lines[j].startsWith('diff --git '); j++) {
      if (lines[j].startsWith('new file mode')) status = 'A';
      else if (lines[j].startsWith('deleted file mode')) status = 'D';
      else if (lines[j].startsWith('rename from')) status = 'R';
    }
    files.push({ path: m[2], status });
  }
  return files;
}

export class QuickPickReviewHost implements ReviewHost {
  async openReview(session: SwarmSession, ref: TaskRef): Promise<void> {
    const ws = await session.requireWorkspace();
    const details = await ws.reviewDetails(ref.taskId);
    const sha = details.sha;
    type Item = vscode.QuickPickItem & { run?: () => Thenable<unknown> };
    const items: Item[] = [];
    for (const r of details.rounds) {
      items.push({ label: `Round ${r.round}: ${r.verdict ?? 'no verdict'}`, description: `${r.by}${r.decision ? ` · ${r.decision}` : ''} · ${r.sha.slice(0, 12)}`, detail: r.feedback.split('\n').find((l) => l.trim()) ?? '' });
    }
    if (details.canDecide && sha) {
      const decisionRef: TaskRef = { root: session.root, taskId: ref.taskId, sha };
      items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
      items.push({ label: '$(check) Approve', description: `merge ${sha.slice(0, 12)}`, run: () => vscode.commands.executeCommand(Commands.approve, decisionRef) });
      items.push({ label: '$(warning) Override', description: 'merge despite the reviewer, with a reason', run: () => vscode.commands.executeCommand(Commands.override, decisionRef) });
      items.push({ label: '$(comment) Request changes', description: 'send it back to its worker', run: () => vscode.commands.executeCommand(Commands.requestChanges, decisionRef) });
    }
    const files = filesOfDiff(details.diff);
    if (files.length && sha) {
      items.push({ label: 'Changed files', kind: vscode.QuickPickItemKind.Separator });
      for (const f of files) {
        const left = revisionUri(session.root, details.baseSha ?? details.base, f.path);
        const right = revisionUri(session.root, sha, f.path);
        items.push({ label: `$(diff) ${f.path}`, description: f.status, run: () => vscode.commands.executeCommand('vscode.diff', left, right, `${f.path} (${details.base} ↔ ${sha.slice(0, 8)})`) });
      }
    }
    const picked = await vscode.window.showQuickPick(items, { title: `Review: ${details.task.title} (${details.task.id})${sha ? ` at ${sha.slice(0, 12)}` : ''}`, placeHolder: details.canDecide ? 'Decide, or open a file diff' : 'Open a file diff' });
    await picked?.run?.();
  }

  dispose(): void {
    // nothing held
  }
}
