// Issue 14 items 3-4 with real git and scripted agents: what a new worktree gets from
// .worktreeinclude and worktree.include (a missing entry, a tracked file, symbolic links, a nested
// ignored folder; never committed by an agent's `git add -A`), port ranges for 8 live worktrees
// (disjoint, the same across a fix round), three tasks declaring the same file with three workers
// (one after another, no conflict, other tasks in the gaps), and conflict_predicted for two live
// branches changing the same lines.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { newRepo, TestRepo, runSwarm, userCommit, cli } from '../helpers/repo';

/**
 * A worker agent that reports what its worktree holds (as JSON in <log>/seen-<task>-r<round>.json)
 * and then does what the task's ```agent block says: `files` to write, `commit` (git add -A +
 * commit, as an agent would), `barrier` (wait until that many seen-*-r1 reports exist: all
 * worktrees live at once). The reviewer turns use the scripted agent.
 */
const ENV_AGENT = String.raw`'use strict';
const fs = require('fs'); const path = require('path'); const cp = require('child_process');
const env = process.env; const log = env.TEST_AGENT_LOG; const task = env.SWARM_TASK_ID; const round = env.SWARM_ROUND;
const text = fs.readFileSync(env.SWARM_TASK_FILE, 'utf8');
const m = /\x60\x60\x60agent\s*\n([\s\S]*?)\x60\x60\x60/.exec(text);
const spec = m ? JSON.parse(m[1]) : {};
const look = (p) => { try { const st = fs.lstatSync(p); return st.isSymbolicLink() ? 'link:' + fs.readlinkSync(p) : st.isDirectory() ? 'dir' : 'file:' + fs.readFileSync(p, 'utf8'); } catch { return null; } };
const seen = { port: env.SWARM_PORT, count: env.SWARM_PORT_COUNT, files: {} };
for (const p of spec.look || []) seen.files[p] = look(p);
fs.writeFileSync(path.join(log, 'seen-' + task + '-r' + round + '.json'), JSON.stringify(seen));
if (spec.barrier) {
  const end = Date.now() + 60000;
  while (fs.readdirSync(log).filter((n) => /^seen-.*-r1\.json$/.test(n)).length < spec.barrier && Date.now() < end) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
}
for (const [p, c] of Object.entries(spec.files || {})) { fs.mkdirSync(path.dirname(p), { recursive: true }); fs.writeFileSync(p, String(c).replace(/\{\{round\}\}/g, round)); }
if (spec.commit) { cp.execFileSync('git', ['add', '-A']); cp.execFileSync('git', ['-c', 'user.name=a', '-c', 'user.email=a@b', 'commit', '-q', '-m', 'agent ' + task]); }
console.log('done\nCOMPLETE_AND_READY_FOR_MERGE');
`;

function envRepo(over: Record<string, unknown> = {}): TestRepo {
  const repo = newRepo();
  const agent = repo.script('env-agent.cjs', ENV_AGENT);
  repo.writeConfig({
    harnesses: {
      ...(repo.config().harnesses as object),
      envagent: { command: [process.execPath, agent], env: { TEST_AGENT_LOG: repo.logDir }, timeout_s: 90 },
    },
    ...over,
  });
  return repo;
}

function seen(repo: TestRepo, task: string, round = 1): { port: string; count: string; files: Record<string, string | null> } {
  return JSON.parse(readFileSync(join(repo.logDir, `seen-${task}-r${round}.json`), 'utf8'));
}

