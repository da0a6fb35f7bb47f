// Entry of dist/engine-child.js: the swarm engine in its own process, forked by the extension
// host (src/extension/engineChild.ts) with an IPC channel; serve.ts does the work.

import { openWorkspace } from '../swarm/workspace';
import { serveEngine } from './serve';

if (!process.send) {
  process.stderr.write('engine-child: start me with child_process.fork (an IPC channel); "swarm run" is the command line\n');
  process.exit(2);
}

const channel = {
  send: (m: unknown) => void process.send!(m),
  onMessage: (l: (m: unknown) => void) => {
    process.on('message', l);
    // Signals (a user's kill, the OS at logout) stop the run as the Stop command does.
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => l({ t: 'stop', reason: `the swarm process got ${sig}` }));
  },
  onDisconnect: (l: () => void) => void process.on('disconnect', l),
  close: () => {
    if (process.connected) process.disconnect();
  },
};

void serveEngine(channel, { openWorkspace, warn: (m) => process.stderr.write(`engine-child: ${m}\n`) }).then((code) => {
  // The process ends by itself once the channel has flushed the last messages (the run summary)
  // and closed; a handle the engine may still keep (a watcher, a timer) does not keep it long.
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2000).unref();
});
