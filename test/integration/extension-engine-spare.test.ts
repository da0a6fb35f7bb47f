// The spare engine process (src/extension/engineSpare.ts): forked a while after the Swarm view
// opened, so "Start swarm" forks nothing from the extension host (issue 17 item 3). Real processes,
// real git, scripted agents (test/helpers/repo.ts), the extension in the fake `vscode`. The next
// start uses the spare; a new one is forked after that run ended; deactivate kills it; a spare that
// died meanwhile is replaced by a fork at the start; an extension host killed hard takes its spare
// with it (no orphan).
import { fake, createFakeExtensionContext } from '../helpers/fake-vscode';
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { activate, deactivate, type SwarmExtension } from '../../src/extension/extension';
import { Commands } from '../../src/extension/constants';
import { ChildRun } from '../../src/extension/engineChild';
import { alive, newRepo, spawnHostReport, waitFor, type TestRepo } from '../helpers/repo';

function makeRepo(tasks: string[]): TestRepo {
  const repo = newRepo('swarm-ext-spare-');
  repo.writeConfig({
    workers: [{ role: 'executor', harness: 'scripted', count: 1, iterations: 10 }],
    review: { mode: 'agent', harness: 'scripted', max_rounds: 2 },
  });
  for (const id of tasks) repo.writeTask(id, { title: `Task ${id}`, body: `Create ${id}.txt.`, agent: { files: { [`${id}.txt`]: `made for ${id}\n` } } });
  return repo;
}

async function startExtension(root: string): Promise<SwarmExtension> {
  fake.setFolders([root]);
  const ext = activate(createFakeExtensionContext() as never, {
    agentPath: async () => process.env.PATH,
    refreshDelayMs: 10,
    refreshMaxWaitMs: 50,
    startTimeoutMs: 60_000,
    spareDelayMs: 0,
  });
  await ext.openSessions();
  await ext.registry.sessions[0].settled();
  return ext;
}

const sparePid = (ext: SwarmExtension) => ext.spare?.current?.pid;

beforeEach(() => fake.reset());
afterEach(async () => {
  await deactivate();
});

test(
  'spare engine: the next Start runs in the spare (no fork at the start); a new spare after the run; deactivate kills it',
  { timeout: 200_000 },
  async () => {
    const repo = makeRepo(['alpha']);
    const ext = await startExtension(repo.root);
    const spare = ext.spare!;
    const first = await waitFor(() => sparePid(ext), 60_000, 'a spare engine process');
    assert.ok(alive(first));
    assert.equal(spare.forked, 1);

    assert.equal(await fake.commands.get(Commands.startSwarm)!(), true);
    const run = ext.registry.sessions[0].activeRun;
    assert.ok(run instanceof ChildRun);
    assert.equal(run.pid, first, 'the run is in the spare');
    assert.equal(spare.taken, 1);
    assert.equal(spare.forked, 1, 'Start forked nothing');
    assert.equal(sparePid(ext), undefined, 'the spare is the run now, not a spare');

    const summary = await run.done;
    assert.deepEqual(summary.merged, ['alpha']);
    const second = await waitFor(() => sparePid(ext), 60_000, 'a new spare after the run');
    assert.notEqual(second, first);
    assert.equal(spare.forked, 2);
    await waitFor(() => !alive(first), 10_000, 'the used engine process ends with its run');

    await deactivate();
    await waitFor(() => !alive(second), 10_000, 'the spare killed on deactivate');
  },
);

test('spare engine: a spare that died is dropped; Start forks a new engine process and runs', { timeout: 200_000 }, async () => {
  const repo = makeRepo(['beta']);
  const ext = await startExtension(repo.root);
  const dead = await waitFor(() => sparePid(ext), 60_000, 'a spare engine process');
  process.kill(dead, 'SIGKILL');
  await waitFor(() => sparePid(ext) === undefined, 10_000, 'the dead spare dropped');
  assert.equal(await fake.commands.get(Commands.startSwarm)!(), true);
  const run = ext.registry.sessions[0].activeRun as ChildRun;
  assert.ok(run.pid && run.pid !== dead, 'a new engine process');
  assert.equal(ext.spare!.taken, 0);
  const summary = await run.done;
  assert.deepEqual(summary.merged, ['beta']);
});

test('spare engine: an extension host killed hard takes its spare with it (no orphan)', { timeout: 120_000 }, async () => {
  const repo = makeRepo([]);
  const {
    host,
    report: { sparePid: pid },
  } = await spawnHostReport<{ sparePid: number }>('engine-spare-host.ts', repo.root, 'the host reporting its spare');
  assert.ok(alive(pid));
  host.kill('SIGKILL');
  await waitFor(() => !alive(pid), 30_000, 'the spare gone after the host died');
});
