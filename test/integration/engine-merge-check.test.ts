// The merge check (issue 14 items 1 and 2; README, "Merge checks"): the base only ever points at a
// commit that passed the project's check; a failure leaves the base as it was and sends the task to
// an integration round (the base merged into its branch by the swarm, the check's output in the
// prompt). Real git, scripted agents, a real check program (a node script) run by the swarm in its
// scratch checkout (sandboxed where bubblewrap is installed).

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync, spawnSync } from 'node:child_process';
import { newRepo, TestRepo, runSwarm, userCommit, waitFor, withTimeout, cli, ensureCli, snapshotFiles, readJsonl } from '../helpers/repo';
import { openWorkspace } from '../../src/swarm/workspace';
import { parseSwarmConfig } from '../../src/swarm/config';
import { ConfigError } from '../../src/swarm/errors';
import type { SwarmEvent } from '../../src/swarm/types';

before(() => {
  ensureCli();
});

/**
 * The check program. argv: <log dir> <mode> [marker]. Every run is logged to <log dir>/checks.jsonl
 * (run number, SWARM_MERGE_SHA, mode, exit code, cwd). Modes:
 *   calls     fails when a .js file calls lib.<name>() that lib.js does not export (the real check)
 *   flaky     fails on its first run only
 *   slow      starts a child (marked) and sleeps far past any timeout
 *   child     leaves a detached child (marked) running and passes
 *   waituser  first run: writes <log dir>/check-started, waits for <log dir>/release, passes
 *   verify <dir>  (the test's own use) the `calls` check on a folder
 */
const CHECK = String.raw`'use strict';
const fs = require('fs'), path = require('path'), cp = require('child_process');
const [, , logDir, mode, marker] = process.argv;
function verify(dir) {
  const libf = path.join(dir, 'lib.js');
  const lib = fs.existsSync(libf) ? fs.readFileSync(libf, 'utf8') : '';
  const exported = new Set([...lib.matchAll(/exports\.(\w+)\s*=/g)].map((m) => m[1]));
  const bad = [];
  for (const f of fs.readdirSync(dir).sort()) {
    if (!f.endsWith('.js') || f === 'lib.js') continue;
    for (const m of fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/lib\.(\w+)\(/g)) if (!exported.has(m[1])) bad.push(f + ': lib.' + m[1] + ' is not defined');
  }
  return bad;
}
if (mode === 'verify') { const bad = verify(marker); console.log(bad.join('\n')); process.exit(bad.length ? 1 : 0); }
const countFile = path.join(logDir, 'check-count');
const n = fs.existsSync(countFile) ? Number(fs.readFileSync(countFile, 'utf8')) + 1 : 1;
fs.writeFileSync(countFile, String(n));
const log = (code) => fs.appendFileSync(path.join(logDir, 'checks.jsonl'), JSON.stringify({ n, sha: process.env.SWARM_MERGE_SHA, mode, code, cwd: process.cwd(), role: process.env.SWARM_ROLE, tasks: process.env.SWARM_MERGE_TASKS }) + '\n');
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const marked = () => cp.spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)', marker], { detached: true, stdio: 'ignore' }).unref();
let code = 0;
if (mode === 'calls') { const bad = verify(process.cwd()); for (const b of bad) console.log('CHECK FAILED: ' + b); code = bad.length ? 1 : 0; }
if (mode === 'flaky') { code = n === 1 ? 1 : 0; console.log(code ? 'flaky: failed this time' : 'flaky: passed'); }
if (mode === 'slow') { log('started'); marked(); console.log('checking slowly'); sleep(600000); }
if (mode === 'child') { marked(); console.log('left a child behind'); }
if (mode === 'hostile') {
  const tryIt = (f) => { try { f(); return 'ok'; } catch (e) { return 'refused'; } };
  const root = path.dirname(process.env.SWARM_TASKS_DIR);
  const out = {
    userCheckout: tryIt(() => fs.writeFileSync(path.join(root, 'pwned.txt'), 'x')),
    ref: tryIt(() => cp.execFileSync('git', ['update-ref', 'refs/heads/pwned', 'HEAD'], { stdio: 'ignore' })),
    object: tryIt(() => cp.execFileSync('git', ['hash-object', '-w', '--stdin'], { input: 'pwned ' + Date.now(), stdio: ['pipe', 'ignore', 'ignore'] })),
    scratch: tryIt(() => fs.writeFileSync('build-output.txt', 'x')),
    temp: tryIt(() => fs.writeFileSync(path.join(require('os').tmpdir(), 'check-temp.txt'), 'x')),
  };
  fs.writeFileSync(path.join(logDir, 'hostile.json'), JSON.stringify(out));
}
if (mode === 'waituser' && n === 1) {
  fs.writeFileSync(path.join(logDir, 'check-started'), process.env.SWARM_MERGE_SHA || '');
  for (const end = Date.now() + 60000; Date.now() < end && !fs.existsSync(path.join(logDir, 'release')); ) sleep(25);
}
log(code);
process.exit(code);
`;

