// The engine process's end of its IPC channel (src/engineChild/serve.ts EngineChannel) over node's
// `process` of a forked child. Closing the channel under a message still being written drops that
// message: the host, slow to read, would miss the run's summary and take the end for a crash. So
// close() waits until every message sent has been written.

import type { EngineChannel } from './serve';

export function processChannel(proc: NodeJS.Process): EngineChannel {
  let writing = 0;
  let closing = false;
  const disconnect = () => {
    if (proc.connected) proc.disconnect();
  };
  return {
    send: (m) => {
      writing++;
      proc.send!(m, undefined, {}, () => {
        writing--;
        if (closing && writing === 0) disconnect();
      });
    },
    onMessage: (l) => {
      proc.on('message', l);
      // Signals (a user's kill, the OS at logout) stop the run as the Stop command does.
      for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) proc.on(sig, () => l({ t: 'stop', reason: `the swarm process got ${sig}` }));
    },
    onDisconnect: (l) => void proc.on('disconnect', l),
    close: () => {
      closing = true;
      if (writing === 0) disconnect();
    },
  };
}
