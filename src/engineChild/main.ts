// Entry of dist/engine-child.js: the swarm engine in its own process, forked by the extension
// host (src/extension/engineChild.ts) with an IPC channel; serve.ts does the work, socketServer.ts
// lets a window re-attach to its run after the one that started it went (a reload).

import { openWorkspace } from '../swarm/workspace';
import { restoreHostEnv } from '../shared/engineProtocol';
import { processChannel } from './processChannel';
import { serveEngine } from './serve';
import { listenForHosts } from './socketServer';

// Before anything starts a process: agents and git get the extension host's environment.
restoreHostEnv(process.env);

if (!process.send) {
  process.stderr.write('engine-child: start me with child_process.fork (an IPC channel); "swarm run" is the command line\n');
  process.exit(2);
}

// The run may outlive the window that started it, and stderr is a pipe to that window: once it is
// gone a write fails (EPIPE), which must not end the process.
process.stderr.on('error', () => undefined);
const warn = (m: string) => void process.stderr.write(`engine-child: ${m}\n`);

void serveEngine(processChannel(process), { openWorkspace, warn, listen: (root, runId, slot) => listenForHosts(root, runId, slot, warn) }).then((code) => {
  // The process ends by itself once the channel has written the last messages (the run summary:
  // processChannel.ts) and closed; a handle the engine may still keep (a watcher, a timer) then
  // does not keep it long. A host that never reads them does not keep it forever either.
  process.exitCode = code;
  const exitSoon = () => setTimeout(() => process.exit(code), 2000).unref();
  if (!process.connected) exitSoon();
  else process.once('disconnect', exitSoon);
  setTimeout(() => process.exit(code), 60_000).unref();
});
