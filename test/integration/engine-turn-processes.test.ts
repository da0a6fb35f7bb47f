// Issue 12, rule 10: an agent's processes end with its turn, including ones that leave its process
// group (setsid, a double fork with nohup) and ones that keep its stdout open. With the sandbox off
// there is no PID namespace: every turn's processes carry SWARM_TURN_TOKEN and are found by it.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { newRepo, TestRepo, runSwarm, waitFor, alive, spawnCli, killedAfterAll } from '../helpers/repo';
import { findMarkedProcesses, killMarkedProcesses, TURN_TOKEN_VAR } from '../../src/swarm/procKill';

const pids = killedAfterAll();

/** A worker (sh) that starts daemons escaping its process group, waits for their pid files, then is ready. */
const DAEMON_AGENT = String.raw`
set -e
L="$TEST_AGENT_LOG"
if [ "$SWARM_ROLE" = reviewer ]; then echo 'fine'; echo 'VERDICT: APPROVED'; exit 0; fi
# 1. its own session (setsid), stdio detached
setsid sh -c 'echo $$ > "$0/d1.pid"; exec sleep 1000' "$L" >/dev/null 2>&1 </dev/null &
# 2. a double fork: setsid, then nohup in a subshell whose parent exits at once
( setsid sh -c '(nohup sleep 1001 >/dev/null 2>&1 </dev/null & echo $! > "$0/d2.pid")' "$L" & ) >/dev/null 2>&1
# 3. its own session, keeping the agent's stdout and stderr open
if [ -n "$KEEP_STDOUT" ]; then setsid sh -c 'echo $$ > "$0/d3.pid"; exec sleep 1002' "$L" & fi
for f in d1 d2 ${'${KEEP_STDOUT:+d3}'}; do while [ ! -s "$L/$f.pid" ]; do sleep 0.02; done; done
# HANG_FIRST: the first turn never ends (its swarm is killed meanwhile)
if [ -n "$HANG_FIRST" ] && [ ! -e "$L/hung" ]; then : > "$L/hung"; exec sleep 60; fi
echo daemon > daemon.txt
echo COMPLETE_AND_READY_FOR_MERGE
`;

const readPid = (repo: TestRepo, name: string): number => {
  const pid = Number(readFileSync(join(repo.logDir, `${name}.pid`), 'utf8').trim());
  pids.push(pid);
  return pid;
};

