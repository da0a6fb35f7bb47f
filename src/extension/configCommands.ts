// Commands of the setup: Initialize swarm, Open config, Show run log, Refresh.

import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { command, type CommandDef, type CommandDeps } from './commandTarget';
import { Commands, type CommandId } from './constants';
import type { SwarmSession } from './session';
import { initOptions, sayInitChoice } from './setupCommands';

export function configCommands(deps: CommandDeps): {
  defs: Partial<Record<CommandId, CommandDef>>;
  initialize(session: SwarmSession): Promise<boolean>;
  openConfig(session: SwarmSession): Promise<void>;
} {
  const initialize = async (session: SwarmSession): Promise<boolean> => {
    if (!session.isGitRepo) {
      void vscode.window.showErrorMessage(`Swarm: ${session.name} is not a git repository. Run "git init" (or open a repository) first.`);
      return false;
    }
    const options = await initOptions(session);
    const result = await session.ops.run({ kind: 'initialize' }, () => deps.engine.initRepo(session.root, options));
    sayInitChoice(session, result, deps.log); // which agent CLI swarm.json uses (setupCommands.ts)
    deps.log.info(`[${session.name}] initialized: swarm.json and the task folders`);
    await session.reopen();
    const file = join(session.root, 'swarm.json');
    if (existsSync(file)) await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
    return true;
  };
  const openConfig = async (session: SwarmSession): Promise<void> => {
    const file = session.configFile;
    if (!existsSync(file)) {
      const pick = await vscode.window.showInformationMessage(`Swarm: ${session.name} has no swarm config yet.`, 'Initialize swarm');
      if (pick) await initialize(session);
      return;
    }
    await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
  };
  return {
    initialize,
    openConfig,
    defs: {
      [Commands.showRunLog]: command({ kind: 'none' }, async () => deps.log.show(true)),
      [Commands.openConfig]: command({ kind: 'session', pick: 'Open the swarm config of which repository?' }, openConfig),
      [Commands.initialize]: command(
        { kind: 'session', pick: 'Initialize a swarm in which repository?', filter: () => true, nothing: () => 'Swarm: open a folder first.' },
        initialize,
        { trusted: true },
      ),
      [Commands.refresh]: command({ kind: 'none' }, async () => Promise.all(deps.registry.sessions.map((s) => s.refreshNow()))),
    },
  };
}
