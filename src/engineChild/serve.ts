// The child's half of the engine process (src/shared/engineProtocol.ts): it opens the workspace
// with the settings the host sent, starts the run, sends every event of the workspace to the host
// and answers its control messages (pause, resume, stop, one worker). Its lifetime is the host's:
// when the IPC channel closes (the window closed, the extension host died or was killed) the run
// is stopped as the Stop command stops it — agents killed by process group, state journaled, the
// tasks resumed by the next start — and the process exits. No vscode import (docs/architecture.md).

import type { OpenWorkspaceOptions, SwarmRun, Workspace } from '../swarm/api';
import type { SwarmEvent } from '../swarm/types';
import { parseHostMessage, type EngineStart, type EngineToHost, type HostToEngine } from '../shared/engineProtocol';

/** The IPC channel as node gives it to a forked child (`process`); tests pass a fake. */
export interface EngineChannel {
  send(m: EngineToHost): void;
  onMessage(listener: (m: unknown) => void): void;
  /** The host is gone (the channel closed). */
  onDisconnect(listener: () => void): void;
  /** Close the channel (the run is over). */
  close(): void;
}

export interface ServeDeps {
  openWorkspace(options: OpenWorkspaceOptions): Promise<Workspace>;
  /** A message the child dropped (not one of the protocol's): written to stderr by main.ts. */
  warn(message: string): void;
}

/** How often at most the run's state (paused, workers, usage) is sent between events. */
const STATE_EVERY_MS = 200;

export const HOST_GONE_REASON = 'the VS Code window closed (the extension host is gone)';

/** Serve one run over `channel`; resolves with the exit code when the run is over. */
export function serveEngine(channel: EngineChannel, deps: ServeDeps): Promise<number> {
  let run: SwarmRun | undefined;
  let ws: Workspace | undefined;
  let starting = false;
  let hostGone = false;
  /** Pause / stop asked before the run existed (the workspace still opening): applied when it starts. */
  let early: { paused?: boolean; stop?: string } = {};
  let stateTimer: NodeJS.Timeout | undefined;
  let resolveExit!: (code: number) => void;
  const exit = new Promise<number>((r) => (resolveExit = r));

  const send = (m: EngineToHost) => {
    if (hostGone) return;
    try {
      channel.send(m);
    } catch {
      // the channel closed under us: onDisconnect stops the run
    }
  };
  const sendState = () => {
    stateTimer = undefined;
    if (run) send({ t: 'state', paused: run.paused, workers: run.workers(), usage: run.usage?.() });
  };
  const scheduleState = () => {
    stateTimer ??= setTimeout(sendState, STATE_EVERY_MS);
  };

  const finish = (code: number) => {
    if (stateTimer) clearTimeout(stateTimer);
    ws?.dispose();
    channel.close();
    resolveExit(code);
  };

  async function start(s: EngineStart): Promise<void> {
    try {
      ws = await deps.openWorkspace(s.workspace);
      if (hostGone) return finish(0);
      ws.onEvent((e: SwarmEvent) => {
        send({ t: 'event', event: e });
        scheduleState();
      });
      run = ws.startRun(s.run);
      if (early.paused) run.pause();
      if (early.stop !== undefined || hostGone) void run.stop(hostGone ? HOST_GONE_REASON : early.stop);
    } catch (e) {
      send({ t: 'failed', error: (e instanceof Error ? e.message : String(e)).slice(0, 60_000) });
      return finish(1);
    }
    send({ t: 'started', runId: run.runId, workers: run.workers() });
    const summary = await run.done;
    if (stateTimer) clearTimeout(stateTimer);
    sendState();
    send({ t: 'done', summary });
    finish(0);
  }

  function handle(m: HostToEngine): void {
    switch (m.t) {
      case 'start':
        if (starting) return deps.warn('a second start message was ignored');
        starting = true;
        void start(m.start);
        return;
      case 'pause':
      case 'resume':
        if (!run) early.paused = m.t === 'pause';
        else if (m.t === 'pause') run.pause();
        else run.resume();
        scheduleState();
        return;
      case 'stop':
        if (run) void run.stop(m.reason);
        else early = { ...early, stop: m.reason ?? 'stopped' };
        return;
      case 'worktrees':
        if (!ws) return send({ t: 'reply', id: m.id, error: 'the swarm process has not opened its workspace yet' });
        ws.listWorktrees().then(
          (worktrees) => send({ t: 'worktrees', id: m.id, worktrees }),
          (e: unknown) => send({ t: 'reply', id: m.id, error: e instanceof Error ? e.message : String(e) }),
        );
        return;
      case 'retry':
        if (!ws) return send({ t: 'reply', id: m.id, error: 'the swarm process has not opened its workspace yet' });
        ws.retry(m.taskId).then(
          () => send({ t: 'reply', id: m.id }),
          (e: unknown) => send({ t: 'reply', id: m.id, error: e instanceof Error ? e.message : String(e) }),
        );
        return;
      case 'decide':
        if (!ws) return send({ t: 'reply', id: m.id, error: 'the swarm process has not opened its workspace yet' });
        ws.decide(m.request).then(
          (result) => send({ t: 'decided', id: m.id, result }),
          (e: unknown) => send({ t: 'reply', id: m.id, error: e instanceof Error ? e.message : String(e) }),
        );
        return;
      case 'worker': {
        try {
          const f = m.op === 'pause' ? run?.pauseWorker : m.op === 'resume' ? run?.resumeWorker : run?.stopWorker;
          if (!run || !f) throw new Error('no run in this swarm process');
          send({ t: 'reply', id: m.id, value: f.call(run, m.workerId, m.reason) });
        } catch (e) {
          send({ t: 'reply', id: m.id, error: e instanceof Error ? e.message : String(e) });
        }
        scheduleState();
        return;
      }
    }
  }

  channel.onMessage((raw) => {
    const m = parseHostMessage(raw);
    if (!m) {
      deps.warn(`dropped a message that is not the engine protocol's: ${JSON.stringify(raw)?.slice(0, 200)}`);
      // A request refused is answered (the host waits for its id); a start refused leaves no run
      // to stop: the host would wait for it (and its Stop) forever.
      const id = (raw as { id?: unknown } | null)?.id;
      if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0)
        send({ t: 'reply', id, error: 'the swarm process refused this request (not one of the engine protocol)' });
      if (!starting && (raw as { t?: unknown } | null)?.t === 'start') {
        starting = true;
        send({
          t: 'failed',
          error: 'the swarm process refused its start message: a setting it was sent is out of bounds (swarm.cli.*, swarm.configPath, the agent PATH)',
        });
        finish(1);
      }
      return;
    }
    handle(m);
  });
  channel.onDisconnect(() => {
    hostGone = true;
    // Stopped as a Stop stops it; the run's own end (run.done) then ends the process.
    if (run) void run.stop(HOST_GONE_REASON);
    else if (!starting) finish(0);
  });
  return exit;
}
