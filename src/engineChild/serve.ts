// The child's half of the engine process (src/shared/engineProtocol.ts): it opens the workspace
// with the settings the host sent, starts the run, sends every event of the workspace to the host
// and answers its control messages (pause, resume, stop, one worker). When the IPC channel closes
// (a window reload or close, the extension host gone) the run goes on if it can be re-attached:
// `deps.listen` (socketServer.ts) made its socket, where the next window attaches as a new host
// (one at a time) and gets the run's state, then its events; with no window it runs to its end and
// the process exits. A run that cannot be re-attached is stopped as the Stop command stops it —
// agents killed by process group, state journaled, the tasks resumed by the next start.
// No vscode import (docs/architecture.md).

import type { OpenWorkspaceOptions, SwarmRun, Workspace } from '../swarm/api';
import type { SwarmEvent } from '../swarm/types';
import type { EngineListener, HostSlot } from './socketServer';
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
  /** Listen for windows that re-attach to this run (socketServer.ts); absent: the run ends with its IPC channel. */
  listen?(root: string, runId: string, slot: HostSlot): Promise<EngineListener | undefined>;
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
  /** Who gets the messages: the IPC channel, then a window attached over the socket, or nobody. */
  let host: EngineChannel | undefined = channel;
  let listener: EngineListener | undefined;
  let runOver = false;
  /** Pause / stop asked before the run existed (the workspace still opening): applied when it starts. */
  let early: { paused?: boolean; stop?: string } = {};
  let stateTimer: NodeJS.Timeout | undefined;
  let resolveExit!: (code: number) => void;
  const exit = new Promise<number>((r) => (resolveExit = r));

  const send = (m: EngineToHost) => {
    try {
      host?.send(m);
    } catch {
      // the channel closed under us: its onDisconnect says so
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
    if (host && host !== channel) host.close();
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
    if (deps.listen && !hostGone) {
      const started = run;
      listener = await deps.listen(ws.root, run.runId, {
        busy: () => (host ? 'another VS Code window is attached to this run' : runOver ? 'the run is ending' : undefined),
        attach: (h) => attachHost(h, started),
      });
      // (A window gone while the socket was being made stopped the run: onDisconnect below.)
    }
    const summary = await run.done;
    runOver = true;
    if (stateTimer) clearTimeout(stateTimer);
    sendState();
    send({ t: 'done', summary });
    listener?.close(host ? undefined : summary);
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

  /** A window re-attached over the socket: it gets the run's state, then its events. */
  function attachHost(h: EngineChannel, r: SwarmRun): void {
    host = h;
    h.onMessage((raw) => {
      if (host !== h) return;
      const m = parseHostMessage(raw);
      if (m && m.t !== 'start') return handle(m);
      deps.warn(`dropped a message from a re-attached window: ${JSON.stringify(raw)?.slice(0, 200)}`);
      const id = (raw as { id?: unknown } | null)?.id;
      if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) send({ t: 'reply', id, error: 'the swarm process refused this request' });
    });
    h.onDisconnect(() => {
      if (host === h) host = undefined;
    });
    send({ t: 'started', runId: r.runId, workers: r.workers() });
    sendState();
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
    if (host === channel) host = undefined;
    // A run a window can re-attach to goes on; else it is stopped as a Stop stops it, and the
    // run's own end (run.done) then ends the process.
    if (listener) return;
    if (run) void run.stop(HOST_GONE_REASON);
    else if (!starting) finish(0);
  });
  return exit;
}