test('.worktreeinclude: ignored files copied (nested folders too), a missing entry, a tracked file never overwritten, links never followed out; `git add -A` commits none of them', async () => {
  const repo = envRepo({ workers: [{ role: 'worker', harness: 'envagent', count: 1, iterations: 5 }], worktree: { include: ['local/'] } });
  repo.write('.gitignore', '.env\nnode_modules/\nlocal/\nkey-link\nnotes-link\n');
  repo.write('config.json', '{"tracked": true}\n');
  repo.write('.worktreeinclude', '# what a worktree needs\n.env\nnode_modules/\nmissing.env\nconfig.json\nkey-link\nnotes-link\nnotes.txt\n');
  userCommit(repo.root, 'ignore rules, tracked config, include list');
  // Your checkout: a local edit of the tracked file, ignored files, an untracked-not-ignored file.
  repo.write('config.json', '{"tracked": "LOCAL EDIT"}\n');
  repo.write('.env', 'SECRET=1\n');
  repo.write('node_modules/tool/index.js', 'module.exports = 1;\n');
  repo.write('node_modules/tool/lib/deep/x.js', 'deep\n');
  mkdirSync(repo.path('node_modules/.bin'), { recursive: true });
  symlinkSync('../tool/index.js', repo.path('node_modules/.bin/tool'));
  repo.write('local/settings.json', '{"local": 1}\n');
  repo.write('notes.txt', 'untracked, not ignored\n');
  // An attacker's link (or a careless one) to a credential outside the repository.
  const secret = join(repo.home, 'id_rsa');
  writeFileSync(secret, 'PRIVATE KEY\n');
  symlinkSync(secret, repo.path('key-link'));
  symlinkSync('../../../id_rsa', repo.path('notes-link')); // relative, but out of the worktree
  const look = [
    '.env',
    'node_modules/tool/index.js',
    'node_modules/tool/lib/deep/x.js',
    'node_modules/.bin/tool',
    'local/settings.json',
    'config.json',
    'missing.env',
    'key-link',
    'notes-link',
    'notes.txt',
  ];
  repo.writeTask('env-a', { agent: { look, files: { 'feature.txt': 'feature\n' }, commit: true } as never });
  const { summary, events } = await runSwarm(repo.root, { timeoutMs: 60_000 });
  assert.deepEqual(summary.merged, ['env-a'], JSON.stringify(events.filter((e) => e.type === 'log')));
  const f = seen(repo, 'env-a').files;
  assert.equal(f['.env'], 'file:SECRET=1\n');
  assert.equal(f['node_modules/tool/index.js'], 'file:module.exports = 1;\n');
  assert.equal(f['node_modules/tool/lib/deep/x.js'], 'file:deep\n', 'a nested ignored folder is copied whole');
  assert.equal(f['node_modules/.bin/tool'], 'link:../tool/index.js', 'a link inside the worktree stays a link');
  assert.equal(f['local/settings.json'], 'file:{"local": 1}\n', 'worktree.include from swarm.json');
  assert.equal(f['config.json'], 'file:{"tracked": true}\n', 'a tracked file is the committed one, never your local copy');
  assert.equal(f['missing.env'], null);
  assert.equal(f['key-link'], null, 'a link to outside the repository is not copied (neither link nor content)');
  assert.equal(f['notes-link'], null, 'a relative link leading out of the worktree is not copied');
  assert.equal(f['notes.txt'], null, "untracked but not ignored: an agent's git add -A would commit it, so it is not copied");
  // The agent ran `git add -A` and committed: what merged is its change, none of the copied files.
  const tree = repo.lsTree('main');
  assert.ok(tree.includes('feature.txt'));
  for (const p of ['.env', 'node_modules/tool/index.js', 'node_modules/.bin/tool', 'local/settings.json', 'key-link', 'notes-link'])
    assert.ok(!tree.includes(p), `${p} was committed`);
  assert.equal(repo.show('main', 'config.json'), '{"tracked": true}\n');
  assert.equal(repo.read('config.json'), '{"tracked": "LOCAL EDIT"}\n', 'your checkout is untouched');
  const line = events.find((e) => e.type === 'log' && e.message.startsWith('env-a: worktree environment'));
  assert.ok(
    line && line.type === 'log' && /key-link \(a symbolic link to .*outside the worktree/.test(line.message) && /notes\.txt \(not ignored/.test(line.message),
    JSON.stringify(line),
  );
});

test('ports: 8 live worktrees get disjoint ranges from worktree.port_base, kept in the task state and the same in a fix round', async () => {
  const repo = envRepo({ workers: [{ role: 'worker', harness: 'envagent', count: 8, iterations: 2 }], worktree: { port_base: 4300, port_count: 5 } });
  for (let i = 0; i < 8; i++)
    repo.writeTask(`p${i}`, {
      agent: { barrier: 8, files: { [`p${i}.txt`]: 'r{{round}}\n' }, ...(i === 3 ? { review: ['NEEDS_CHANGES', 'APPROVED'] } : {}) } as never,
    });
  const { summary } = await runSwarm(repo.root, { timeoutMs: 120_000 });
  assert.equal(summary.merged.length, 8);
  const ranges = Array.from({ length: 8 }, (_, i) => seen(repo, `p${i}`));
  const firsts = ranges.map((r) => Number(r.port));
  assert.deepEqual(
    [...firsts].sort((a, b) => a - b),
    [4300, 4305, 4310, 4315, 4320, 4325, 4330, 4335],
    'one range of 5 each, all live at once (barrier), disjoint',
  );
  for (const r of ranges) assert.equal(r.count, '5');
  assert.equal(seen(repo, 'p3', 2).port, seen(repo, 'p3', 1).port, 'the fix round runs on the same ports');
  assert.deepEqual(repo.state('p3')?.ports, { first: Number(seen(repo, 'p3').port), count: 5 });
});

test('three tasks declaring the same file, three workers: they run one after another with no conflict; other tasks fill the gaps', async () => {
  const repo = envRepo({ workers: [{ role: 'worker', harness: 'scripted', count: 3, iterations: 20 }] });
  for (const id of ['s1', 's2', 's3'])
    repo.writeTask(id, { priority: 1, extra: { files: ['shared.txt'] }, agent: { sleepMs: 400, files: { 'shared.txt': `line 1\n${id} was here\nline 3\n` } } });
  for (const id of ['o1', 'o2', 'o3', 'o4', 'o5'])
    repo.writeTask(id, { priority: 5, extra: { files: [`other/${id}.txt`] }, agent: { sleepMs: 200, files: { [`other/${id}.txt`]: `${id}\n` } } });
  const { summary, events } = await runSwarm(repo.root, { timeoutMs: 120_000 });
  assert.equal(summary.merged.length, 8, JSON.stringify(summary));
  assert.deepEqual(
    events.filter((e) => e.type === 'merge_conflict'),
    [],
    'no merge conflict',
  );
  const j = repo.journal();
  const at = (type: string, id: string) => Date.parse(j.find((e) => e.type === type && 'taskId' in e && e.taskId === id)!.ts);
  const s = ['s1', 's2', 's3'].map((id) => ({ id, claimed: at('task_claimed', id), merged: at('task_merged', id) })).sort((a, b) => a.claimed - b.claimed);
  for (let i = 1; i < s.length; i++) assert.ok(s[i].claimed >= s[i - 1].merged, `${s[i].id} started before ${s[i - 1].id} merged`);
  const gapFilled = ['o1', 'o2', 'o3', 'o4', 'o5'].some((id) => at('task_claimed', id) > s[0].claimed && at('task_claimed', id) < s[0].merged);
  assert.ok(gapFilled, 'other tasks ran while the first shared-file task was in flight');
  assert.ok(
    j.some((e) => e.type === 'log' && /^s[23] waits for s1: both touch shared\.txt/.test(e.message)),
    'the hold is said in the journal',
  );
});

test('conflict_predicted: two live branches changing the same lines are warned about, in the journal, the task state and the Worktrees data; a third, elsewhere, is not', async () => {
  const repo = envRepo({ workers: [{ role: 'worker', harness: 'scripted', count: 3, iterations: 5 }], review: { mode: 'human' } });
  repo.writeTask('c1', { agent: { files: { 'shared.txt': 'line 1\nc1 says\nline 3\n' } } });
  repo.writeTask('c2', { agent: { files: { 'shared.txt': 'line 1\nc2 says\nline 3\n' } } });
  repo.writeTask('c3', { agent: { files: { 'elsewhere.txt': 'c3\n' } } });
  const { ws } = await runSwarm(repo.root, { timeoutMs: 60_000 });
  const predicted = repo.journal().filter((e) => e.type === 'conflict_predicted');
  const pairs = predicted.map((e) => e.type === 'conflict_predicted' && `${e.taskId}~${e.with}:${e.kind}:${e.files.join(',')}`).sort();
  assert.deepEqual(pairs, ['c1~c2:task:shared.txt', 'c2~c1:task:shared.txt']);
  assert.deepEqual(
    (await ws.taskState('c1'))?.predictedConflicts?.map((w) => [w.with, w.files]),
    [['c2', ['shared.txt']]],
  );
  assert.equal((await ws.taskState('c3'))?.predictedConflicts, undefined);
  const wts = await ws.listWorktrees();
  const c2 = wts.find((w) => w.taskId === 'c2');
  assert.deepEqual(
    c2?.conflicts?.map((w) => w.with),
    ['c1'],
  );
  assert.ok(c2?.ports && c2.ports.count === 10 && c2.ports.first >= 4100);
  assert.ok(
    !existsSync(join(repo.path('.swarm', 'tasks', 'c1'), 'state.json')) ||
      !readFileSync(join(repo.path('.swarm', 'tasks', 'c1'), 'state.json'), 'utf8').includes('predictedConflicts'),
    'predictions live in conflicts.json only',
  );
  assert.ok(readdirSync(repo.path('.swarm', 'tasks', 'c1')).includes('conflicts.json'));
  // `swarm status` says it too, with each live worktree's ports.
  const st = cli(['status', '--repo', repo.root]);
  assert.equal(st.status, 0, st.stderr);
  assert.match(st.stdout, /c1 +ports \d+–\d+ +⚠ may conflict with c2 in shared\.txt/);
  const json = JSON.parse(cli(['status', '--json', '--repo', repo.root]).stdout) as {
    worktrees: { taskId: string; ports: { first: number; count: number }; conflicts: { with: string }[] }[];
  };
  assert.deepEqual(
    json.worktrees.find((w) => w.taskId === 'c2')?.conflicts.map((c) => c.with),
    ['c1'],
  );
  assert.equal(new Set(json.worktrees.map((w) => w.ports.first)).size, 3, 'three live worktrees, three ranges');
  // You merge c1 (no run active): c2's warning about it goes with it.
  const head = (await ws.taskState('c1'))!.headSha!;
  const d = await ws.decide({ taskId: 'c1', kind: 'approve', sha: head });
  assert.ok(d.ok, JSON.stringify(d));
  assert.equal((await ws.taskState('c2'))?.predictedConflicts, undefined);
  ws.dispose();
});

test('conflict_predicted against the base: a live branch that a merge into the base now conflicts with', async () => {
  const repo = envRepo({ workers: [{ role: 'worker', harness: 'scripted', count: 2, iterations: 5 }] });
  // c1 stops with a question (its work so far is committed, the task stays live); t2 merges the
  // same lines. Whichever comes first, the later event (c1 blocked, or t2 merged) finds it.
  repo.writeTask('c1', { priority: 1, agent: { preFiles: { 'shared.txt': 'line 1\nc1 says\nline 3\n' }, blocked: 'Which greeting?' } });
  repo.writeTask('t2', { priority: 2, agent: { files: { 'shared.txt': 'line 1\nt2 says\nline 3\n' } } });
  const { summary } = await runSwarm(repo.root, { timeoutMs: 60_000 });
  assert.deepEqual(summary.merged, ['t2']);
  const predicted = repo
    .journal()
    .filter((e) => e.type === 'conflict_predicted')
    .map((e) => e.type === 'conflict_predicted' && `${e.taskId}~${e.with}:${e.kind}:${e.files.join(',')}`);
  assert.ok(predicted.includes('c1~main:base:shared.txt'), JSON.stringify(predicted));
  assert.ok(!existsSync(repo.path('.swarm', 'tasks', 't2', 'conflicts.json')), 'a merged task keeps no warnings');
  const ws = (await runSwarm(repo.root, { timeoutMs: 30_000 })).ws; // state survives the run
  assert.deepEqual(
    (await ws.taskState('c1'))?.predictedConflicts?.map((w) => `${w.with}:${w.files.join(',')}`),
    ['main:shared.txt'],
  );
  ws.dispose();
});
