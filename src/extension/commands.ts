// Every command of the extension, declared by area — runCommands.ts (start, stop, pause),
// taskCommands.ts (open, review, decide, answer, retry), worktreeCommands.ts (clean up, open),
// configCommands.ts (initialize, config, log, refresh) — each with its target (a task with a
// filter, a worktree, a repository, or nothing) and whether it needs a trusted workspace. The one
// wrapper here checks trust, resolves the target (commandTarget.ts), runs the handler, and shows a
// failure instead of throwing it at VS Code. No swarm logic: the engine decides.

import * as vscode from 'vscode';
import { cameFromDroppedRow, resolveTarget, type CommandDef, type CommandDeps } from './commandTarget';
import { configCommands } from './configCommands';
import { Commands, type CommandId } from './constants';
import { runCommands } from './runCommands';
import { errorMessage } from './session';
import { taskCommands } from './taskCommands';
import { worktreeCommands } from './worktreeCommands';
import { LIVE_COMMANDS, type LiveCommandId } from './liveCommands';

export type { CommandDeps } from './commandTarget';

export class SwarmCommands {
  /** Every command but the live views' (liveCommands.ts registers those on its own). */
  readonly definitions: Record<Exclude<CommandId, LiveCommandId>, CommandDef>;

  constructor(private readonly deps: CommandDeps) {
    const config = configCommands(deps);
    const all: Partial<Record<CommandId, CommandDef>> = { ...config.defs, ...runCommands(deps, config), ...taskCommands(deps), ...worktreeCommands(deps) };
    // Every command of the manifest (constants.ts, checked against package.json) has a definition.
    const missing = Object.values(Commands).filter((id) => !all[id] && !(LIVE_COMMANDS as readonly string[]).includes(id));
    if (missing.length) throw new Error(`commands without a definition: ${missing.join(', ')}`);
    this.definitions = all as Record<Exclude<CommandId, LiveCommandId>, CommandDef>;
  }

  /** Run a command as VS Code would: trust, target, handler; false when it did not run. */
  async invoke(id: Exclude<CommandId, LiveCommandId>, args: unknown[]): Promise<unknown> {
    const def = this.definitions[id];
    // Read now, as the command arrives: VS Code fetches the rows it dropped again moments later.
    const dropped = cameFromDroppedRow(args) ? (this.deps.droppedTaskRows?.() ?? []) : undefined;
    // Trust, in one place: agents run code, and a repository's own git config (hooks, fsmonitor) can too.
    if (def.trusted && !vscode.workspace.isTrusted) {
      const pick = await vscode.window.showErrorMessage(
        'Swarm: this workspace is not trusted. The swarm does not start agents or run git in an untrusted workspace.',
        'Manage Workspace Trust',
      );
      if (pick) await vscode.commands.executeCommand('workbench.trust.manage');
      return false;
    }
    const target = await resolveTarget(this.deps.registry, def.target, args[0], dropped);
    if (target === undefined) return false;
    return def.run((target ?? undefined) as never, args);
  }

  /** Register every command, each wrapped so a failure is shown and logged, never thrown at VS Code. */
  register(): vscode.Disposable[] {
    return (Object.keys(this.definitions) as Exclude<CommandId, LiveCommandId>[]).map((id) =>
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await this.invoke(id, args);
        } catch (e) {
          this.deps.log.error(`Swarm: ${id} failed: ${errorMessage(e)}`);
          void vscode.window.showErrorMessage(`Swarm: ${errorMessage(e)}`);
          return undefined;
        }
      }),
    );
  }
}
