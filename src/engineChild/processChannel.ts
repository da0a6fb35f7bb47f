// The engine process's IPC channel over node's own (`process.send`, a forked child), as serve.ts
// uses it. Two of node's behaviours are handled here:
// - `process.disconnect()` closes the pipe at once: messages still queued in it (the host busy, a
//   burst of events at the end of a run) are dropped, and the host then sees a process that ended
//   without its summary, a crash. close() waits until every message sent has been written.
// - `process.send` on a closed channel does not throw: it emits 'error' on `process`, which nobody
//   handles, and the process dies on it (a worktree listing answered after the run ended, a send in
//   the moment between the host going and the 'disconnect' event). Such a message is dropped.

import type { EngineChannel } from './serve';
import type { EngineToHost } from '../shared/engineProtocol';

type IpcProcess = Pick<NodeJS.Process, 'on' | 'disconnect'> & {
  send?: NodeJS.Process['send'];
  readonly connected?: boolean;
};

export function processChannel(proc: IpcProcess): EngineChannel {
  /** Messages handed to node and not written yet. */
  let unwritten = 0;
  let closing = false;
  const flushed: (() => void)[] = [];
  const written = () => {
    unwritten--;
    if (unwritten === 0) for (const f of flushed.splice(0)) f();
  };
  const disconnect = () => {
    if (proc.connected) proc.disconnect();
  };
  return {
    send: (m: EngineToHost) => {
      if (!proc.connected || !proc.send || closing) return;
      unwritten++;
      // The callback (an error included: the host went) says the message left this process.
      proc.send(m, undefined, {}, written);
    },
    onMessage: (l) => {
      proc.on('message', l);
      // Signals (a user's kill, the OS at logout) stop the run as the Stop command does.
      for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) proc.on(sig, () => l({ t: 'stop', reason: `the swarm process got ${sig}` }));
    },
    onDisconnect: (l) => void proc.on('disconnect', l),
    close: () => {
      closing = true;
      if (unwritten === 0) disconnect();
      else flushed.push(disconnect);
    },
  };
}