interface CheckRun {
  n: number;
  sha: string;
  mode: string;
  code: number | string;
  cwd: string;
  role?: string;
  tasks?: string;
}

function setup(repo: TestRepo, mode: string, extra: Record<string, unknown> = {}, marker = '', timeoutS = 60): string {
  const script = repo.script('check.cjs', CHECK);
  repo.writeConfig({ merge_check: { command: [process.execPath, script, repo.logDir, mode, ...(marker ? [marker] : [])], timeout_s: timeoutS }, ...extra });
  return script;
}

const checkRuns = (repo: TestRepo): CheckRun[] => readJsonl<CheckRun>(join(repo.logDir, 'checks.jsonl'));

/** Run the `calls` check on a commit's tree (exported to a temp folder); returns its complaints. */
function verifyCommit(repo: TestRepo, script: string, sha: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-verify-'));
  try {
    execFileSync('sh', ['-c', `git archive --format=tar ${sha} | tar -x -C "${dir}"`], { cwd: repo.root });
    const r = spawnSync(process.execPath, [script, repo.logDir, 'verify', dir], { encoding: 'utf8' });
    return r.status === 0 ? '' : r.stdout.trim() || `exit ${r.status}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Processes of this user whose command line holds `marker`. */
function markedProcesses(marker: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      if (!cmd.includes(marker)) continue;
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z') out.push(Number(p));
    } catch {
      /* gone */
    }
  }
  return out;
}

const LIB = "exports.greet = () => 'hi';\n";
const CALLER = (name: string) => `const lib = require('./lib');\nlib.${name}();\n`;

/** The issue's case: task rename renames greet → welcome (and its caller a.js); task caller adds b.js calling greet. */
function renameAndCaller(repo: TestRepo): void {
  repo.write('lib.js', LIB);
  repo.write('a.js', CALLER('greet'));
  userCommit(repo.root, 'lib with greet and a caller');
  repo.writeTask('rename', {
    agent: {
      files: { 'lib.js': "exports.welcome = () => 'hi';\n", 'a.js': CALLER('welcome') },
      rounds: { 2: { files: { 'lib.js': "exports.welcome = () => 'hi';\n", 'a.js': CALLER('welcome'), 'b.js': CALLER('welcome') } } },
    },
  });
  repo.writeTask('caller', { agent: { files: { 'b.js': CALLER('greet') }, rounds: { 2: { files: { 'b.js': CALLER('welcome') } } } } });
}

const firstParents = (repo: TestRepo, from: string) => repo.git('rev-list', '--first-parent', `${from}..main`).split('\n').filter(Boolean);

describe('merge check', { timeout: 300_000 }, () => {
  test('control: without a merge check, two approved changes that each pass leave main red', async () => {
    const repo = newRepo();
    renameAndCaller(repo);
    const script = repo.script('check.cjs', CHECK);
    repo.writeConfig({ workers: [{ role: 'worker', harness: 'scripted', count: 2, iterations: 50 }] });
    const start = repo.rev('main')!;
    await runSwarm(repo.root, { timeoutMs: 90_000 });
    assert.deepEqual(repo.taskIds('complete'), ['caller', 'rename']);
    assert.equal(verifyCommit(repo, script, start), '');
    assert.match(verifyCommit(repo, script, 'main'), /b\.js: lib\.greet is not defined/, 'main ends red: what the merge check is for');
  });

  test('rename + caller: every first-parent commit of main passes the check; the failure goes to an integration round and is fixed', async () => {
    const repo = newRepo();
    renameAndCaller(repo);
    const script = setup(repo, 'calls', { workers: [{ role: 'worker', harness: 'scripted', count: 2, iterations: 50 }] });
    const start = repo.rev('main')!;
    const { events } = await runSwarm(repo.root, { timeoutMs: 120_000 });
    assert.deepEqual(repo.taskIds('complete'), ['caller', 'rename'], JSON.stringify(events.filter((e) => e.type === 'task_status').slice(-6)));
    const commits = firstParents(repo, start);
    assert.ok(commits.length >= 2);
    for (const c of [start, ...commits]) assert.equal(verifyCommit(repo, script, c), '', `first-parent commit ${c} of main fails the check`);
    // At least one check failed, on a result the base never pointed at, and went back to its task.
    const runs = checkRuns(repo);
    const failed = runs.filter((r) => r.code === 1);
    assert.ok(failed.length >= 1, JSON.stringify(runs));
    for (const f of failed) assert.ok(!repo.git('rev-list', '--first-parent', 'main').includes(f.sha), `the base pointed at ${f.sha}, which failed`);
    assert.ok(
      runs.every((r) => r.role === 'check' && r.sha && /\.swarm\/check\//.test(r.cwd)),
      'run by the swarm in its scratch checkout, with SWARM_MERGE_SHA',
    );
    assert.ok(
      repo.rev('main') === runs.filter((r) => r.code === 0).pop()!.sha ||
        runs.some((r) => r.code === 0 && repo.git('rev-list', '--first-parent', 'main').includes(r.sha)),
      'main points at a checked result',
    );
    const checkEvents = events.filter((e): e is Extract<SwarmEvent, { type: 'merge_check' }> => e.type === 'merge_check');
    const bad = checkEvents.find((e) => !e.check.ok)!;
    assert.ok(bad, 'a merge_check event for the failure');
    // Each check was announced when it started, naming its batch and the sha it checks (the Merge queue view reads it).
    for (const c of checkEvents) {
      const at = events.indexOf(c);
      assert.ok(
        events.slice(0, at).some((e) => e.type === 'merge_check_started' && e.taskIds.includes(c.taskId) && e.sha === c.check.sha),
        `merge_check_started before the result of ${c.taskId}'s check`,
      );
    }
    assert.match(bad.check.tail, /CHECK FAILED: b\.js: lib\.greet is not defined/);
    assert.ok(bad.check.logFile && readFileSync(bad.check.logFile, 'utf8').includes('lib.greet is not defined'), "the output is in the run's logs");
    // The integration round: the swarm merged the base into the task's branch, and said so in the prompt.
    const integ = events.find((e): e is Extract<SwarmEvent, { type: 'integration_round' }> => e.type === 'integration_round');
    assert.ok(integ && integ.reason === 'check' && integ.taskId === bad.taskId && integ.commit, JSON.stringify(integ));
    const fix = repo.calls().find((c) => c.role === 'worker' && c.task === bad.taskId && c.round === 2)!;
    assert.ok(fix, 'a fix round ran');
    assert.match(fix.prompt, /merge check failed/);
    assert.match(fix.prompt, /lib\.greet is not defined/);
    assert.match(fix.prompt, /The swarm merged main/);
    // The next review saw the change against the current base: the renamed lib is not in its diff.
    const review2 = repo.state(bad.taskId)!.rounds.at(-1);
    assert.equal(repo.git('merge-base', review2.sha, 'main').trim() !== start, true);
    assert.equal(repo.state(bad.taskId)!.mergeCheck.ok, true, 'the last check of the task (kept in its state) passed');
    // The user's checkout was never used for the check and is clean.
    assert.equal(repo.git('status', '--porcelain', '--', '.', ':!tasks', ':!swarm.json'), '');
  });

  for (const mode of ['auto', 'off'] as const)
    test(`a check that times out (sandbox ${mode}): its whole process tree is killed, the base is untouched, the task waits for the user with the output`, async () => {
      const repo = newRepo();
      const marker = `swarm-mcheck-slow-${process.pid}-${Date.now()}`;
      setup(repo, 'slow', { review: { max_rounds: 1 }, sandbox: { mode, allow_write: [repo.logDir] } }, marker, 1);
      repo.writeTask('slow');
      const start = repo.rev('main')!;
      // Looked at when each check's result is out (not at the run's end, whose sweep kills every agent process too).
      const left: number[][] = [];
      const { events } = await runSwarm(repo.root, {
        timeoutMs: 90_000,
        onEvent: (e) => {
          if (e.type === 'merge_check') left.push(markedProcesses(marker));
        },
      });
      assert.equal(repo.rev('main'), start, 'the base did not move');
      assert.deepEqual(left, [[], []], 'no process of the check is left when its result is out');
      assert.deepEqual(markedProcesses(marker), []);
      const checks = events.filter((e): e is Extract<SwarmEvent, { type: 'merge_check' }> => e.type === 'merge_check');
      assert.equal(checks.length, 2, 'checked, an integration round, checked again, then the user');
      assert.ok(checks.every((c) => c.check.timedOut && !c.check.ok));
      const st = repo.state('slow')!;
      assert.equal(st.status, 'blocked');
      assert.match(repo.task('current', 'slow')!.data.question as string, /merge check timed out[\s\S]*merge_check\.timeout_s = 1 s/); // (under load node may not even have printed yet)
      assert.match(st.mergeCheck.tail, /merge_check\.timeout_s = 1 s/);
    });

  for (const mode of ['auto', 'off'] as const)
    test(`a check that leaves a child process behind (sandbox ${mode}): the child is killed, the merge goes on`, async () => {
      const repo = newRepo();
      const marker = `swarm-mcheck-child-${process.pid}-${Date.now()}`;
      setup(repo, 'child', { sandbox: { mode, allow_write: [repo.logDir] } }, marker);
      repo.writeTask('kid');
      const left: number[][] = [];
      await runSwarm(repo.root, {
        timeoutMs: 60_000,
        onEvent: (e) => {
          if (e.type === 'merge_check') left.push(markedProcesses(marker));
        },
      });
      assert.deepEqual(repo.taskIds('complete'), ['kid']);
      assert.equal(checkRuns(repo).length, 1);
      assert.deepEqual(left, [[]], "the check's child was killed when the check ended");
      assert.deepEqual(markedProcesses(marker), []);
    });

  test(
    "sandboxed, a check writes only its scratch checkout and temp: not the user's checkout, no ref, no object",
    { skip: !existsSync('/usr/bin/bwrap') && 'bubblewrap is not installed' },
    async () => {
      const repo = newRepo();
      setup(repo, 'hostile', { sandbox: { mode: 'required', allow_write: [repo.logDir] } });
      repo.writeTask('h');
      await runSwarm(repo.root, { timeoutMs: 60_000 });
      assert.deepEqual(JSON.parse(readFileSync(join(repo.logDir, 'hostile.json'), 'utf8')), {
        userCheckout: 'refused',
        ref: 'refused',
        object: 'refused',
        scratch: 'ok',
        temp: 'ok',
      });
      assert.ok(!existsSync(repo.path('pwned.txt')));
      assert.equal(repo.rev('refs/heads/pwned'), undefined);
      assert.deepEqual(repo.taskIds('complete'), ['h'], 'the check passed; its scratch checkout is gone');
      assert.deepEqual(existsSync(repo.path('.swarm', 'check')) ? readdirSync(repo.path('.swarm', 'check')) : [], []);
    },
  );

  test('a flaky check: the failure leaves the base untouched, the task comes back through an integration round and lands', async () => {
    const repo = newRepo();
    setup(repo, 'flaky');
    repo.writeTask('flake');
    const start = repo.rev('main')!;
    const { events } = await runSwarm(repo.root, { timeoutMs: 60_000 });
    assert.deepEqual(repo.taskIds('complete'), ['flake']);
    const runs = checkRuns(repo);
    assert.deepEqual(
      runs.map((r) => r.code),
      [1, 0],
    );
    assert.equal(repo.git('rev-parse', 'main^1').trim(), start, 'one merge, on the base as it was');
    assert.equal(repo.rev('main'), runs[1].sha, 'the base points at the result that passed');
    const integ = events.find((e) => e.type === 'integration_round');
    assert.ok(integ && integ.type === 'integration_round' && !integ.commit && !integ.conflicts.length, 'nothing to bring in: the base had not moved');
    assert.match(repo.calls().find((c) => c.role === 'worker' && c.round === 2)!.prompt, /flaky: failed this time[\s\S]*already has everything on main/);
  });

  test('the user commits on main while a check runs: the base is not moved over their commit; the merge is rebuilt on it and checked again', async () => {
    const repo = newRepo();
    setup(repo, 'waituser');
    repo.writeTask('late');
    const start = repo.rev('main')!;
    const ws = await openWorkspace({ repo: repo.root });
    const events: SwarmEvent[] = [];
    ws.onEvent((e) => events.push(e));
    const run = ws.startRun({ waitForHumans: false });
    try {
      // The check writes the sha it runs on: the file exists (created) a moment before it holds it.
      const started = () => (existsSync(join(repo.logDir, 'check-started')) ? readFileSync(join(repo.logDir, 'check-started'), 'utf8') : '');
      await waitFor(() => /^[0-9a-f]{40}/.test(started()), 60_000, 'the check to start');
      const firstSha = started();
      repo.write('user.txt', 'mine\n');
      const userSha = userCommit(repo.root, 'the user commits while the check runs', 'user.txt');
      writeFileSync(join(repo.logDir, 'release'), '');
      // The check ran the branch's code, so the swarm cannot tell who moved the base: it asks.
      await waitFor(() => repo.state('late')?.status === 'waiting_base', 60_000, 'the merge to wait for the base');
      assert.equal(repo.rev('main'), userSha, "the base was not moved over the user's commit");
      assert.equal(repo.git('rev-parse', `${firstSha}^1`).trim(), start, "the first result was built on the base before the user's commit");
      const acc = await ws.acceptBase(userSha);
      assert.ok(acc.ok, JSON.stringify(acc));
      await withTimeout(run.done, 60_000, async () => {
        await run.stop('test timeout');
      });
    } finally {
      await run.stop('test end').catch(() => undefined);
    }
    assert.deepEqual(repo.taskIds('complete'), ['late']);
    const runs = checkRuns(repo);
    assert.equal(runs.length, 2, 'checked again after the rebuild');
    assert.equal(runs[1].sha, repo.rev('main'), 'the base points at the result checked the second time');
    assert.notEqual(runs[0].sha, runs[1].sha);
    assert.equal(
      repo.git('rev-parse', 'main^1').trim(),
      repo.git('log', '--format=%H', '--grep=the user commits while', '-1', 'main').trim(),
      "built on the user's commit",
    );
    assert.equal(repo.read('user.txt'), 'mine\n');
    assert.ok(events.some((e) => e.type === 'merge_waiting'));
  });

  test('bad merge_check fields: exit 2 naming the file and each field, nothing written', () => {
    const bad = (mc: unknown) => {
      try {
        parseSwarmConfig({ merge_check: mc });
        return [];
      } catch (e) {
        return (e as ConfigError).issues.map((i) => `${i.field}: ${i.message}`);
      }
    };
    assert.deepEqual(bad({ command: ['npm', 'test'] }), []);
    assert.deepEqual(parseSwarmConfig({ merge_check: { command: ['npm', 'test'] } }).mergeCheck, { command: ['npm', 'test'], timeoutS: 900, batch: 8 });
    assert.equal(parseSwarmConfig({}).mergeCheck, undefined);
    assert.match(bad({}).join('\n'), /merge_check\.command: expected array/);
    assert.match(bad({ command: [] }).join('\n'), /merge_check\.command: expected at least the program to run/);
    assert.match(bad({ command: ['x'], timeout_s: 0 }).join('\n'), /merge_check\.timeout_s: expected a number above 0/);
    assert.match(bad({ command: ['x'], timeout_s: 'long' }).join('\n'), /merge_check\.timeout_s: expected number/);
    assert.match(bad({ command: ['x'], batch: 0 }).join('\n'), /merge_check\.batch: expected a number above 0/);
    assert.match(bad({ command: ['x'], comand: ['y'] }).join('\n'), /merge_check\.comand: unknown field/);
    assert.match(bad('npm test').join('\n'), /merge_check: expected object/);

    const repo = newRepo();
    repo.writeTask('untouched');
    repo.write('swarm.json', JSON.stringify({ merge_check: { command: 'npm test', timeout: 5 } }));
    const snap = snapshotFiles(repo.root, ['.git']);
    const r = cli(['run', '--repo', repo.root]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /swarm\.json: merge_check\.command: expected array/);
    assert.match(r.stderr, /swarm\.json: merge_check\.timeout: unknown field/);
    assert.deepEqual(snapshotFiles(repo.root, ['.git']), snap, 'nothing written');
    assert.ok(!existsSync(repo.path('.swarm')));
  });
});
