// `swarm stop`: end the swarm running on this repository from another terminal — a `swarm run` in
// another shell, or a run started from VS Code whose window is closed (it outlives the window:
// docs/decisions.md "Re-attach after a window reload"). It sends SIGTERM to the process holding the
// run lock, which stops the run as Stop does (agents killed, state saved; the next start resumes),
// and waits until the lock is released. The pid is signalled only while its start time is the one
// the lock records (a reused pid is never signalled: state.ts liveLock). No config is read, so a bad
// swarm.json does not stand in the way.

import { StateStore } from '../swarm/state';
import { findRepoRoot } from '../swarm/init';
import { EXIT, type Out } from './output';

/** How long `swarm stop` waits for the run to end before saying it is still stopping. */
export const STOP_WAIT_MS = 60_000;

export async function cmdStop(repo: string, out: Out, waitMs = STOP_WAIT_MS): Promise<number> {
  const state = new StateStore(await findRepoRoot(repo));
  const lock = state.liveLock();
  if (!lock) {
    if (out.json) out.data({ running: null, stopped: false });
    else out.print('no swarm is running on this repository');
    return EXIT.ok;
  }
  try {
    process.kill(lock.pid, 'SIGTERM');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
  if (!out.json) out.print(`stopping the swarm (pid ${lock.pid}, run ${lock.runId}): agents are being stopped, the state is saved…`);
  const end = Date.now() + waitMs;
  for (;;) {
    const now = state.liveLock();
    if (!now || now.runId !== lock.runId) break;
    if (Date.now() > end) {
      if (out.json) out.data({ running: { pid: lock.pid, runId: lock.runId }, stopped: false });
      else
        process.stderr.write(
          `swarm: the swarm (pid ${lock.pid}) is still stopping after ${Math.round(waitMs / 1000)} s; "swarm status" shows when it is done\n`,
        );
      return EXIT.busy;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (out.json) out.data({ running: { pid: lock.pid, runId: lock.runId }, stopped: true });
  else out.print(`stopped run ${lock.runId}; "swarm run" (or Start swarm in VS Code) resumes it`);
  return EXIT.ok;
}
