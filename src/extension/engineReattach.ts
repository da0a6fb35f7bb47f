// A window and the engine processes of its repositories' runs (engineAttach.ts): at activation it
// re-attaches to a run that outlived the previous window (a reload, a window closed), and at
// deactivation it leaves its runs to their processes instead of stopping them. Decided in
// docs/decisions.md ("Re-attach after a window reload"): one window attached at a time; a second
// window is refused with a message (it does not take the run over).

import * as vscode from 'vscode';
import type { ChildProcess } from 'node:child_process';
import { ChildRun } from './engineChild';
import { findEngine, liveEngineInfo, stopEngine, takeFinishedRun } from './engineAttach';
import type { SessionRegistry } from './sessions';
import type { SwarmSession } from './session';
import { ENGINE_PROTOCOL_VERSION } from '../shared/engineSocket';
import { EngineCommands } from './constants';

export class EngineReattach implements vscode.Disposable {
  /** Repositories with a live engine process this window did not attach to: nothing is started there. */
  readonly notAttached = new Set<string>();
  private readonly command: vscode.Disposable;
  private readonly attaching = new WeakMap<SwarmSession, Promise<void>>();

  constructor(
    private readonly registry: SessionRegistry,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.command = vscode.commands.registerCommand(EngineCommands.stopEngineProcess, (root?: string) => this.stopOther(root));
  }

  /** Attach every session without a run to its repository's live engine, if any (once a session: openSessions runs more than once). */
  async attachAll(): Promise<void> {
    await Promise.all(
      this.registry.sessions.map((s) => {
        let p = this.attaching.get(s);
        if (!p) this.attaching.set(s, (p = this.attach(s)));
        return p;
      }),
    );
  }

  /**
   * The window goes (deactivate): runs whose process can be re-attached are left to it (the run
   * goes on; the next window attaches); the others are returned, to be stopped as before.
   */
  leaveRuns(): { session: SwarmSession; runId: string }[] {
    const left: { session: SwarmSession; runId: string }[] = [];
    for (const session of this.registry.sessions) {
      const run = session.activeRun;
      if (!(run instanceof ChildRun) || !run.pid || liveEngineInfo(session.root)?.pid !== run.pid) continue;
      run.detach();
      this.log.info(`[${session.name}] run ${run.runId} goes on in its swarm process (pid ${run.pid}); the next window shows it again.`);
      left.push({ session, runId: run.runId });
    }
    return left;
  }

  dispose(): void {
    this.command.dispose();
  }

  private async attach(session: SwarmSession): Promise<void> {
    if (!session.isGitRepo || session.activeRun || (session.state !== 'ready' && session.state !== 'noConfig')) return;
    const finished = takeFinishedRun(session.root);
    if (finished) {
      const s = finished.summary;
      const text = `Swarm: the run ${finished.runId} in ${session.name} went on after its window closed and finished at ${new Date(finished.finishedAt).toLocaleString()}: ${s.merged.length} merged, ${s.waitingForHuman.length} waiting for you, ${s.blocked.length} blocked, ${s.failed.length} failed${s.reason ? ` (${s.reason})` : ''}.`;
      this.log.info(text);
      void vscode.window.showInformationMessage(text);
    }
    const found = await findEngine(session.root);
    switch (found.kind) {
      case 'none':
        return;
      case 'stale':
        this.log.info(`[${session.name}] removed the files of a swarm process that is gone: ${found.why}`);
        return;
      case 'untrusted':
        this.log.warn(`[${session.name}] not attaching to a swarm process: ${found.why}`);
        return;
      case 'refused': {
        this.notAttached.add(session.root);
        const { pid, runId, protocol } = found.info;
        const text = found.otherVersion
          ? `Swarm: run ${runId} in ${session.name} goes on in a swarm process of another version (pid ${pid}, protocol ${protocol}; this window speaks ${ENGINE_PROTOCOL_VERSION}): this window cannot show or control it. Stop it (its tasks resume at the next start) or let it finish.`
          : `Swarm: run ${runId} in ${session.name} is shown in another VS Code window (swarm process pid ${pid}: ${found.reason}). Control it there; once that window closes, reload this one to show it here.`;
        this.log.warn(text);
        if (found.otherVersion) {
          void vscode.window.showWarningMessage(text, 'Stop it').then((pick) => {
            if (pick) void vscode.commands.executeCommand(EngineCommands.stopEngineProcess, session.root);
          });
        } else void vscode.window.showWarningMessage(text);
        return;
      }
      case 'attached': {
        const { link, info } = found;
        session.adoptRun(
          (hooks) =>
            new ChildRun({
              workspace: { repo: session.root },
              run: {},
              onEvent: hooks.onEvent,
              onCrash: hooks.onCrash,
              onStarted: hooks.onStarted,
              attached: { link: link as unknown as ChildProcess, runId: info.runId },
            }),
        );
        this.log.info(`[${session.name}] re-attached to run ${info.runId}, going on in its swarm process (pid ${info.pid}, since ${info.startedAt})`);
        await session.refreshNow();
        return;
      }
    }
  }

  /** The command: SIGTERM to the live engine this window did not attach to (its run stops as with Stop swarm). */
  private async stopOther(root?: string): Promise<boolean> {
    const candidates = this.registry.sessions.filter((s) => (root ? s.root === root : s.isGitRepo) && !s.activeRun && liveEngineInfo(s.root));
    const session =
      candidates.length > 1 ? await this.registry.pick('Stop the swarm process of which repository?', (s) => candidates.includes(s)) : candidates[0];
    const info = session && liveEngineInfo(session.root);
    if (!session || !info) {
      void vscode.window.showInformationMessage('Swarm: no swarm process runs here that this window does not show.');
      return false;
    }
    const stopped = stopEngine(info);
    this.log.info(
      `[${session.name}] ${stopped ? `stopping the swarm process ${info.pid} (run ${info.runId})` : `the swarm process ${info.pid} is already gone`}`,
    );
    if (stopped) this.notAttached.delete(session.root);
    return stopped;
  }
}
