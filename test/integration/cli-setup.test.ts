// First run with real agents (issue 18): the preflight of `swarm run` (exit 2, one message per
// problem, nothing claimed, no worktree), `swarm doctor --json` on a machine without the agent
// CLIs, and `swarm init` choosing the CLI installed here. The CLIs' absence, an old git and a
// missing bubblewrap are made with a PATH of our own: a folder holding only `git` (the real one,
// or a wrapper that reports an old version). With the real CLIs: test/agents/doctor.test.ts.

import { describe, test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { newRepo, TestRepo, cli, ensureCli, runSwarm } from '../helpers/repo';
import type { DoctorReport } from '../../src/swarm/doctor';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
before(() => {
  ensureCli();
});

const REAL_GIT = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();

/** A folder for PATH holding only `git` (and the given extra programs): no agent CLI, no bwrap. */
function binDir(o: { gitVersion?: string; extra?: Record<string, string> } = {}): string {
  const d = mkdtempSync(join(tmpdir(), 'swarm-bin-'));
  dirs.push(d);
  if (o.gitVersion) {
    writeFileSync(join(d, 'git'), `#!/bin/sh\nif [ "$1" = "--version" ]; then echo "git version ${o.gitVersion}"; exit 0; fi\nexec ${REAL_GIT} "$@"\n`);
    chmodSync(join(d, 'git'), 0o755);
  } else symlinkSync(REAL_GIT, join(d, 'git'));
  for (const [name, text] of Object.entries(o.extra ?? {})) {
    writeFileSync(join(d, name), text);
    chmodSync(join(d, name), 0o755);
  }
  return d;
}

function envWith(bin: string): NodeJS.ProcessEnv {
  return { PATH: bin, SWARM_BWRAP: '' };
}

/** A repo with two pending tasks and the given config (scripted agents unless overridden). */
function repoWith(over: Record<string, unknown>): TestRepo {
  const r = newRepo();
  r.writeConfig(over);
  r.writeTask('t1');
  r.writeTask('t2');
  r.git('add', '-A');
  r.git('-c', 'user.name=u', '-c', 'user.email=u@u', 'commit', '-q', '-m', 'tasks');
  return r;
}

/** Nothing was claimed and no worktree or swarm branch exists. */
function assertUntouched(r: TestRepo): void {
  assert.deepEqual(r.taskIds('pending'), ['t1', 't2']);
  assert.deepEqual(r.taskIds('current'), []);
  assert.equal(
    r
      .git('worktree', 'list', '--porcelain')
      .split('\n')
      .filter((l) => l.startsWith('worktree ')).length,
    1,
    'no worktree',
  );
  assert.equal(r.git('for-each-ref', 'refs/heads/swarm/'), '', 'no swarm branch');
  assert.ok(!existsSync(r.path('.swarm', 'worktrees')) || execFileSync('ls', ['-A', r.path('.swarm', 'worktrees')], { encoding: 'utf8' }) === '');
}

describe('preflight of swarm run', { timeout: 300_000 }, () => {
  test('a worker CLI that is not installed: exit 2 naming it, where it looked and the install command; nothing claimed', () => {
    const r = repoWith({ workers: [{ role: 'worker', harness: 'claude', count: 2 }] });
    const bin = binDir();
    const res = cli(['run', '--repo', r.root, '--no-wait'], { env: envWith(bin) });
    assert.equal(res.status, 2, res.stderr + res.stdout);
    assert.match(res.stderr, /cannot start \(nothing was claimed\)/);
    assert.match(res.stderr, /Claude Code \("claude", used by worker w1, worker w2\) is not installed/);
    assert.ok(res.stderr.includes(`looked: "claude" in the agents' PATH (${bin})`), res.stderr);
    assert.match(res.stderr, /npm install -g @anthropic-ai\/claude-code/);
    assert.match(res.stderr, /swarm\.cli\.claude or swarm\.json harnesses\.claude\.command/);
    assert.equal(res.stderr.match(/^ {2}- /gm)?.length, 1, 'one message: the reviewer (scripted) is fine');
    assertUntouched(r);
  });

  test('a reviewer CLI that is not installed: exit 2 before the workers take anything', () => {
    const r = repoWith({ review: { mode: 'agent', harness: 'codex' } });
    const res = cli(['run', '--repo', r.root, '--no-wait'], { env: envWith(binDir()) });
    assert.equal(res.status, 2, res.stderr + res.stdout);
    assert.match(res.stderr, /Codex CLI \("codex", used by the reviewer\) is not installed/);
    assert.match(res.stderr, /npm install -g @openai\/codex/);
    assertUntouched(r);
    // Review by you only: the reviewer CLI is not needed, so the run starts.
    const human = repoWith({ review: { mode: 'human', harness: 'codex' } });
    const ok = cli(['run', '--repo', human.root, '--no-wait'], { env: envWith(binDir()) });
    assert.equal(ok.status, 3, ok.stderr + ok.stdout);
  });

  test('a custom harness whose program is missing, and an unknown harness name: exit 2, each named', () => {
    const r = repoWith({
      workers: [{ role: 'worker', harness: 'mine' }],
      harnesses: { mine: { command: ['my-agent-that-is-not-here', '--go'] }, scripted: { command: [process.execPath, 'x'] } },
    });
    const res = cli(['run', '--repo', r.root, '--no-wait'], { env: envWith(binDir()) });
    assert.equal(res.status, 2, res.stderr + res.stdout);
    assert.match(res.stderr, /the program of harness "mine" \(used by worker w1\) was not found/);
    assert.match(res.stderr, /give its absolute path in swarm\.json harnesses\.mine\.command/);
    assertUntouched(r);
    const u = repoWith({ workers: [{ role: 'worker', harness: 'nosuch' }] });
    const res2 = cli(['run', '--repo', u.root, '--no-wait'], { env: envWith(binDir()) });
    assert.equal(res2.status, 2);
    assert.match(res2.stderr, /swarm\.json: workers\[0\]\.harness: expected one of .*found "nosuch"/);
    assertUntouched(u);
  });

  test('a merge check whose program is missing: exit 2 naming merge_check.command; nothing claimed', () => {
    const r = repoWith({ merge_check: { command: ['no-such-check-program', 'test'] } });
    const res = cli(['run', '--repo', r.root, '--no-wait'], { env: envWith(binDir()) });
    assert.equal(res.status, 2, res.stderr + res.stdout);
    assert.match(res.stderr, /the merge check "no-such-check-program test" cannot run: no-such-check-program was not found/);
    assert.match(res.stderr, /change "merge_check\.command" in swarm\.json/);
    assertUntouched(r);
  });

  test('git older than 2.38 (a wrapper on PATH): exit 2 with the version found and what is needed', () => {
    const r = repoWith({});
    const res = cli(['run', '--repo', r.root, '--no-wait'], { env: envWith(binDir({ gitVersion: '2.30.1' })) });
    assert.equal(res.status, 2, res.stderr + res.stdout);
    assert.match(res.stderr, /git 2\.30\.1 is too old: the swarm needs git 2\.38 or newer/);
    assertUntouched(r);
  });

  test('sandbox "required" without bubblewrap on PATH: exit 2 with the install command', () => {
    const r = repoWith({ sandbox: { mode: 'required', allow_write: [] } });
    const res = cli(['run', '--repo', r.root, '--no-wait'], { env: envWith(binDir()) });
    assert.equal(res.status, 2, res.stderr + res.stdout);
    assert.match(res.stderr, /sandbox\.mode is "required" in swarm\.json, but bubblewrap \(bwrap\) is not installed/);
    assert.match(res.stderr, /sudo apt-get install bubblewrap socat ripgrep/);
    assertUntouched(r);
  });

  test('several problems at once: one message each', () => {
    const r = repoWith({
      workers: [{ role: 'worker', harness: 'gemini' }],
      review: { mode: 'agent', harness: 'opencode' },
      sandbox: { mode: 'required', allow_write: [] },
      base: 'develop',
    });
    const res = cli(['run', '--repo', r.root, '--no-wait'], { env: envWith(binDir({ gitVersion: '2.20.0' })) });
    assert.equal(res.status, 2, res.stderr + res.stdout);
    const lines = res.stderr.split('\n').filter((l) => l.startsWith('  - '));
    assert.equal(lines.length, 5, res.stderr);
    for (const re of [/Gemini CLI/, /OpenCode/, /git 2\.20\.0 is too old/, /sandbox\.mode is "required"/, /the base branch "develop" does not exist/])
      assert.ok(
        lines.some((l) => re.test(l)),
        `${re}: ${res.stderr}`,
      );
    assertUntouched(r);
  });

  test("the engine checks too: a run started without the front end's preflight claims nothing", async () => {
    const r = repoWith({
      workers: [{ role: 'worker', harness: 'mine' }],
      harnesses: { mine: { command: ['/nonexistent/agent'] }, scripted: { command: [process.execPath, 'x'] } },
    });
    const res = await runSwarm(r.root, { timeoutMs: 60_000 });
    assert.match(res.summary.reason ?? '', /^error: cannot start: the program of harness "mine"/);
    assert.ok(res.events.some((e) => e.type === 'log' && e.level === 'error' && /looked: \/nonexistent\/agent/.test(e.message)));
    assert.ok(!res.events.some((e) => e.type === 'task_claimed'));
    assertUntouched(r);
  });
});

describe('swarm doctor and swarm init', { timeout: 300_000 }, () => {
  test("doctor in a hostile repository: its git config's fsmonitor program never runs", () => {
    const r = repoWith({});
    const marker = join(r.home, 'fsmonitor-ran');
    r.git('config', 'core.fsmonitor', `touch ${marker}; false`);
    r.write('.worktreeinclude', '.env\n');
    const res = cli(['doctor', '--json', '--repo', r.root], { env: envWith(binDir()) });
    assert.ok(res.stdout.includes('"checks"'), res.stderr);
    assert.ok(!existsSync(marker), "swarm doctor ran the repository's fsmonitor program");
  });

  test('doctor --json with no agent CLI installed: each CLI not found with its install command; a config that uses one fails', () => {
    const r = repoWith({ workers: [{ role: 'worker', harness: 'claude' }] });
    const res = cli(['doctor', '--json', '--repo', r.root], { env: envWith(binDir()) });
    assert.equal(res.status, 1, res.stderr);
    const report = JSON.parse(res.stdout) as DoctorReport;
    assert.equal(report.ok, false);
    const byId = new Map(report.checks.map((c) => [c.id, c]));
    assert.equal(byId.get('git')?.status, 'ok');
    assert.equal(byId.get('config')?.status, 'ok');
    assert.equal(byId.get('cli:claude')?.status, 'fail', 'used by the config');
    assert.match(byId.get('cli:claude')!.fix!, /npm install -g @anthropic-ai\/claude-code/);
    for (const n of ['codex', 'opencode', 'gemini']) {
      assert.equal(byId.get(`cli:${n}`)?.status, 'info', `${n}: not used, not installed`);
      assert.match(byId.get(`cli:${n}`)!.detail, /not found/);
    }
    assert.equal(byId.get('sandbox')?.status, 'warn', 'no bwrap on this PATH (mode auto)');
    assert.match(byId.get('sandbox')!.fix!, /apt-get install bubblewrap/);
    assert.ok(byId.get('path'));
    assert.equal(byId.get('disk')?.status, 'ok');
    // Plain text: the checklist with its marks.
    const text = cli(['doctor', '--repo', r.root], { env: envWith(binDir()) });
    assert.match(text.stdout, /^✓ git: git version/m);
    assert.match(text.stdout, /^✗ Claude Code \(claude\): not found/m);
    assert.match(text.stdout, /^ {4}fix: npm install -g @anthropic-ai\/claude-code/m);
    assert.match(text.stdout, /Not ready: 1 problem/);
  });

  test('doctor: a bad config, an old git and .worktreeinclude patterns that match nothing are named', () => {
    const r = repoWith({});
    r.write('.worktreeinclude', '# copied into each worktree\n.env.local\nconfig/secret.json\n');
    r.write('.env.local', 'X=1\n');
    const res = cli(['doctor', '--json', '--repo', r.root], { env: envWith(binDir()) });
    const report = JSON.parse(res.stdout) as DoctorReport;
    const wi = report.checks.find((c) => c.id === 'worktreeinclude')!;
    assert.equal(wi.status, 'warn');
    assert.match(wi.detail, /1 of 2 pattern\(s\) match nothing .*: config\/secret\.json$/);
    r.write('config/secret.json', '{}\n');
    const again = JSON.parse(cli(['doctor', '--json', '--repo', r.root], { env: envWith(binDir()) }).stdout) as DoctorReport;
    assert.equal(again.checks.find((c) => c.id === 'worktreeinclude')!.status, 'ok');
    r.write('swarm.json', '{ "workers": [ { "count": 0 } ] }');
    const old = cli(['doctor', '--json', '--repo', r.root], { env: envWith(binDir({ gitVersion: '2.30.0' })) });
    assert.equal(old.status, 1);
    const bad = JSON.parse(old.stdout) as DoctorReport;
    assert.equal(bad.checks.find((c) => c.id === 'git')!.status, 'fail');
    assert.match(bad.checks.find((c) => c.id === 'git')!.detail, /2\.30\.0 \(needs 2\.38 or newer\)/);
    assert.equal(bad.checks.find((c) => c.id === 'config')!.status, 'fail');
    assert.match(bad.checks.find((c) => c.id === 'config')!.detail, /workers\[0\]\.count/);
  });

  test('init with a `claude` on PATH writes a swarm.json whose workers and reviewer use it, and says so', () => {
    const r = newRepo();
    const bin = binDir({ extra: { claude: '#!/bin/sh\necho "9.9.9 (Claude Code)"\n' } });
    const res = cli(['init', '--repo', r.root], { env: envWith(bin) });
    assert.equal(res.status, 0, res.stderr);
    assert.ok(res.stdout.includes(`swarm.json uses Claude Code (${join(bin, 'claude')}) for the workers and the reviewer`), res.stdout);
    const text = r.read('swarm.json');
    assert.match(text, /\{ "role": "worker", "harness": "claude", "count": 2, "iterations": 10 \}/);
    assert.match(text, /"review": \{[^}]*"harness": "claude"/);
    // The config it wrote passes the preflight with that CLI on PATH (and would fail without).
    const st = cli(['doctor', '--json', '--repo', r.root], { env: envWith(bin) });
    const report = JSON.parse(st.stdout) as DoctorReport;
    assert.match(report.checks.find((c) => c.id === 'cli:claude')!.detail, new RegExp(`${join(bin, 'claude')}, 9\\.9\\.9`));
  });

  test('init with no agent CLI: the demo agents, with a comment on how to switch', () => {
    const r = newRepo();
    const res = cli(['init', '--repo', r.root], { env: envWith(binDir()) });
    assert.equal(res.status, 0, res.stderr);
    assert.match(res.stdout, /no agent CLI \(claude, codex, opencode, gemini\) was found, so swarm\.json uses the built-in demo agents/);
    const text = r.read('swarm.json');
    assert.match(text, /"harness": "demo", "count": 2/);
    assert.match(text, /To switch: install one, e\.g\.\n\s*\/\/ npm install -g @anthropic-ai\/claude-code, then set "harness": "claude"/);
  });
});
