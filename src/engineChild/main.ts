// Entry of dist/engine-child.js: the swarm engine in its own process, forked by the extension
// host (src/extension/engineChild.ts) with an IPC channel; serve.ts does the work.

import { openWorkspace } from '../swarm/workspace';
import { serveEngine } from './serve';
import { processChannel } from './channel';

if (!process.send) {
  process.stderr.write('engine-child: start me with child_process.fork (an IPC channel); "swarm run" is the command line\n');
  process.exit(2);
}

const channel = processChannel(process);

void serveEngine(channel, { openWorkspace, warn: (m) => process.stderr.write(`engine-child: ${m}\n`) }).then((code) => {
  // The process ends by itself once the channel has flushed the last messages (the run summary)
  // and closed; a handle the engine may still keep (a watcher, a timer) does not keep it long.
  process.exitCode = code;
  setTimeout(() => process.exit(code), 2000).unref();
});
