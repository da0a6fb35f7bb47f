// A run started from the extension outlives the window (src/shared/engineSocket.ts,
// src/engineChild/socketServer.ts, src/extension/engineAttach.ts, engineReattach.ts): real git,
// real processes, scripted agents that wait on a file, the extension in the fake `vscode`.
// - a reload (deactivate, then a new activation): the engine process and its agent stay alive, the
//   new window attaches, the agent is released, the task merges in the same turn, the view shows it;
// - no window attaches: the run goes to its end, the process exits, the next window tells its summary;
// - hostile files in .swarm/engine/: a dead pid, a live foreign pid behind a fake socket, a folder
//   open to others, a client without the token; an engine of another protocol version (refused,
//   stopped by the command).
import { fake, createFakeExtensionContext, reply } from '../helpers/fake-vscode';
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { activate, deactivate, type SwarmExtension } from '../../src/extension/extension';
import { Commands } from '../../src/extension/constants';
import { ChildRun } from '../../src/extension/engineChild';
import { findEngine } from '../../src/extension/engineAttach';
import { EngineCommands } from '../../src/extension/constants';
import { engineDir, engineInfoPath, ENGINE_PROTOCOL_VERSION } from '../../src/shared/engineSocket';
import { processStartTime } from '../../src/swarm/procKill';
import { alive, cli, newRepo, waitFor, type TestRepo } from '../helpers/repo';
import type { SwarmEvent } from '../../src/swarm/types';

function makeRepo(): { repo: TestRepo; release: string } {
  const repo = newRepo('swarm-reattach-');
  const release = join(repo.logDir, 'release-held'); // agents may see it in their sandbox
  repo.writeConfig({
    workers: [{ role: 'executor', harness: 'scripted', count: 1, iterations: 10 }],
    review: { mode: 'agent', harness: 'scripted', max_rounds: 2 },
  });
  repo.writeTask('held', { title: 'Task held', body: 'Create held.txt.', agent: { files: { 'held.txt': 'made for held\n' }, waitFile: release } });
  return { repo, release };
}

async function startExtension(root: string): Promise<{ ext: SwarmExtension; events: SwarmEvent[] }> {
  fake.setFolders([root]);
  const ext = activate(createFakeExtensionContext() as never, {
    agentPath: async () => process.env.PATH,
    refreshDelayMs: 10,
    refreshMaxWaitMs: 50,
    startTimeoutMs: 20_000,
  });
  const events: SwarmEvent[] = [];
  ext.registry.onEvent(({ event }) => events.push(event));
  await ext.openSessions();
  await ext.registry.sessions[0].settled();
  return { ext, events };
}

