// The headless CLI (contract 5): exit codes, --json outputs, a bad swarm.json (exit 2, nothing
// written), human decisions from a terminal, decisions handed to a swarm running in another
// process, answers, cleanup.

import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { newRepo, cli, spawnCli, ensureCli, waitFor, git, snapshotFiles } from '../helpers/repo';

const extra: string[] = [];
after(() => {
  for (const d of extra) rmSync(d, { recursive: true, force: true });
});
before(() => {
  ensureCli();
});

const jsonLines = (s: string) =>
  s
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('swarm CLI', { timeout: 300_000 } /* agent turns run sandboxed (docs/security.md) */, () => {
  test('help, usage errors and unknown commands', () => {
    const h = cli(['--help']);
    assert.equal(h.status, 0);
    assert.match(h.stdout, /Exit codes:[\s\S]*130/);
    for (const c of ['init', 'run', 'status', 'tasks', 'review list', 'review approve', 'review answer', 'cleanup [--dry-run]', 'stop'])
      assert.ok(h.stdout.includes(`swarm ${c}`), c);
    assert.equal(cli([]).status, 2);
    const repo = newRepo();
    repo.writeConfig();
    const u = cli(['frobnicate', '--repo', repo.root]);
    assert.equal(u.status, 2);
    assert.match(u.stderr, /unknown command "frobnicate"/);
    assert.equal(cli(['status', '--no-such-flag']).status, 2);
    assert.equal(cli(['status', '--repo', PROJECT_TMP()]).status, 1, 'not a repository');
    assert.equal(cli(['run', '--repo', repo.root, '--review-mode', 'robot']).status, 2);
    assert.equal(cli(['run', '--repo', repo.root, '--max-workers', '0']).status, 2);
  });

  test('init writes a commented config, task folders and prompts, and never overwrites', () => {
    const repo = newRepo();
    const r = cli(['init', '--repo', repo.root]);
    assert.equal(r.status, 0, r.stderr);
    for (const f of ['swarm.json', 'tasks/pending/example.md', 'prompts/worker.md', 'prompts/reviewer.md', 'prompts/fix.md'])
      assert.ok(existsSync(repo.path(f)), f);
    for (const d of ['pending', 'current', 'complete']) assert.ok(existsSync(repo.path('tasks', d)));
    assert.match(repo.read('swarm.json'), /^\/\/ Worktree Swarm configuration/);
    assert.match(readFileSync(repo.path('.git', 'info', 'exclude'), 'utf8'), /^\/\.swarm\/$/m);
    repo.write('swarm.json', '{ "workers": [ { "count": 1 } ] }\n');
    const again = cli(['init', '--repo', repo.root]);
    assert.equal(again.status, 0);
    assert.match(again.stdout, /kept {4}swarm\.json \(exists\)/);
    assert.equal(repo.read('swarm.json'), '{ "workers": [ { "count": 1 } ] }\n');
    const notRepo = cli(['init', '--repo', PROJECT_TMP()]);
    assert.equal(notRepo.status, 1);
    assert.match(notRepo.stderr, /not inside a git repository/);
  });

  test('a malformed swarm.json: exit 2 naming each bad field, and nothing written anywhere', () => {
    const repo = newRepo();
    repo.writeTask('untouched');
    repo.write(
      'swarm.json',
      '{\n  // comments are fine\n  "workers": [{ "count": "two", "role": "boss" }],\n  "review": { "mode": "robot" },\n  "colour": 1\n}\n',
    );
    const snap = snapshotFiles(repo.root, ['.git']);
    const refs = repo.git('for-each-ref');
    const exclude = readFileSync(repo.path('.git', 'info', 'exclude'), 'utf8');
    for (const args of [['run'], ['run', '--json'], ['status'], ['review', 'list'], ['cleanup']]) {
      const r = cli([...args, '--repo', repo.root]);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /bad configuration/);
      assert.match(r.stderr, /swarm\.json: workers\[0\]\.count: expected number, found "two"/);
      assert.match(r.stderr, /swarm\.json: workers\[0\]\.role: expected one of "worker", "executor", "planner", found "boss"/);
      assert.match(r.stderr, /swarm\.json: review\.mode: expected one of/);
      assert.match(r.stderr, /swarm\.json: colour: unknown field/);
      assert.equal(r.stdout, '');
    }
    assert.deepEqual(snapshotFiles(repo.root, ['.git']), snap, 'no file written or moved');
    assert.ok(!existsSync(repo.path('.swarm')));
    assert.equal(repo.git('for-each-ref'), refs);
    assert.equal(readFileSync(repo.path('.git', 'info', 'exclude'), 'utf8'), exclude);
    // Invalid JSON too, with the line.
    repo.write('swarm.json', '{\n  "base": "main",,\n}\n');
    const j = cli(['run', '--repo', repo.root]);
    assert.equal(j.status, 2);
    assert.match(j.stderr, /swarm\.json: \(file\): not valid JSON at line \d+, column \d+/);
    // --config naming a missing file.
    const m = cli(['status', '--repo', repo.root, '--config', 'nope.json']);
    assert.equal(m.status, 2);
    assert.match(m.stderr, /nope\.json: \(file\): file not found/);
  });

  test('run --json streams one event per line and exits 0; status/tasks --json describe the result', () => {
    const repo = newRepo();
    repo.writeConfig({ workers: [{ role: 'worker', harness: 'scripted', count: 2, iterations: 10 }] });
    for (const id of ['j1', 'j2', 'j3']) repo.writeTask(id);
    const r = cli(['run', '--json', '--repo', repo.root]);
    assert.equal(r.status, 0, r.stderr);
    const events = jsonLines(r.stdout);
    assert.equal(events[0].type, 'run_started');
    assert.equal(events[events.length - 1].type, 'run_finished');
    assert.equal(events.filter((e) => e.type === 'task_merged').length, 3);
    const summary = events[events.length - 1].summary as { merged: string[]; reason: string };
    assert.deepEqual([...summary.merged].sort(), ['j1', 'j2', 'j3']);

    const s = cli(['status', '--json', '--repo', repo.root]);
    assert.equal(s.status, 0);
    const st = JSON.parse(s.stdout);
    assert.deepEqual([st.pending, st.current, st.complete, st.base, st.running], [0, 0, 3, 'main', null]);
    assert.deepEqual(st.needsYou, []);
    const t = cli(['tasks', '--json', '--repo', repo.root]);
    const tasks = JSON.parse(t.stdout);
    assert.equal(tasks.complete.length, 3);
    for (const task of tasks.complete) {
      assert.match(task.completedBy, /^w[12]$/);
      assert.equal(task.reviewRounds, 1);
      assert.equal(git(repo.root, 'cat-file', '-t', task.mergedCommit).trim(), 'commit');
    }
    // Human-readable run output: progress lines and a summary.
    repo.writeTask('j4');
    const plain = cli(['run', '--repo', repo.root]);
    assert.equal(plain.status, 0);
    assert.match(plain.stdout, /\[w\d\] took j4/);
    assert.match(plain.stdout, /j4: merged [0-9a-f]{10} as [0-9a-f]{10}/);
    assert.match(plain.stdout, /done in [\d.]+ s: 1 merged, 1 review round\(s\)/);
  });

  test('a base branch that does not exist: exit 2 (preflight) with the reason, and no task is claimed', () => {
    const repo = newRepo();
    repo.writeConfig({ base: 'develop' });
    repo.writeTask('t1');
    const r = cli(['run', '--repo', repo.root]);
    assert.equal(r.status, 2, r.stdout);
    assert.match(r.stderr, /the base branch "develop" does not exist/);
    assert.deepEqual(repo.taskIds('pending'), ['t1']);
    assert.deepEqual(repo.taskIds('current'), []);
    // An empty repository (no commit yet) says the same.
    const empty = newRepo();
    const fresh = join(empty.home, 'fresh');
    git(empty.home, 'init', '-q', '-b', 'main', fresh);
    writeFileSync(join(fresh, 'swarm.json'), JSON.stringify(empty.config()));
    const e = cli(['run', '--repo', fresh]);
    assert.equal(e.status, 2);
    assert.match(e.stderr, /the base branch "main" does not exist/);
  });

  test('workers that all stop on errors with work left: exit 1 naming why; a worker that retires on __DONE__ is a normal end', () => {
    const repo = newRepo();
    repo.writeConfig({ limits: { max_consecutive_errors: 1, max_attempts: 5 } });
    repo.writeTask('broken', { agent: { exit: 3 } });
    const r = cli(['run', '--repo', repo.root]);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stdout, /work is left, but workers stopped: w1: 1 failed turns in a row/);
    repo.writeConfig({ workers: [{ role: 'worker', harness: 'scripted', count: 1 }] });
    repo.writeTask('retire', { priority: 1, agent: { reply: 'enough\n__DONE__' } });
    const d = cli(['run', '--repo', repo.root]);
    assert.equal(d.status, 0, d.stdout + d.stderr);
  });

  test('human review from the terminal: --no-wait exit 3, review list, stale --sha refused, override needs --reason, approve merges', () => {
    const repo = newRepo();
    repo.writeConfig({ review: { mode: 'human' } });
    repo.writeTask('cli-rev', { agent: { files: { 'cli.txt': 'cli\n' } } });
    const r = cli(['run', '--no-wait', '--repo', repo.root]);
    assert.equal(r.status, 3, r.stderr + r.stdout);
    assert.match(r.stdout, /waiting for your review of [0-9a-f]{10} \(swarm review approve cli-rev\)/);
    const list = JSON.parse(cli(['review', 'list', '--json', '--repo', repo.root]).stdout);
    assert.equal(list.length, 1);
    assert.equal(list[0].kind, 'review');
    const sha = list[0].sha as string;
    assert.equal(sha, repo.rev('refs/heads/swarm/w1/cli-rev'));
    const show = cli(['review', 'show', 'cli-rev', '--repo', repo.root]);
    assert.equal(show.status, 0);
    assert.match(show.stdout, /\+cli/);
    const before = repo.rev('main');
    const stale = cli(['review', 'approve', 'cli-rev', '--sha', '0000000000', '--repo', repo.root]);
    assert.equal(stale.status, 1);
    assert.match(stale.stderr, new RegExp(`refused: the branch moved since; its head is now ${sha}`));
    assert.equal(cli(['review', 'override', 'cli-rev', '--repo', repo.root]).status, 2);
    assert.equal(cli(['review', 'changes', 'cli-rev', '--repo', repo.root]).status, 2);
    assert.equal(cli(['review', 'approve', '--repo', repo.root]).status, 2);
    assert.equal(repo.rev('main'), before);
    const ok = cli(['review', 'approve', 'cli-rev', '--sha', sha, '--json', '--repo', repo.root]);
    assert.equal(ok.status, 0, ok.stderr);
    const res = JSON.parse(ok.stdout);
    assert.equal(res.applied, 'merged');
    assert.equal(repo.rev('main'), res.commit);
    assert.equal(repo.git('rev-parse', `${res.commit}^2`).trim(), sha);
    const again = cli(['review', 'approve', 'cli-rev', '--repo', repo.root]);
    assert.equal(again.status, 1, 'nothing left to approve');
  });

  test('review approve of a change the reviewer said NEEDS_CHANGES: refused (exit 1) pointing to override; override --reason merges and keeps the reason', () => {
    const repo = newRepo();
    repo.writeConfig({ review: { max_rounds: 1 } });
    repo.writeTask('cli-nc', { agent: { files: { 'nc.txt': 'nc\n' }, review: ['NEEDS_CHANGES'] } });
    assert.equal(cli(['run', '--no-wait', '--repo', repo.root]).status, 3);
    const before = repo.rev('main');
    const a = cli(['review', 'approve', 'cli-nc', '--repo', repo.root]);
    assert.equal(repo.rev('main'), before, 'nothing merged');
    assert.equal(a.status, 1, a.stdout);
    assert.match(a.stderr, /refused: The reviewer said NEEDS_CHANGES in round 1/);
    assert.match(a.stderr, /swarm review override cli-nc --reason/);
    const list = JSON.parse(cli(['review', 'list', '--json', '--repo', repo.root]).stdout);
    assert.equal(list[0].approvable.approvable, false);
    assert.match(cli(['review', 'list', '--repo', repo.root]).stdout, /cli-nc .*\[NEEDS_CHANGES: override only\]/);
    const o = cli(['review', 'override', 'cli-nc', '--reason', 'the reviewer misread the task', '--repo', repo.root]);
    assert.equal(o.status, 0, o.stderr);
    assert.match(o.stdout, /merged as [0-9a-f]{40}/);
    const st = repo.state('cli-nc')!;
    assert.equal(st.rounds.at(-1).decision, 'override');
    assert.equal(st.rounds.at(-1).reason, 'the reviewer misread the task');
    assert.ok(repo.journal().some((e) => e.type === 'human_decision' && e.decision === 'override' && e.text === 'the reviewer misread the task'));
  });

  test('a decision from another terminal is handed to the running swarm, which merges it', async () => {
    const repo = newRepo();
    repo.writeConfig({ review: { mode: 'human' } });
    repo.writeTask('remote', { agent: { files: { 'remote.txt': 'r\n' } } });
    const { child, done } = spawnCli(['run', '--repo', repo.root]);
    try {
      await waitFor(() => repo.task('current', 'remote')?.data.status === 'awaiting_human', 20_000, 'the review request');
      const busy = cli(['run', '--repo', repo.root]);
      assert.equal(busy.status, 4, 'a second swarm on the same repository is refused');
      assert.match(busy.stderr, /another swarm \(pid \d+/);
      const st = JSON.parse(cli(['status', '--json', '--repo', repo.root]).stdout);
      assert.equal(st.running.pid, child.pid);
      const c = cli(['cleanup', '--repo', repo.root]);
      assert.equal(c.status, 4, 'no cleanup under a running swarm');
      assert.match(c.stderr, /stop it before cleaning up/);
      assert.equal(cli(['cleanup', '--dry-run', '--repo', repo.root]).status, 0, 'a dry run is fine');
      const d = cli(['review', 'approve', 'remote', '--repo', repo.root]);
      assert.equal(d.status, 0, d.stderr);
      assert.match(d.stdout, new RegExp(`recorded: handed to the swarm running in process ${child.pid}`));
      const r = await done;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /remote: your approve of [0-9a-f]{10}: applied/);
      assert.equal(repo.show('main', 'remote.txt'), 'r\n');
      assert.deepEqual(repo.taskIds('complete'), ['remote']);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('stop from another terminal: the running swarm stops with its state saved and the next run resumes it; with none running it says so', async () => {
    const repo = newRepo();
    repo.writeConfig();
    const release = join(repo.logDir, 'release-held'); // agents may see it in their sandbox
    repo.writeTask('held', { agent: { files: { 'held.txt': 'h\n' }, waitFile: release } });
    const none = cli(['stop', '--repo', repo.root]);
    assert.equal(none.status, 0, none.stderr);
    assert.match(none.stdout, /no swarm is running on this repository/);
    assert.deepEqual(JSON.parse(cli(['stop', '--json', '--repo', repo.root]).stdout), { running: null, stopped: false });
    const { child, done } = spawnCli(['run', '--repo', repo.root]);
    try {
      await waitFor(() => repo.calls().some((c) => c.role === 'worker' && c.task === 'held'), 30_000, "the held task's agent turn");
      const stop = cli(['stop', '--repo', repo.root]);
      assert.equal(stop.status, 0, stop.stderr);
      assert.match(stop.stdout, new RegExp(`stopping the swarm \\(pid ${child.pid}, run [^)]+\\)[\\s\\S]*stopped run `));
      const r = await done;
      assert.equal(r.code, 130, `the run ends as interrupted: ${r.stderr}`);
      assert.equal(JSON.parse(cli(['status', '--json', '--repo', repo.root]).stdout).running, null, 'the lock is released');
      assert.equal(cli(['stop', '--repo', repo.root]).stdout.trim(), 'no swarm is running on this repository');
    } finally {
      child.kill('SIGKILL');
    }
    writeFileSync(release, '');
    const again = cli(['run', '--repo', repo.root]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(repo.show('main', 'held.txt'), 'h\n', 'the next run resumed the stopped task and merged it');
  });

  test('review answer and retry from the terminal', () => {
    const repo = newRepo();
    repo.writeConfig();
    repo.writeTask('q', { agent: { blocked: 'Tabs or spaces?', files: { 'q.txt': 'q\n' } } });
    const r = cli(['run', '--no-wait', '--repo', repo.root]);
    assert.equal(r.status, 3);
    assert.match(r.stdout, /q: blocked: Tabs or spaces\?/);
    const list = JSON.parse(cli(['review', 'list', '--json', '--repo', repo.root]).stdout);
    assert.deepEqual(
      list.map((n: { kind: string; question: string }) => [n.kind, n.question]),
      [['question', 'Tabs or spaces?']],
    );
    assert.equal(cli(['review', 'answer', 'q', '--repo', repo.root]).status, 2, 'an answer is needed');
    const a = cli(['review', 'answer', 'q', 'SPACES-PLEASE', '--repo', repo.root]);
    assert.equal(a.status, 0, a.stderr);
    assert.equal(cli(['run', '--repo', repo.root]).status, 0);
    assert.match(
      repo
        .calls()
        .filter((c) => c.role === 'worker')
        .pop()!.prompt,
      /Answer: SPACES-PLEASE/,
    );
    assert.deepEqual(repo.taskIds('complete'), ['q']);
    assert.equal(cli(['review', 'answer', 'q', 'again', '--repo', repo.root]).status, 1);
  });

  test('cleanup --dry-run --json changes nothing; cleanup archives unmerged work first', () => {
    const repo = newRepo();
    repo.writeConfig();
    const wt = repo.path('.swarm', 'worktrees', 'left');
    repo.git('worktree', 'add', '-q', '-b', 'swarm/w3/left', wt);
    writeFileSync(join(wt, 'unsaved.txt'), 'unsaved work\n');
    const refs = repo.git('for-each-ref');
    const dry = cli(['cleanup', '--dry-run', '--json', '--repo', repo.root]);
    assert.equal(dry.status, 0, dry.stderr);
    const report = JSON.parse(dry.stdout);
    assert.equal(report.dryRun, true);
    assert.equal(report.actions[0].action, 'archive_and_remove');
    assert.equal(repo.git('for-each-ref'), refs);
    assert.ok(existsSync(join(wt, 'unsaved.txt')));
    const plainDry = cli(['cleanup', '--dry-run', '--repo', repo.root]);
    assert.match(plainDry.stdout, /would archive and remove: .*left \(swarm\/w3\/left\)/);
    const real = cli(['cleanup', '--repo', repo.root]);
    assert.equal(real.status, 0, real.stderr);
    const ref = /kept at (refs\/swarm\/archive\/left\/\S+)/.exec(real.stdout)?.[1];
    assert.ok(ref, real.stdout);
    assert.equal(repo.show(ref, 'unsaved.txt'), 'unsaved work\n');
    assert.ok(!existsSync(wt));
    assert.equal(cli(['cleanup', '--repo', repo.root]).stdout.trim().split('\n')[0], 'nothing to clean up');
  });
});

/** A temp folder that is not a git repository. */
function PROJECT_TMP(): string {
  const d = mkdtempSync(join(tmpdir(), 'swarm-norepo-'));
  extra.push(d);
  assert.equal(readdirSync(d).length, 0);
  return d;
}
