// Agents kept in their room (hazards 11, 12, 14): rate limits pause the pool and the work goes on
// after the pause; an agent changing the shared git config stops its worker; a turn timeout kills
// the whole process group; failing agents stop their worker instead of spinning.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, statSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { newRepo, runSwarm, waitFor, alive, userCommit, killedAfterAll } from '../helpers/repo';

const pids = killedAfterAll();

describe('agent processes and failures', { timeout: 300_000 }, () => {
  test('rate limit (exit 75): the pool pauses (pool_paused), then the same task completes', async () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('limited', { agent: { exitFirst: 75, retryAfter: 1, files: { 'l.txt': 'l\n' } } });
    const started = Date.now();
    const { summary, events } = await runSwarm(repo.root);
    assert.deepEqual(summary.merged, ['limited']);
    const paused = events.find((e) => e.type === 'pool_paused');
    assert.ok(paused && paused.type === 'pool_paused', 'pool_paused emitted');
    assert.equal(paused.pool, 'scripted');
    assert.match(paused.reason, /rate limit/);
    assert.ok(events.some((e) => e.type === 'pool_resumed' && e.pool === 'scripted'));
    assert.ok(Date.now() - started >= 1000, 'it waited for the pause');
    const workerCalls = repo.calls().filter((c) => c.role === 'worker');
    assert.equal(workerCalls.length, 2, 'the same turn once more after the pause');
    // A rate limit is not the task's fault: no failed attempt, the task never left its worker.
    assert.equal(events.filter((e) => e.type === 'task_failed').length, 0);
    assert.equal(repo.task('complete', 'limited')!.data.completed_by, 'w1');
  });

  test('an agent that sets core.hooksPath in the shared repository: security_violation, its worker stops', async () => {
    const repo = newRepo();
    repo.writeConfig({
      workers: [{ role: 'worker', harness: 'scripted', count: 1, iterations: 50 }],
      sandbox: { mode: 'off' } /* no sandbox: this tests the defence that remains without one */,
    });
    const evil = join(repo.home, 'evil-hooks');
    repo.writeTask('escape', { priority: 1, agent: { gitConfig: ['core.hooksPath', evil], files: { 'e.txt': 'e\n' } } });
    repo.writeTask('after-escape', { priority: 2 });
    const before = repo.rev('main');
    const { summary, events } = await runSwarm(repo.root);
    const v = events.find((e) => e.type === 'security_violation');
    assert.ok(v && v.type === 'security_violation');
    assert.equal(v.workerId, 'w1');
    assert.equal(v.taskId, 'escape');
    assert.ok(
      v.changes.some((c) => /core\.hookspath/i.test(c) && c.includes(evil)),
      v.changes.join('; '),
    );
    const stopped = events.find((e) => e.type === 'worker_stopped' && e.workerId === 'w1');
    assert.ok(stopped && stopped.type === 'worker_stopped' && /security/.test(stopped.reason));
    // Nothing of it merged; no reviewer saw it; the worker took nothing else.
    assert.deepEqual(summary.merged, []);
    assert.equal(repo.rev('main'), before);
    assert.equal(repo.calls().filter((c) => c.role === 'reviewer').length, 0);
    assert.deepEqual(repo.taskIds('pending'), ['after-escape']);
    assert.match(summary.reason ?? '', /^error: work is left, but workers stopped: w1: security/);
    assert.equal(repo.task('current', 'escape')!.data.status, 'blocked');
    assert.match(String(repo.task('current', 'escape')!.data.question), /git configuration, hooks or the base branch/);
  });

  test('an agent writing .git/hooks/* is detected too', async () => {
    const repo = newRepo();
    repo.writeConfig();
    const script = repo.script(
      'hook-agent.cjs',
      `
      const fs = require('fs'); const path = require('path'); const cp = require('child_process');
      try { fs.readFileSync(0); } catch {}
      const common = cp.execFileSync('git', ['rev-parse', '--git-common-dir'], { encoding: 'utf8' }).trim();
      fs.mkdirSync(path.join(common, 'hooks'), { recursive: true });
      fs.writeFileSync(path.join(common, 'hooks', 'post-checkout'), '#!/bin/sh\\necho pwned\\n', { mode: 0o755 });
      fs.writeFileSync('x.txt', 'x\\n');
      console.log('COMPLETE_AND_READY_FOR_MERGE');
    `,
    );
    repo.writeConfig({
      workers: [{ role: 'worker', harness: 'hooky', count: 1 }],
      harnesses: { ...(repo.config().harnesses as object), hooky: { command: [process.execPath, script] } },
      sandbox: { mode: 'off' } /* no sandbox: this tests the defence that remains without one */,
    });
    repo.writeTask('hook');
    const { events, summary } = await runSwarm(repo.root);
    const v = events.find((e) => e.type === 'security_violation');
    assert.ok(v && v.type === 'security_violation');
    assert.ok(
      v.changes.some((c) => /hooks\/post-checkout/.test(c) && /added/.test(c)),
      v.changes.join('; '),
    );
    assert.deepEqual(summary.merged, []);
  });

  test('an agent that puts its own commit on the base branch (update-ref) is caught before any review; the honest task beside it merges', async () => {
    const repo = newRepo();
    const script = repo.script(
      'ref-agent.cjs',
      `
      const fs = require('fs'); const cp = require('child_process');
      try { fs.readFileSync(0); } catch {}
      const git = (...a) => cp.execFileSync('git', a, { encoding: 'utf8' }).trim();
      fs.writeFileSync(process.env.SWARM_TASK_ID + '.txt', 'sneaky\\n');
      git('add', '-A');
      git('-c', 'user.name=a', '-c', 'user.email=a@b', 'commit', '-q', '-m', 'unreviewed');
      if (process.env.SWARM_TASK_ID === 'sneak') git('update-ref', 'refs/heads/main', 'HEAD');
      console.log('COMPLETE_AND_READY_FOR_MERGE');
    `,
    );
    repo.writeConfig({
      workers: [{ role: 'worker', harness: 'refs', count: 1, iterations: 5 }],
      harnesses: { ...(repo.config().harnesses as object), refs: { command: [process.execPath, script] } },
      sandbox: { mode: 'off' } /* no sandbox: this tests the defence that remains without one */,
    });
    repo.writeTask('honest', { priority: 1 });
    repo.writeTask('sneak', { priority: 2 });
    const { events, summary } = await runSwarm(repo.root);
    const v = events.find((e) => e.type === 'security_violation');
    assert.ok(v && v.type === 'security_violation', 'caught');
    assert.equal(v.taskId, 'sneak');
    assert.ok(
      v.changes.some((c) => /unreviewed commit .* base branch main/.test(c)),
      v.changes.join('; '),
    );
    assert.deepEqual(summary.merged, ['honest'], 'the honest task merged normally, with no false alarm');
    assert.equal(repo.task('current', 'sneak')!.data.status, 'blocked');
    // Nothing was undone silently: main still holds what the agent did, and the user is told.
    assert.equal(repo.show('main', 'sneak.txt'), 'sneaky\n');
  });

  test('a per-turn timeout kills the whole process group: the agent and the child it spawned are gone', async () => {
    const repo = newRepo();
    const cfg = repo.config();
    const h = (cfg.harnesses as Record<string, Record<string, unknown>>).scripted;
    repo.writeConfig({
      harnesses: { scripted: { ...h, timeout_s: 1 } },
      limits: { max_attempts: 1 },
      sandbox: { mode: 'off' } /* no sandbox: pids seen from outside, the process-group kill */,
    });
    repo.writeTask('hang', { agent: { sleeper: true, sleeperWaitMs: 30_000, files: { 'never.txt': 'x\n' } } });
    const { summary, events } = await runSwarm(repo.root);
    const sleeperFile = join(repo.logDir, 'sleeper-hang.pid');
    assert.ok(existsSync(sleeperFile));
    const sleeper = Number(readFileSync(sleeperFile, 'utf8'));
    const agent = repo.calls().find((c) => c.task === 'hang')!.pid;
    pids.push(sleeper, agent);
    const finished = events.find((e) => e.type === 'agent_finished' && e.taskId === 'hang');
    assert.ok(finished && finished.type === 'agent_finished');
    assert.equal(finished.failureKind, 'timeout');
    await waitFor(() => !alive(sleeper) && !alive(agent), 5_000, 'the agent and its child to be killed');
    assert.deepEqual(summary.merged, []);
    assert.equal(repo.task('current', 'hang')!.data.status, 'blocked', 'after max_attempts the task waits for the user');
  });

  test('an agent that keeps crashing: its worker stops after max_consecutive_errors; the run ends', async () => {
    const repo = newRepo();
    repo.writeConfig({ limits: { max_consecutive_errors: 2, max_attempts: 5, backoff_failures: 100 } });
    for (const id of ['c1', 'c2', 'c3']) repo.writeTask(id, { agent: { exit: 3 } });
    const { summary, events } = await runSwarm(repo.root);
    const stop = events.find((e) => e.type === 'worker_stopped');
    assert.ok(stop && stop.type === 'worker_stopped' && /2 failed turns in a row/.test(stop.reason), JSON.stringify(stop));
    assert.match(summary.reason ?? '', /^error: work is left, but workers stopped: w1: 2 failed turns in a row/, 'not a normal end');
    assert.equal(repo.calls().filter((c) => c.role === 'worker').length, 2);
    assert.equal(summary.workers[0].errors, 2);
    // Nothing lost: failed tasks are back in pending with their work on their branches.
    assert.equal(repo.taskIds('pending').length, 3);
  });

  test('repeated failures pause the pool (back-off) instead of spinning', async () => {
    const repo = newRepo();
    repo.writeConfig({
      workers: [{ role: 'worker', harness: 'scripted', count: 2, iterations: 50 }],
      limits: { backoff_failures: 2, backoff_window_s: 60, backoff_pause_s: 1, max_attempts: 1, max_consecutive_errors: 5 },
    });
    for (const id of ['f1', 'f2', 'f3']) repo.writeTask(id, { agent: { exit: 1 } });
    const { events } = await runSwarm(repo.root);
    const paused = events.find((e) => e.type === 'pool_paused');
    assert.ok(paused && paused.type === 'pool_paused' && /2 failures within 60 s/.test(paused.reason), JSON.stringify(paused));
  });

  test('an agent printing a flood: the log file gets all of it, the reply keeps a bounded tail, the signal at the end counts', async () => {
    const repo = newRepo();
    const flood = repo.script(
      'flood.cjs',
      `
      const fs = require('fs');
      try { fs.readFileSync(0); } catch {}
      if (process.env.SWARM_ROLE === 'reviewer') { console.log('ok\\nVERDICT: APPROVED'); process.exit(0); }
      fs.writeFileSync('flood.txt', 'x\\n');
      const line = 'y'.repeat(1023) + '\\n';
      const chunk = line.repeat(1024); // 1 MiB
      let n = 0;
      const write = () => { while (n < 24) { n++; if (!process.stdout.write(chunk)) { process.stdout.once('drain', write); return; } } process.stdout.write('COMPLETE_AND_READY_FOR_MERGE\\n'); };
      write();
    `,
    );
    repo.writeConfig({
      workers: [{ role: 'worker', harness: 'flood', count: 1 }],
      review: { harness: 'flood' },
      harnesses: { flood: { command: [process.execPath, flood] } },
    });
    repo.writeTask('loud');
    const { summary, events } = await runSwarm(repo.root);
    assert.deepEqual(summary.merged, ['loud']);
    const started = events.find((e) => e.type === 'agent_started' && e.role === 'worker');
    assert.ok(started && started.type === 'agent_started');
    const { size } = statSync(started.logFile);
    assert.ok(size >= 24 * 1024 * 1024, `the log has all ${size} bytes`);
  });

  test('a worktree setup command that fails is run again on the next attempt (the agent never works in a half-set-up worktree)', async () => {
    const repo = newRepo();
    const counter = join(repo.logDir, 'setup-count'); // the sandboxed setup may write the log dir only
    const setup = repo.script(
      'setup.cjs',
      `
      const fs = require('fs');
      const n = fs.existsSync(${JSON.stringify(counter)}) ? Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8')) + 1 : 1;
      fs.writeFileSync(${JSON.stringify(counter)}, String(n));
      if (n === 1) { console.error('network down'); process.exit(1); }
      fs.mkdirSync('deps', { recursive: true });
    `,
    );
    repo.write('.gitignore', 'deps/\n');
    userCommit(repo.root, 'ignore deps', '.gitignore');
    const check = repo.script(
      'check.cjs',
      `
      const fs = require('fs'); try { fs.readFileSync(0); } catch {}
      if (process.env.SWARM_ROLE === 'reviewer') { console.log('VERDICT: APPROVED'); process.exit(0); }
      fs.writeFileSync('setup-seen.txt', fs.existsSync('deps') ? 'set up\\n' : 'NOT set up\\n');
      console.log('COMPLETE_AND_READY_FOR_MERGE');
    `,
    );
    repo.writeConfig({
      setup: [process.execPath, setup],
      workers: [{ role: 'worker', harness: 'chk', count: 1 }],
      review: { harness: 'chk' },
      harnesses: { chk: { command: [process.execPath, check] } },
    });
    repo.writeTask('needs-setup');
    const { summary, events } = await runSwarm(repo.root);
    assert.ok(events.some((e) => e.type === 'task_failed' && /setup command .* failed with 1: network down/.test(e.reason)));
    assert.deepEqual(summary.merged, ['needs-setup']);
    assert.equal(repo.show('main', 'setup-seen.txt'), 'set up\n');
    assert.equal(readFileSync(counter, 'utf8'), '2');
    assert.match(
      readFileSync(join(repo.path('.swarm', 'runs'), readdirSync(repo.path('.swarm', 'runs'))[0], 'logs', 'needs-setup-setup.log'), 'utf8'),
      /network down/,
    );
  });
});
