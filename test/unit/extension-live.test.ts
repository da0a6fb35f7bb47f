// The live agent output terminal (src/extension/liveOutput.ts) in the fake VS Code: it follows a
// log file as an agent writes it, renders it for people, switches to the next turn on
// agent_started, says when a turn ends, and reads a big log from its end only.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { EventEmitter } from '../helpers/fake-vscode';
import { LiveOutputTerminal, LiveTurns, LogFollower } from '../../src/extension/liveOutput';
import type { SwarmEvent } from '../../src/swarm/types';
import { waitFor } from '../helpers/repo';

const dir = mkdtempSync(join(tmpdir(), 'swarm-live-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function open(target: Omit<ConstructorParameters<typeof LiveOutputTerminal>[0], 'onEvent'>) {
  const events = new EventEmitter<SwarmEvent>();
  const pty = new LiveOutputTerminal({ ...target, onEvent: events.event } as ConstructorParameters<typeof LiveOutputTerminal>[0]);
  let out = '';
  pty.onDidWrite((t) => {
    out += t;
  });
  pty.open();
  return { pty, events, text: () => out };
}

test('a running turn: lines appear as the agent writes them, rendered; the next turn follows; the end is said', async () => {
  const log1 = join(dir, 't1-worker-r1-1.log');
  writeFileSync(log1, '');
  const live = open({ root: dir, taskId: 't1', turn: { logFile: log1, taskId: 't1', workerId: 'w1', role: 'worker', round: 1, running: true } });
  await waitFor(() => live.text().includes('worker w1 on t1, round 1 (live)'), 5000, 'header');
  appendFileSync(log1, `${JSON.stringify({ type: 'item.completed', item: { type: 'agent_message', text: 'LINE-ONE from the agent' } })}\n`);
  await waitFor(() => live.text().includes('LINE-ONE from the agent'), 5000, 'first line');
  appendFileSync(log1, 'plain \x1b]0;title\x07 stderr\n');
  await waitFor(() => live.text().includes('plain \\x1b]0;title\\x07 stderr'), 5000, 'second line, escaped');
  assert.ok(!live.text().includes('{"type"'), 'no raw JSON');
  live.events.fire({ type: 'agent_finished', taskId: 't1', workerId: 'w1', role: 'worker', round: 1, exitCode: 0, durationMs: 3000 });
  await waitFor(() => live.text().includes('turn ended after 3 s'), 5000, 'end of turn');
  const log2 = join(dir, 't1-reviewer-r1-2.log');
  writeFileSync(log2, 'Looks right.\nVERDICT: APPROVED\n');
  live.events.fire({ type: 'agent_started', taskId: 't1', workerId: 'w1', role: 'reviewer', round: 1, pid: 1, pgid: 1, logFile: log2 });
  await waitFor(() => live.text().includes('VERDICT: APPROVED'), 5000, 'the reviewer turn');
  assert.match(live.text(), /reviewer w1 on t1, round 1 \(live\)/);
  live.events.fire({ type: 'agent_started', taskId: 'other', workerId: 'w2', role: 'worker', round: 1, pid: 1, pgid: 1, logFile: log1 });
  live.pty.close();
});

test('a finished turn opens read-only with the same rendering; a big log shows its end only', async () => {
  const big = join(dir, 'big.log');
  writeFileSync(big, `${'old line\n'.repeat(100_000)}LAST-LINE\n`);
  const live = open({ root: dir, taskId: 't2', fallbackLog: big });
  await waitFor(() => live.text().includes('LAST-LINE'), 5000, 'the end of the log');
  assert.match(live.text(), /KiB earlier output not shown/);
  assert.ok(live.text().length < 300 * 1024, `bounded: ${live.text().length}`);
  live.pty.close();
});

test('LiveTurns remembers the latest turn per task and worker, and when it ended; worker cost adds up', () => {
  const turns = new LiveTurns();
  turns.observe('/r', { type: 'agent_started', taskId: 'a', workerId: 'w1', role: 'worker', round: 1, pid: 1, pgid: 1, logFile: '/l1' });
  assert.equal(turns.task('/r', 'a')?.running, true);
  turns.observe('/r', { type: 'agent_finished', taskId: 'a', workerId: 'w1', role: 'worker', round: 1, exitCode: 0, durationMs: 1, usage: { costUsd: 0.5 } });
  turns.observe('/r', {
    type: 'agent_finished',
    taskId: 'b',
    workerId: 'w1',
    role: 'reviewer',
    round: 1,
    exitCode: 0,
    durationMs: 1,
    usage: { costUsd: 0.25 },
  });
  assert.equal(turns.task('/r', 'a')?.running, false);
  assert.equal(turns.worker('/r', 'w1')?.logFile, '/l1');
  assert.equal(turns.workerUsage('/r', 'w1')?.costUsd, 0.75);
  assert.equal(turns.task('/other', 'a'), undefined);
});

test('LogFollower reads a growing file in chunks from where it was', async () => {
  const f = join(dir, 'grow.log');
  writeFileSync(f, 'a');
  let got = '';
  const fl = new LogFollower(
    f,
    (t) => {
      got += t;
    },
    20,
  );
  await fl.start(true);
  appendFileSync(f, 'bc\u00e9');
  await waitFor(() => got === 'abc\u00e9', 5000, 'appended text');
  fl.stop();
});
