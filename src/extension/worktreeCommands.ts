// Commands on worktrees: clean up (all of a repository, or one), open one in a new window, a
// terminal, the Explorer or the file manager, and open a changed file's diff against the base.

import * as vscode from 'vscode';
import { command, type CommandDef, type CommandDeps } from './commandTarget';
import { Commands, type CommandId } from './constants';
import { formatBytes, plural } from './format';
import { openWorktreeFileDiff } from './nativeDiff';
import type { SwarmSession } from './session';
import { ChangedFileNode } from './worktreesTree';

export function worktreeCommands(deps: CommandDeps): Partial<Record<CommandId, CommandDef>> {
  const cleanUp = async (session: SwarmSession, target: string | undefined): Promise<boolean> => {
    const ws = await session.requireWorkspace();
    // Dry run first: the user sees exactly what will be removed and what is archived.
    const plan = await ws.cleanup({ dryRun: true, worktree: target });
    const acting = plan.actions.filter((a) => a.action !== 'keep');
    if (!acting.length) {
      const kept = plan.actions.filter((a) => a.action === 'keep');
      void vscode.window.showInformationMessage(
        `Swarm: nothing to clean up${kept.length ? ` (${kept.map((k) => `${k.worktree ?? k.branch}: ${k.reason}`).join('; ')})` : ''}.`,
      );
      return false;
    }
    const detail = plan.actions
      .map(
        (a) =>
          `${a.action === 'keep' ? 'keep' : a.action === 'archive_and_remove' ? 'archive, then remove' : 'remove'} ${a.worktree ?? a.branch ?? ''}${a.diskBytes !== undefined ? ` (${formatBytes(a.diskBytes)})` : ''}: ${a.reason}`,
      )
      .join('\n');
    const archived = acting.filter((a) => a.action === 'archive_and_remove').length;
    const ok = await vscode.window.showWarningMessage(
      `Clean up ${plural(acting.length, 'worktree')}${archived ? ` (${archived} with unmerged work, kept in an archive ref first)` : ''}?`,
      { modal: true, detail },
      'Clean up',
    );
    if (!ok) return false;
    const report = await session.ops.run({ kind: 'cleanup', target }, () => ws.cleanup({ dryRun: false, worktree: target }));
    session.scheduleRefresh({ worktrees: true });
    const refs = report.actions.map((a) => a.archivedRef).filter(Boolean);
    deps.log.info(
      `[${session.name}] cleanup: ${report.actions.map((a) => `${a.action} ${a.worktree ?? a.branch ?? ''}${a.archivedRef ? ` → ${a.archivedRef}` : ''}`).join(', ')}`,
    );
    void vscode.window.showInformationMessage(
      `Swarm: cleaned up ${plural(report.actions.filter((a) => a.action !== 'keep').length, 'worktree')}, freed ${formatBytes(report.freedBytes)}${refs.length ? `; unmerged work kept in ${refs.join(', ')}` : ''}.`,
    );
    return true;
  };
  const onWorktree = (run: (path: string, branch: string) => Thenable<unknown>) =>
    command({ kind: 'worktree', pick: 'Which worktree?' }, async ({ worktree }) => run(worktree.path, worktree.branch));

  return {
    [Commands.cleanUpWorktrees]: command({ kind: 'session', pick: 'Clean up the worktrees of which repository?' }, (session) => cleanUp(session, undefined), {
      trusted: true,
    }),
    [Commands.cleanUpWorktree]: command({ kind: 'worktree', pick: 'Clean up which worktree?' }, ({ session, worktree }) => cleanUp(session, worktree.path), {
      trusted: true,
    }),
    [Commands.openWorktreeInNewWindow]: onWorktree((path) =>
      vscode.commands.executeCommand('vscode.openFolder', vscode.Uri.file(path), { forceNewWindow: true }),
    ),
    [Commands.revealWorktreeInExplorer]: onWorktree((path) => vscode.commands.executeCommand('revealInExplorer', vscode.Uri.file(path))),
    [Commands.revealWorktreeInOS]: onWorktree((path) => vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(path))),
    [Commands.openWorktreeInTerminal]: onWorktree(async (path, branch) => vscode.window.createTerminal({ name: `Swarm: ${branch}`, cwd: path }).show()),
    // Only from the Worktrees view (a changed file's row).
    [Commands.openChangedFile]: command({ kind: 'none' }, async (_none, [arg]) => {
      if (!(arg instanceof ChangedFileNode)) return;
      const wtNode = arg.parentWorktree;
      await openWorktreeFileDiff(wtNode.session, wtNode.worktree, arg.file);
    }),
  };
}