const log = () => fake.outputChannels.map((c) => c.text()).join('\n');
const workerCalls = (repo: TestRepo) =>
  readFileSync(join(repo.logDir, 'calls.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { role: string; task: string })
    .filter((c) => c.role !== 'reviewer' && c.task === 'held');

/** Start the run in a first window and wait for its agent and its socket. */
async function startHeld(root: string): Promise<{ run: ChildRun; agentPid: number }> {
  const { ext, events } = await startExtension(root);
  assert.equal(await fake.commands.get(Commands.startSwarm)!(), true);
  const run = ext.registry.sessions[0].activeRun as ChildRun;
  assert.ok(run instanceof ChildRun);
  const agent = await waitFor(
    () => events.find((e): e is Extract<SwarmEvent, { type: 'agent_started' }> => e.type === 'agent_started' && e.taskId === 'held'),
    60_000,
    'the agent on held',
  );
  await waitFor(() => existsSync(engineInfoPath(root)), 20_000, 'engine.json');
  return { run, agentPid: agent.pid };
}

const spawned: ChildProcess[] = [];
beforeEach(() => fake.reset());
afterEach(async () => {
  await deactivate();
  for (const p of spawned.splice(0)) p.kill('SIGKILL');
});

test(
  'reattach: a reload leaves the run going on; the next window attaches, the agent finishes its turn, the task merges and shows merged',
  { timeout: 240_000 },
  async () => {
    const { repo, release } = makeRepo();
    const { run, agentPid } = await startHeld(repo.root);
    const childPid = run.pid!;

    // While this window is attached, a second one is refused; a client without the token learns nothing.
    const second = await findEngine(repo.root);
    assert.equal(second.kind, 'refused', JSON.stringify(second));
    assert.match((second as { reason: string }).reason, /another VS Code window/);
    const info = JSON.parse(readFileSync(engineInfoPath(repo.root), 'utf8')) as { socket: string };
    const got = await new Promise<string>((resolve) => {
      let data = '';
      const s = connect(info.socket, () => s.write(`${JSON.stringify({ t: 'hello', protocol: ENGINE_PROTOCOL_VERSION, token: '0'.repeat(64) })}\n`));
      s.on('data', (c) => (data += c.toString()));
      s.on('close', () => resolve(data));
      s.on('error', () => undefined);
    });
    assert.equal(got, '', 'a wrong token is dropped without an answer');

    await deactivate(); // the window reloads
    assert.ok(alive(childPid), 'the engine process outlived the window');
    assert.ok(alive(agentPid), 'its agent too');
    assert.ok(!repo.journal().some((e) => e.type === 'run_finished' && e.runId === run.runId), 'the run did not end');
    const status = cli(['status', '--json', '--repo', repo.root]);
    assert.equal(JSON.parse(status.stdout).running?.pid, childPid, `swarm status sees the engine: ${status.stdout}${status.stderr}`);

    fake.reset();
    const { ext, events } = await startExtension(repo.root);
    const session = ext.registry.sessions[0];
    const attached = session.activeRun as ChildRun;
    assert.ok(attached instanceof ChildRun, `attached; log:\n${log()}`);
    assert.equal(attached.runId, run.runId);
    assert.equal(attached.pid, childPid);
    await waitFor(() => session.workers.some((w) => w.taskId === 'held'), 20_000, 'the Workers view shows the worker on held');
    assert.match(log(), /re-attached to run/);
    assert.ok(!fake.messages.some((m) => /another VS Code window|another version/.test(m.text)), 'attached once, without a warning');

    writeFileSync(release, 'go');
    await waitFor(() => events.some((e) => e.type === 'task_merged' && e.taskId === 'held'), 120_000, `held merged; log:\n${log()}`);
    const summary = await attached.done;
    assert.deepEqual(summary.merged, ['held']);
    assert.equal(workerCalls(repo).length, 1, 'one worker turn: it was not restarted');
    await waitFor(() => !alive(childPid), 20_000, 'the engine process exits after its run');
    assert.ok(!existsSync(engineInfoPath(repo.root)), 'engine.json removed');
    await session.refreshNow();
    assert.deepEqual(
      session.snapshot.tasks.complete.map((t) => t.id),
      ['held'],
      'the Tasks view of the new window shows it merged',
    );
    assert.match(repo.git('show', 'main:held.txt'), /made for held/);
  },
);

test(
  'reattach: with no window attached the run goes to its end and exits; the next window tells its summary; Stop after re-attach ends a run',
  { timeout: 240_000 },
  async () => {
    const { repo, release } = makeRepo();
    const { run, agentPid } = await startHeld(repo.root);
    await deactivate();
    assert.ok(alive(run.pid!) && alive(agentPid));
    writeFileSync(release, 'go');
    await waitFor(() => !alive(run.pid!), 120_000, 'the engine process ends with its run');
    const finished = repo.journal().find((e) => e.type === 'run_finished' && e.runId === run.runId) as
      Extract<SwarmEvent, { type: 'run_finished' }> | undefined;
    assert.deepEqual(finished?.summary.merged, ['held']);
    assert.ok(existsSync(join(engineDir(repo.root), 'finished.json')), 'its summary kept for the next window');
    assert.ok(!existsSync(engineInfoPath(repo.root)));

    fake.reset();
    const { ext } = await startExtension(repo.root);
    await waitFor(() => fake.messages.find((m) => /went on after its window closed.*1 merged/.test(m.text)), 10_000, 'the summary shown');
    assert.ok(!existsSync(join(engineDir(repo.root), 'finished.json')), 'shown once');
    assert.equal(ext.registry.sessions[0].activeRun, undefined, 'no run started by itself');

    // A run re-attached is stopped by Stop swarm: the agent and the process end.
    repo.writeTask('held2', { title: 'Task held2', body: 'x', agent: { files: { 'h2.txt': 'x\n' }, sleepFirstMs: 120_000 } });
    assert.equal(await fake.commands.get(Commands.startSwarm)!(), true);
    const run2 = ext.registry.sessions[0].activeRun as unknown as ChildRun;
    await waitFor(() => existsSync(engineInfoPath(repo.root)), 60_000, 'engine.json of the second run');
    await deactivate();
    fake.reset();
    const { ext: ext3 } = await startExtension(repo.root);
    const attached = ext3.registry.sessions[0].activeRun as unknown as ChildRun | undefined;
    assert.equal(attached?.runId, run2.runId, `attached; log:\n${log()}`);
    assert.equal(await fake.commands.get(Commands.stopSwarm)!(), true);
    const s = await attached!.done;
    assert.match(s.reason ?? '', /stopped by the user/);
    await waitFor(() => !alive(run2.pid!), 20_000, 'the engine process ends');
  },
);

test(
  'reattach: stale and hostile files in .swarm/engine are not attached to (a dead pid, a foreign live pid behind a fake socket, a folder open to others)',
  { timeout: 60_000 },
  async () => {
    const repo = newRepo('swarm-reattach-hostile-');
    repo.writeConfig({ workers: [{ role: 'executor', harness: 'scripted', count: 1, iterations: 1 }] });
    const dir = engineDir(repo.root);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const sock = join(dir, 'engine.sock');
    const token = 'a'.repeat(64);
    const writeInfo = (pid: number, extra: object = {}) =>
      writeFileSync(
        engineInfoPath(repo.root),
        JSON.stringify({
          pid,
          socket: sock,
          startedAt: new Date().toISOString(),
          protocol: ENGINE_PROTOCOL_VERSION,
          runId: '20260101-000000-abcd',
          token,
          ...extra,
        }),
        { mode: 0o600 },
      );

    // 1. A dead pid.
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    writeInfo(dead.pid!);
    writeFileSync(sock, 'not a socket');
    let found = await findEngine(repo.root);
    assert.equal(found.kind, 'stale', JSON.stringify(found));
    assert.ok(!existsSync(engineInfoPath(repo.root)) && !existsSync(sock), 'cleaned up');

    // 2. A live process that is not the engine (a reused pid), and a fake socket that answers as an engine of another pid.
    const foreign = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
    spawned.push(foreign);
    const server = createServer((s) =>
      s.on('data', () => s.write(`${JSON.stringify({ t: 'hello', protocol: ENGINE_PROTOCOL_VERSION, pid: 4242, runId: '20260101-000000-abcd' })}\n`)),
    );
    await new Promise<void>((r) => server.listen(sock, r));
    writeInfo(foreign.pid!);
    fake.setFolders([repo.root]);
    const { ext } = await startExtension(repo.root);
    assert.equal(ext.registry.sessions[0].activeRun, undefined, 'not attached');
    assert.match(log(), /removed the files of a swarm process that is gone: pid \d+ does not answer/);
    assert.ok(!existsSync(engineInfoPath(repo.root)), 'engine.json removed');
    assert.ok(alive(foreign.pid!), 'the foreign process is never signalled');
    server.close();

    // 3. A pid start time that does not match (the pid reused): stale without even connecting.
    writeInfo(foreign.pid!, { procStart: '1' });
    found = await findEngine(repo.root);
    assert.equal(found.kind, 'stale');
    assert.ok(alive(foreign.pid!));

    // 4. The folder open to others: not trusted, and left as it is.
    writeInfo(foreign.pid!);
    chmodSync(dir, 0o777);
    found = await findEngine(repo.root);
    assert.equal(found.kind, 'untrusted', JSON.stringify(found));
    assert.ok(existsSync(engineInfoPath(repo.root)), 'not ours to delete');
    chmodSync(dir, 0o700);
  },
);

test('reattach: an engine of another protocol version is not attached; a message says so and its command stops it', { timeout: 60_000 }, async () => {
  const repo = newRepo('swarm-reattach-version-');
  repo.writeConfig({ workers: [{ role: 'executor', harness: 'scripted', count: 1, iterations: 1 }] });
  const dir = engineDir(repo.root);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const other = ENGINE_PROTOCOL_VERSION + 1;
  // A stand-in engine of the next version: it answers any hello with its version and stops on SIGTERM.
  const script = `
    const net = require('node:net'), fs = require('node:fs');
    const sock = ${JSON.stringify(join(dir, 'engine.sock'))};
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    net.createServer((s) => s.on('data', () => { s.end(JSON.stringify({ t: 'refused', protocol: ${other}, pid: process.pid, reason: 'this engine speaks protocol ${other}' }) + '\\n'); }))
      .listen(sock, () => {
        fs.writeFileSync(${JSON.stringify(engineInfoPath(repo.root))}, JSON.stringify({ pid: process.pid, procStart: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19], socket: sock,
          startedAt: new Date().toISOString(), protocol: ${other}, runId: '20260101-000000-abcd', token: 'b'.repeat(64) }), { mode: 0o600 });
        console.log('ready');
      });
    process.on('SIGTERM', () => process.exit(0));`;
  const engine = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  spawned.push(engine);
  await new Promise((r) => engine.stdout!.once('data', r));
  assert.ok(processStartTime(engine.pid!) !== undefined);

  fake.replies.push(reply.button('Stop it'));
  const { ext } = await startExtension(repo.root);
  const session = ext.registry.sessions[0];
  const msg = await waitFor(() => fake.messages.find((m) => /another version/.test(m.text)), 10_000, 'the version message');
  assert.match(msg.text, new RegExp(`protocol ${other}; this window speaks ${ENGINE_PROTOCOL_VERSION}`));
  assert.equal(session.activeRun, undefined, 'not attached, and no run started beside it');
  await waitFor(() => engine.exitCode !== null, 10_000, 'the other engine stopped by the command');
  assert.equal(await fake.commands.get(EngineCommands.stopEngineProcess)!(session.root), false, 'nothing left to stop');
});
