// First run with real agents in VS Code (issue 18): "Swarm: Check setup" (the `swarm doctor`
// checklist in a read-only document), the preflight gate of "Start swarm" (every problem in one
// error notification with Open settings / Open config; nothing is claimed), and what "Initialize
// swarm" chose. The checks themselves are the engine's (src/swarm/doctor.ts, src/swarm/preflight.ts),
// loaded on first use like the rest of the engine (extension.ts lazyEngine).

import * as vscode from 'vscode';
import type { DoctorReport } from '../swarm/doctor';
import type { InitChoice } from '../swarm/initConfig';
import type { PreflightProblem, Workspace } from '../swarm/api';
import { SetupCommands } from './constants';
import { errorMessage, type SwarmSession } from './session';
import type { SessionRegistry } from './sessions';
import { readSettings } from './settings';
import { startedFromGui } from './shellPath';

export const SETUP_SCHEME = 'swarm-setup';

export interface SetupDeps {
  registry: SessionRegistry;
  log: vscode.LogOutputChannel;
  /** The PATH agents get (the login shell's when VS Code started from a GUI). */
  agentPath(): Promise<string | undefined>;
}

type DoctorModule = typeof import('../swarm/doctor');
let doctorModule: DoctorModule | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadDoctor = (): DoctorModule => (doctorModule ??= require('../swarm/doctor') as DoctorModule);

/** The checklist as a markdown document. */
export function doctorMarkdown(name: string, r: DoctorReport): string {
  const lines = loadDoctor()
    .formatDoctor(r)
    .map((l) => (l.startsWith('    fix: ') ? `  - fix: ${l.slice('    fix: '.length)}` : `- ${l}`));
  const summary = lines.pop()!.slice(2);
  return `# Swarm: setup check of ${name}\n\n${lines.join('\n')}\n\n**${summary}**\n\nThe same checks in a terminal: \`swarm doctor\` (\`--json\` for scripts). Fixes in VS Code: the settings \`swarm.cli.*\` (where each agent CLI is) and \`swarm.json\`.\n`;
}

/** Register "Check setup" and the read-only document it shows. */
export function registerSetupCommands(deps: SetupDeps): vscode.Disposable[] {
  const docs = new Map<string, string>();
  const changed = new vscode.EventEmitter<vscode.Uri>();
  const provider: vscode.TextDocumentContentProvider = { onDidChange: changed.event, provideTextDocumentContent: (uri) => docs.get(uri.path) ?? '' };
  const checkSetup = async (arg?: unknown): Promise<DoctorReport | undefined> => {
    const session = sessionOf(deps.registry, arg) ?? (await deps.registry.pick('Check the swarm setup of which folder?', () => true));
    if (!session) {
      void vscode.window.showErrorMessage('Swarm: open a folder first.');
      return undefined;
    }
    const settings = readSettings(session.folder.uri);
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Swarm: checking the setup of ${session.name}…` },
      async () =>
        loadDoctor().runDoctor({
          repo: session.root,
          configPath: settings.configPath,
          cliPaths: settings.cliPaths,
          agentPath: await deps.agentPath(),
          hostPath: {
            path: process.env.PATH,
            label: "VS Code's",
            note: startedFromGui(process.env)
              ? "VS Code was started from a launcher: agents get the login shell's PATH"
              : 'VS Code was started from a terminal',
          },
        }),
    );
    const path = `/${session.name.replace(/[^\w.-]+/g, '-')} setup check.md`;
    docs.set(path, doctorMarkdown(session.name, report));
    const uri = vscode.Uri.from({ scheme: SETUP_SCHEME, path });
    changed.fire(uri);
    deps.log.info(`[${session.name}] setup check: ${report.ok ? 'ready' : `${report.checks.filter((c) => c.status === 'fail').length} problem(s)`}`);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: false });
    return report;
  };
  return [
    changed,
    vscode.workspace.registerTextDocumentContentProvider(SETUP_SCHEME, provider),
    vscode.commands.registerCommand(SetupCommands.checkSetup, async (arg?: unknown) => {
      try {
        return await checkSetup(arg);
      } catch (e) {
        deps.log.error(`Swarm: check setup failed: ${errorMessage(e)}`);
        void vscode.window.showErrorMessage(`Swarm: ${errorMessage(e)}`);
        return undefined;
      }
    }),
  ];
}

function sessionOf(registry: SessionRegistry, arg: unknown): SwarmSession | undefined {
  const root =
    typeof arg === 'string'
      ? arg
      : arg && typeof arg === 'object' && 'root' in arg && typeof (arg as { root: unknown }).root === 'string'
        ? (arg as { root: string }).root
        : undefined;
  return root ? (registry.byRepoRoot(root) ?? registry.forPath(root)) : undefined;
}

/**
 * Before "Start swarm" starts anything: the engine's preflight. Problems → one error notification
 * listing each (what, where the swarm looked, the fix) with buttons to the place of the fix; the
 * start stops there, nothing claimed. Returns true when the start may go on.
 */
export async function preflightGate(session: SwarmSession, ws: Workspace, log: vscode.LogOutputChannel): Promise<boolean> {
  let problems: PreflightProblem[];
  try {
    problems = await ws.preflight();
  } catch (e) {
    log.warn(`[${session.name}] preflight could not run: ${errorMessage(e)}`);
    return true; // the engine checks again before its first claim (run.ts)
  }
  if (!problems.length) return true;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { problemText } = require('../swarm/preflight') as typeof import('../swarm/preflight');
  for (const p of problems) log.error(`[${session.name}] cannot start: ${problemText(p)}`);
  const buttons: string[] = [];
  if (problems.some((p) => p.place === 'settings' || p.check === 'harness')) buttons.push('Open settings'); // swarm.cli.<name>
  if (problems.some((p) => p.place === 'config')) buttons.push('Open config');
  buttons.push('Check setup');
  const text =
    problems.length === 1
      ? `Swarm: cannot start in ${session.name}: ${problemText(problems[0])}`
      : `Swarm: cannot start in ${session.name} (${problems.length} problems): ${problems.map((p, i) => `(${i + 1}) ${problemText(p)}`).join(' ')}`;
  void vscode.window.showErrorMessage(text, ...buttons).then((pick) => {
    if (pick === 'Open settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'swarm.cli');
    else if (pick === 'Open config') void vscode.commands.executeCommand('swarm.openConfig', session.root);
    else if (pick === 'Check setup') void vscode.commands.executeCommand(SetupCommands.checkSetup, session.root);
  });
  return false;
}

/** What Initialize needs to know the machine: the agents' PATH and the swarm.cli.* settings. */
export async function initOptions(session: SwarmSession): Promise<{ agentPath?: string; cliPaths: Record<string, string> }> {
  return { agentPath: await session.agentPath(), cliPaths: readSettings(session.folder.uri).cliPaths };
}

/** Say what Initialize chose (which CLI, or the demo agents and how to switch). */
export function sayInitChoice(session: SwarmSession, result: unknown, log: vscode.LogOutputChannel): void {
  const choice = (result as { choice?: InitChoice } | undefined)?.choice;
  if (!choice) return;
  log.info(`[${session.name}] ${choice.message}`);
  if (choice.harness === 'demo')
    void vscode.window.showWarningMessage(`Swarm: ${choice.message}.`, 'Check setup').then((pick) => {
      if (pick) void vscode.commands.executeCommand(SetupCommands.checkSetup, session.root);
    });
  else void vscode.window.showInformationMessage(`Swarm: ${choice.message}.`);
}
