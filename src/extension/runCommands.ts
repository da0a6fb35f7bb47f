// Commands of a run: Start (all or selected workers), Stop, Pause, Resume. Each acts on a
// repository (one swarm per repository), resolved by commandTarget.ts.

import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { StartRunOptions } from '../swarm/api';
import type { SwarmEvent } from '../swarm/types';
import { command, type CommandDeps, type CommandDef } from './commandTarget';
import { Commands, type CommandId } from './constants';
import { readSettings } from './settings';
import { preflightGate } from './setupCommands';
import { errorMessage, type SwarmSession } from './session';
import type { SessionRegistry } from './sessions';

const noGitRepo = (registry: SessionRegistry) =>
  registry.sessions.some((s) => s.isGitRepo) ? 'Swarm: no repository chosen.' : 'Swarm: open a folder inside a git repository to start a swarm.';
const noRun = () => 'Swarm: no swarm is running in this window.';

export function runCommands(
  deps: CommandDeps,
  more: { initialize(session: SwarmSession): Promise<unknown>; openConfig(session: SwarmSession): Promise<unknown> },
): Partial<Record<CommandId, CommandDef>> {
  const start = async (session: SwarmSession, options: StartRunOptions | undefined): Promise<boolean> => {
    if (!session.isGitRepo) {
      void vscode.window.showErrorMessage(`Swarm: ${session.name} is not in a git repository; run "git init" first.`);
      return false;
    }
    return session.ops.run({ kind: 'start' }, async () => {
      if (!(await pickConfigIfAmbiguous(session))) return false;
      let ws;
      try {
        ws = await session.requireWorkspace();
      } catch (e) {
        // Not awaited: an open notification must not hold the operation (and every command queued behind it).
        // A notification shows one paragraph: several errors are numbered (the Tasks view lists them one a row).
        const lines = errorMessage(e)
          .split('\n')
          .map((l) => l.trim())
          .filter(Boolean);
        const what =
          lines.length > 1
            ? `${lines.length} config errors: ${lines.map((l, i) => `(${i + 1}) ${l}`).join(' ')}`
            : (lines[0] ?? 'the config could not be read');
        void vscode.window.showErrorMessage(`Swarm: cannot start in ${session.name}: ${what}`, 'Open config').then((pick) => {
          if (pick) void more.openConfig(session);
        });
        return false;
      }
      if (session.activeRun) {
        void vscode.window.showInformationMessage(`Swarm: a swarm is already running in ${session.name}.`);
        return false;
      }
      if (!ws.config.file) {
        // Without a config the engine would run its built-in demo agents: say so before starting.
        const pick = await vscode.window.showInformationMessage(
          `Swarm: ${session.name} has no swarm.json, so the swarm would run the built-in demo agents (no real coding agent).`,
          { modal: true },
          'Initialize swarm',
          'Start with demo agents',
        );
        if (pick === 'Initialize swarm') await more.initialize(session);
        if (pick !== 'Start with demo agents') return false;
      }
      if (!(await preflightGate(session, ws, deps.log))) return false; // setupCommands.ts: every problem, nothing claimed
      const elsewhere = await ws.runningElsewhere();
      if (elsewhere) {
        void vscode.window.showWarningMessage(
          `Swarm: a swarm is already running on ${session.name} in another process (pid ${elsewhere.pid}, run ${elsewhere.runId}). One swarm per repository: stop that one first.`,
        );
        return false;
      }
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Swarm: starting in ${session.name}…` }, async () => {
        const started = waitForEvent(session, (e) => e.type === 'run_started' || e.type === 'run_finished', deps.startTimeoutMs ?? 10_000);
        const run = session.startRun(options);
        void run.done.then(started.end, started.end); // a run in the engine process that could not start ends without an event
        deps.log.info(`[${session.name}] starting run ${run.runId}`);
        void run.done.then((summary) => deps.log.info(`[${session.name}] run ${summary.runId} ended${summary.reason ? `: ${summary.reason}` : ''}`));
        await started.promise;
      });
      return true;
    });
  };

  const pause = (paused: boolean) =>
    command(
      {
        kind: 'session',
        pick: `${paused ? 'Pause' : 'Resume'} the swarm of which repository?`,
        filter: (s) => s.activeRun !== undefined && s.activeRun.paused !== paused,
        nothing: noRun,
      },
      async (session) => {
        const run = session.activeRun;
        if (!run) {
          void vscode.window.showInformationMessage(noRun());
          return false;
        }
        await session.ops.run({ kind: paused ? 'pause' : 'resume' }, async () => (paused ? run.pause() : run.resume()), { parallel: true });
        deps.log.info(`[${session.name}] ${paused ? 'paused: agents finish their turn, no new work starts' : 'resumed'}`);
        session.touch();
        return true;
      },
    );

  return {
    [Commands.startSwarm]: command(
      { kind: 'session', pick: 'Start a swarm in which repository? (one swarm per repository)', nothing: noGitRepo },
      (session, [arg]) => start(session, startOptions(arg)),
      { trusted: true },
    ),
    // Which of the configured workers to start, when the user does not want all of them.
    [Commands.startSwarmWithWorkers]: command(
      { kind: 'session', pick: 'Start a swarm in which repository?', nothing: noGitRepo },
      async (session) => {
        const ws = await session.requireWorkspace();
        const items = ws.config.workers.map((w) => ({
          label: w.id,
          description: `${w.role} · ${w.harness}${w.model ? ` · ${w.model}` : ''}`,
          detail: w.prompt ? `prompt ${w.prompt}` : undefined,
          picked: true,
          id: w.id,
        }));
        const picked = await vscode.window.showQuickPick(items, {
          canPickMany: true,
          placeHolder: `Workers to start in ${session.name} (from ${ws.config.file ? 'its config' : 'the built-in defaults'})`,
        });
        if (!picked?.length) return false;
        return start(session, { workers: picked.map((p) => p.id) });
      },
      { trusted: true },
    ),
    [Commands.stopSwarm]: command(
      { kind: 'session', pick: 'Stop the swarm of which repository?', filter: (s) => s.activeRun !== undefined, nothing: noRun },
      async (session) => {
        const run = session.activeRun;
        if (!run) {
          void vscode.window.showInformationMessage(noRun());
          return false;
        }
        await session.ops.run(
          { kind: 'stop' },
          () =>
            Promise.resolve(
              vscode.window.withProgress(
                {
                  location: vscode.ProgressLocation.Notification,
                  title: `Swarm: stopping ${session.name} (agents are stopped, their state kept for the next start)…`,
                },
                () => run.stop('stopped by the user'),
              ),
            ),
          { parallel: true },
        );
        session.touch();
        return true;
      },
    ),
    [Commands.pauseSwarm]: pause(true),
    [Commands.resumeSwarm]: pause(false),
  };
}

const askedConfig = new Set<string>();

/** swarm.json and oompa.json both present and no setting chose: ask once per session. */
async function pickConfigIfAmbiguous(session: SwarmSession): Promise<boolean> {
  const configured = readSettings(session.folder.uri).configPath;
  if (configured || session.workspace?.config.file?.includes('oompa') || askedConfig.has(session.root)) return true;
  const swarm = join(session.root, 'swarm.json');
  const oompa = join(session.root, 'oompa.json');
  if (!existsSync(swarm) || !existsSync(oompa)) return true;
  const pick = await vscode.window.showQuickPick(
    [
      { label: 'swarm.json', description: "this extension's config", path: swarm },
      { label: 'oompa.json', description: 'the oompa seed\'s config (model "claude:opus-4.5" style)', path: oompa },
    ],
    { placeHolder: `${session.name} has both swarm.json and oompa.json: which one configures this swarm? (setting swarm.configPath decides for good)` },
  );
  if (!pick) return false;
  askedConfig.add(session.root);
  if (pick.label === 'oompa.json') await session.useConfigFile(pick.path);
  return true;
}

function startOptions(arg: unknown): StartRunOptions | undefined {
  if (typeof arg === 'object' && arg !== null && Array.isArray((arg as { workers?: unknown }).workers))
    return { workers: (arg as { workers: string[] }).workers };
  return undefined;
}

/** Resolves on the first matching event of the session, at `end()`, or after `timeoutMs` (the progress then ends anyway). */
function waitForEvent(session: SwarmSession, match: (e: SwarmEvent) => boolean, timeoutMs: number): { promise: Promise<void>; end(): void } {
  let end!: () => void;
  const promise = new Promise<void>((resolve) => {
    const timer = setTimeout(done, timeoutMs);
    const sub = session.onEvent((e) => {
      if (match(e)) done();
    });
    let over = false;
    function done() {
      if (over) return;
      over = true;
      clearTimeout(timer);
      sub.dispose();
      resolve();
    }
    end = done;
  });
  return { promise, end };
}
