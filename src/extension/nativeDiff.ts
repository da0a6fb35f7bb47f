// Native diff editors for a worktree's changed files: the left side is the file at the base
// (the merge-base the reviewer saw), read through the engine's `showFile`; the right side is the
// file in the worktree itself, so it stays live while the agent works. The review panel
// (reviewPanel.ts) registers its own provider for its per-file "open in native diff" buttons;
// this one serves the Worktrees view and keeps working if the panel is not there.

import * as vscode from 'vscode';
import { basename, join } from 'node:path';
import type { WorktreeInfo } from '../swarm/types';
import type { SwarmSession } from './session';
import type { SessionRegistry } from './sessions';

export const REVISION_SCHEME = 'swarm-worktree-base';
const SAFE_REV = /^(?!-)[A-Za-z0-9._/-]{1,200}$/;

interface RevisionQuery {
  root: string;
  rev: string;
}

export function revisionUri(root: string, rev: string, path: string): vscode.Uri {
  const query: RevisionQuery = { root, rev };
  return vscode.Uri.from({ scheme: REVISION_SCHEME, path: `/${path.replace(/^\/+/, '')}`, query: JSON.stringify(query) });
}

export function parseRevisionUri(uri: vscode.Uri): { root: string; rev: string; path: string } | undefined {
  try {
    const q = JSON.parse(uri.query) as Partial<RevisionQuery>;
    if (typeof q.root !== 'string' || typeof q.rev !== 'string') return undefined;
    return { root: q.root, rev: q.rev, path: uri.path.replace(/^\/+/, '') };
  } catch {
    return undefined;
  }
}

export class RevisionContentProvider implements vscode.TextDocumentContentProvider {
  constructor(private readonly registry: SessionRegistry) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const parsed = parseRevisionUri(uri);
    // Any extension or link can build such a URI: only plain revision names reach git (a
    // leading "-" would be read as an option).
    if (!parsed || !SAFE_REV.test(parsed.rev)) return '';
    const ws = this.registry.byRepoRoot(parsed.root)?.workspace;
    // A file that does not exist at that revision (added by the agent) diffs against nothing.
    return (await ws?.showFile(parsed.rev, parsed.path)) ?? '';
  }
}

const baseCache = new Map<string, string>();

/** The commit a worktree's changes are measured from: the review's merge-base, else the base branch. */
async function diffBase(session: SwarmSession, wt: WorktreeInfo): Promise<{ rev: string; label: string }> {
  const ws = await session.requireWorkspace();
  const label = ws.config.base ?? 'base';
  const cacheKey = `${wt.path}@${wt.head}`;
  const cached = baseCache.get(cacheKey);
  if (cached) return { rev: cached, label };
  if (wt.taskId) {
    try {
      const details = await ws.reviewDetails(wt.taskId);
      if (details.baseSha) {
        baseCache.set(cacheKey, details.baseSha);
        return { rev: details.baseSha, label: details.base || label };
      }
    } catch {
      // fall back to the base branch name below
    }
  }
  return { rev: ws.config.base ?? 'HEAD', label };
}

export async function openWorktreeFileDiff(session: SwarmSession, wt: WorktreeInfo, file: { path: string; status: string }): Promise<void> {
  const base = await diffBase(session, wt);
  // An added file reads as empty on the left (showFile gives undefined), a deleted one on the right.
  const left = revisionUri(session.root, base.rev, file.path);
  const right = file.status.startsWith('D') ? revisionUri(session.root, wt.head, file.path) : vscode.Uri.file(join(wt.path, file.path));
  await vscode.commands.executeCommand('vscode.diff', left, right, `${basename(file.path)} (${base.label} ↔ ${wt.branch})`, { preview: true });
}