describe('rule 10: nothing an agent started survives its turn', { timeout: 300_000 }, () => {
  test('setsid and double-forked (nohup) daemons are gone once the worker turn has ended', async () => {
    const repo = newRepo();
    const script = repo.script('daemon-agent.sh', DAEMON_AGENT);
    const cfg = repo.config();
    const h = (cfg.harnesses as Record<string, Record<string, unknown>>).scripted;
    repo.writeConfig({
      harnesses: { scripted: { ...h, command: ['sh', script] } },
      sandbox: { mode: 'off' } /* no PID namespace: this tests the token kill that remains without one */,
    });
    repo.writeTask('daemon');
    let finishedAt = 0;
    const { summary } = await runSwarm(repo.root, {
      timeoutMs: 30_000,
      onEvent: (e) => {
        if (e.type === 'agent_finished' && e.role === 'worker' && !finishedAt) finishedAt = Date.now();
      },
    });
    assert.deepEqual(summary.merged, ['daemon']);
    assert.ok(finishedAt > 0);
    const d1 = readPid(repo, 'd1');
    const d2 = readPid(repo, 'd2');
    // Wait for the state (both gone), bounded: on the unchanged engine they live on (sleep 1000).
    await waitFor(() => !alive(d1) && !alive(d2), 5_000, `daemons ${d1} and ${d2} to be gone`);
  });

  test('a daemon holding the agent stdout open neither survives nor hangs the turn', async () => {
    const repo = newRepo();
    const script = repo.script('daemon-agent.sh', DAEMON_AGENT);
    const cfg = repo.config();
    const h = (cfg.harnesses as Record<string, Record<string, unknown>>).scripted;
    repo.writeConfig({
      harnesses: { scripted: { ...h, command: ['sh', script], env: { ...(h.env as object), KEEP_STDOUT: '1' }, timeout_s: 20 } },
      sandbox: { mode: 'off' } /* no PID namespace: this tests the token kill that remains without one */,
    });
    repo.writeTask('holder');
    const started = Date.now();
    const run = runSwarm(repo.root, { timeoutMs: 40_000 });
    // On the unchanged engine the turn waits for the pipe to close, which the daemon never does.
    await waitFor(() => existsSync(join(repo.logDir, 'd3.pid')) && readFileSync(join(repo.logDir, 'd3.pid'), 'utf8').trim(), 15_000, 'd3.pid');
    const d3 = readPid(repo, 'd3');
    const { summary } = await run;
    assert.deepEqual(summary.merged, ['holder']);
    assert.ok(Date.now() - started < 15_000, `the turn ended promptly (${Date.now() - started} ms)`);
    await waitFor(() => !alive(d3), 5_000, `daemon ${d3} to be gone`);
  });

  test('after a crash of the swarm, recovery kills the daemons its agents left (outside their groups)', async () => {
    const repo = newRepo();
    const script = repo.script('daemon-agent.sh', DAEMON_AGENT);
    const cfg = repo.config();
    const h = (cfg.harnesses as Record<string, Record<string, unknown>>).scripted;
    repo.writeConfig({
      harnesses: { scripted: { ...h, command: ['sh', script], env: { ...(h.env as object), HANG_FIRST: '1' } } },
      sandbox: { mode: 'off' } /* no PID namespace: this tests the token kill that remains without one */,
    });
    repo.writeTask('crashed');
    const { child, done } = spawnCli(['run', '--repo', repo.root]);
    pids.push(child.pid!);
    await waitFor(() => existsSync(join(repo.logDir, 'hung')), 20_000, 'the first turn to hang');
    const d1 = readPid(repo, 'd1');
    const d2 = readPid(repo, 'd2');
    child.kill('SIGKILL');
    assert.equal((await done).signal, 'SIGKILL');
    assert.ok(alive(d1) && alive(d2), 'the daemons outlived the crashed swarm');
    const { summary, events } = await runSwarm(repo.root, { timeoutMs: 30_000 });
    const rec = events.find((e) => e.type === 'run_recovered');
    assert.ok(rec && rec.type === 'run_recovered');
    assert.ok(rec.killedPids.includes(d1) && rec.killedPids.includes(d2), `killed ${rec.killedPids.join(',')}`);
    await waitFor(() => !alive(d1) && !alive(d2), 5_000, 'the old daemons to be gone');
    assert.deepEqual(summary.merged, ['crashed']);
  });

  test('findMarkedProcesses / killMarkedProcesses: only the token given, the whole tree, then none', async () => {
    const token = `test-${process.pid}-${Date.now()}`;
    const other = `${token}-other`;
    const start = (tok: string) => {
      const c = spawn('sh', ['-c', 'setsid sleep 1003 & echo $!; wait'], {
        env: { ...process.env, [TURN_TOKEN_VAR]: tok },
        stdio: ['ignore', 'pipe', 'ignore'],
        detached: true,
      });
      pids.push(c.pid!);
      return new Promise<number>((res) =>
        c.stdout!.once('data', (b: Buffer) => {
          const p = Number(b.toString().trim());
          pids.push(p);
          res(p);
        }),
      );
    };
    const mine = await start(token);
    const theirs = await start(other);
    const found = await findMarkedProcesses((env) => env.get(TURN_TOKEN_VAR) === token);
    assert.ok(found.includes(mine), `found ${found.join(',')}, expected ${mine}`);
    assert.ok(!found.includes(theirs));
    const killed = await killMarkedProcesses((env) => env.get(TURN_TOKEN_VAR) === token, 5_000);
    assert.ok(killed.includes(mine));
    await waitFor(() => !alive(mine), 5_000, 'the marked daemon to be gone');
    assert.ok(alive(theirs), 'a process with another token is left alone');
    assert.deepEqual(await findMarkedProcesses((env) => env.get(TURN_TOKEN_VAR) === token), []);
  });
});
