// The sandbox's policy builders (src/swarm/sandbox.ts) without running bubblewrap: which paths a
// turn may write, what stays read-only inside them, the network a turn gets, the bwrap argv, the
// config section, and Codex not nesting its own sandbox in ours.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentSandbox, bwrapArgv, detectSandbox, expandPaths, gitWritePaths, loopbackPorts, networkFor, turnPolicy, sandboxStatus, type SandboxSettings } from '../../src/swarm/sandbox';
import { parseSwarmConfig } from '../../src/swarm/config';
import { ConfigError } from '../../src/swarm/errors';
import { CliHarness, CLI_SPECS } from '../../src/swarm/harness/adapters';
import type { HarnessContext } from '../../src/swarm/harness/context';

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function repoWithWorktree(): { root: string; common: string; wt: string } {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-sb-unit-'));
  dirs.push(dir);
  const root = join(dir, 'repo');
  const g = (...a: string[]) => execFileSync('git', a, { cwd: root, stdio: 'pipe' });
  execFileSync('git', ['init', '-q', '-b', 'main', root]);
  g('-c', 'user.name=u', '-c', 'user.email=u@x', 'commit', '-q', '--allow-empty', '-m', 'init');
  g('branch', 'swarm/w1/older');
  const wt = join(root, '.swarm', 'worktrees', 't1');
  g('worktree', 'add', '-q', '-b', 'swarm/w1/t1', wt);
  return { root, common: join(root, '.git'), wt };
}

const settings: SandboxSettings = { mode: 'auto', allowWrite: [], denyRead: [], allowDomains: [] };

test('a worker in its worktree may write: the worktree, objects, its admin dir, its own ref and reflog folders — the rest of them read-only', () => {
  const { root, common, wt } = repoWithWorktree();
  const g = gitWritePaths(wt, common, 'swarm/w1/t1');
  assert.deepEqual(g.problems, []);
  assert.deepEqual(g.allowWrite, [join(common, 'objects'), join(common, 'worktrees', 't1'), join(common, 'refs', 'heads', 'swarm', 'w1'), join(common, 'logs', 'refs', 'heads', 'swarm', 'w1')]);
  for (const p of [join(wt, '.git'), join(common, 'worktrees', 't1', 'gitdir'), join(common, 'worktrees', 't1', 'commondir'), join(common, 'worktrees', 't1', 'config.worktree'), join(common, 'refs', 'heads', 'swarm', 'w1', 'older')]) {
    assert.ok(g.readOnly.includes(p), `${p} read-only: ${g.readOnly.join(', ')}`);
  }
  assert.ok(!g.readOnly.includes(join(common, 'refs', 'heads', 'swarm', 'w1', 't1')), 'its own ref stays writable');
  const p = turnPolicy({ role: 'worker', cwd: wt, branch: 'swarm/w1/t1', harness: 'command', env: { HOME: '/home/u' } }, { root, commonDir: common, tasksDir: join(root, 'tasks') }, settings, true);
  assert.ok(p.allowWrite.includes(wt) && p.allowWrite.includes(join(root, 'tasks', 'pending')));
  for (const never of [root, common, join(common, 'config'), join(common, 'hooks'), join(common, 'refs', 'heads'), join(root, '.swarm'), '/home/u']) assert.ok(!p.allowWrite.includes(never), `${never} not writable`);
  assert.ok(p.denyRead.includes('/home/u/.ssh') && p.denyRead.includes('/home/u/.docker/config.json'));
  assert.deepEqual(p.network, { mode: 'none' });
  // An executor adds no tasks; a reviewer writes nothing; a planner only tasks/pending.
  const layout = { root, commonDir: common, tasksDir: join(root, 'tasks') };
  assert.ok(!turnPolicy({ role: 'executor', cwd: wt, branch: 'swarm/w1/t1', harness: 'command', env: {} }, layout, settings, true).allowWrite.includes(join(root, 'tasks', 'pending')));
  assert.deepEqual(turnPolicy({ role: 'reviewer', cwd: wt, harness: 'command', env: {} }, layout, settings, true).allowWrite, []);
  assert.deepEqual(turnPolicy({ role: 'planner', cwd: root, harness: 'command', env: {} }, layout, settings, true).allowWrite, [join(root, 'tasks', 'pending')]);
  // A worker turn in the user's checkout gets nothing of it.
  const inRoot = turnPolicy({ role: 'worker', cwd: root, branch: 'main', harness: 'command', env: {} }, layout, settings, true);
  assert.ok(!inRoot.allowWrite.includes(root) && inRoot.problems.length === 1);
});

test('git data is not granted when the worktree points elsewhere or the branch has no folder of its own', () => {
  const { common, wt } = repoWithWorktree();
  assert.deepEqual(gitWritePaths(wt, common, 'main').allowWrite, [join(common, 'objects'), join(common, 'worktrees', 't1')], 'a branch right under refs/heads/ would open every branch');
  assert.deepEqual(gitWritePaths(wt, common, 'swarm/../main').allowWrite.length, 2);
  const fake = mkdtempSync(join(tmpdir(), 'swarm-sb-fake-'));
  dirs.push(fake);
  mkdirSync(join(fake, 'worktrees', 't1'), { recursive: true });
  writeFileSync(join(wt, '.git'), `gitdir: ${join(fake, 'worktrees', 't1')}\n`);
  const g = gitWritePaths(wt, common, 'swarm/w1/t1');
  assert.deepEqual(g.allowWrite, []);
  assert.match(g.problems[0], /not a linked worktree/);
});

test('network: none for scripts, bridged loopback ports for a local *_BASE_URL, the shared network otherwise (said why)', () => {
  assert.deepEqual(loopbackPorts({ ANTHROPIC_BASE_URL: 'http://127.0.0.1:8123', OPENAI_BASE_URL: 'http://localhost/v1', X: 'http://127.0.0.1:9' }), { ports: [80, 8123], remote: [] });
  assert.deepEqual(loopbackPorts({ GOOGLE_GEMINI_BASE_URL: 'https://gw.example.com' }).remote, ['GOOGLE_GEMINI_BASE_URL=gw.example.com']);
  assert.deepEqual(networkFor({ role: 'worker', harness: 'command', env: {} }, settings, true), { mode: 'none' });
  assert.deepEqual(networkFor({ role: 'worker', harness: 'claude', env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:7000' } }, settings, true), { mode: 'loopback', ports: [7000] });
  assert.equal(networkFor({ role: 'worker', harness: 'claude', env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:7000' } }, settings, false).mode, 'host', 'no socat: no bridge');
  assert.match((networkFor({ role: 'worker', harness: 'claude', env: {} }, settings, true) as { why: string }).why, /api\.anthropic\.com/);
  assert.match((networkFor({ role: 'worker', harness: 'command', env: {} }, { allowDomains: ['pypi.org'] }, true) as { why: string }).why, /cannot filter by host/);
  assert.equal(networkFor({ role: 'setup', harness: 'setup', env: {} }, settings, true).mode, 'host');
});

test('bwrap argv: read-only root, no capabilities, own PID namespace, dies with its parent; writable and hidden paths in order', () => {
  const { root, common, wt } = repoWithWorktree();
  const home = mkdtempSync(join(tmpdir(), 'swarm-sb-home-'));
  dirs.push(home);
  mkdirSync(join(home, '.ssh'));
  writeFileSync(join(home, '.netrc'), 'machine x password y\n');
  const p = turnPolicy({ role: 'worker', cwd: wt, branch: 'swarm/w1/t1', harness: 'command', env: { HOME: home } }, { root, commonDir: common, tasksDir: join(root, 'tasks') }, settings, true);
  const argv = bwrapArgv('/usr/bin/bwrap', p, ['agent', '--x'], '/tmp/turn-1');
  const s = argv.join(' ');
  assert.ok(s.startsWith('/usr/bin/bwrap --ro-bind / / --dev /dev --proc /proc'));
  for (const f of ['--cap-drop ALL', '--unshare-pid', '--die-with-parent', '--new-session', '--unshare-net', `--bind ${wt} ${wt}`, `--ro-bind ${join(wt, '.git')} ${join(wt, '.git')}`, `--tmpfs ${join(home, '.ssh')}`, `--ro-bind /dev/null ${join(home, '.netrc')}`, '--setenv TMPDIR /tmp/turn-1', '--unsetenv SSH_AUTH_SOCK']) assert.ok(s.includes(f), `${f} in ${s}`);
  assert.ok(s.indexOf(`--bind ${wt} `) < s.indexOf(`--ro-bind ${join(wt, '.git')} `), 'the .git file is re-bound read-only after the worktree');
  assert.deepEqual(argv.slice(-3), ['--', 'agent', '--x']);
  const bridged = bwrapArgv('/usr/bin/bwrap', { ...p, network: { mode: 'loopback', ports: [7000] } }, ['agent'], '/tmp/turn-1', '/usr/bin/socat');
  assert.ok(bridged.join(' ').includes('TCP-LISTEN:7000,bind=127.0.0.1'));
  assert.deepEqual(bridged.slice(-2), ['swarm-sandbox', 'agent']);
  const host = bwrapArgv('/usr/bin/bwrap', { ...p, network: { mode: 'host', why: 'x' } }, ['agent'], '/tmp/turn-1');
  assert.ok(!host.includes('--unshare-net'));
});

test('paths: ~ against the agent HOME and the engine home, $VAR only when set, relative to the repo root', () => {
  const out = expandPaths(['~/.cache/x', '$CODEX_HOME', '$UNSET_VAR/x', 'build'], { HOME: '/h', CODEX_HOME: '/c' }, '/repo');
  assert.ok(out.includes('/h/.cache/x') && out.includes('/c') && out.includes('/repo/build'));
  assert.ok(!out.some((p) => p.includes('UNSET')));
});

test('status and detection: off says so; a missing bwrap names the install command', () => {
  assert.match(sandboxStatus({ mode: 'off' }, { available: true }).reason, /NOT sandboxed: sandbox\.mode is "off"/);
  const none = detectSandbox({ PATH: '/nonexistent', SWARM_BWRAP: '/nonexistent/bwrap' });
  assert.equal(none.available, false);
  assert.match(none.reason!, /sudo apt-get install bubblewrap socat ripgrep/);
  assert.equal(new AgentSandbox(settings, { root: '/r', commonDir: '/r/.git', tasksDir: '/r/tasks' }, none).on, false);
});

test('config: "sandbox" defaults to auto; a bad mode names the field', () => {
  assert.deepEqual(parseSwarmConfig({}).sandbox, { mode: 'auto', allowWrite: [], denyRead: [], allowDomains: [] });
  assert.deepEqual(parseSwarmConfig({ sandbox: { mode: 'required', allow_write: ['~/.cache/pip'] } }).sandbox.allowWrite, ['~/.cache/pip']);
  assert.throws(() => parseSwarmConfig({ sandbox: { mode: 'on' } }), (e: unknown) => e instanceof ConfigError && e.issues[0].field === 'sandbox.mode' && /"auto", "required", "off"/.test(e.issues[0].message));
  assert.throws(() => parseSwarmConfig({ sandbox: { allow_domain: [] } }), (e: unknown) => e instanceof ConfigError && e.issues[0].field === 'sandbox.allow_domain');
});

test('codex inside our sandbox does not start its own (it cannot nest): every role bypasses; without ours the restricted modes stay', () => {
  const { root, wt } = repoWithWorktree();
  const on = { on: true } as unknown as AgentSandbox;
  const base: HarnessContext = { cliPaths: {}, nodePath: process.execPath, demoAgentPath: '', baseEnv: {} };
  const req = (role: 'planner' | 'reviewer' | 'worker', cwd: string) => ({ role, cwd, prompt: 'p', promptFile: '/p', env: { SWARM_TASKS_DIR: join(root, 'tasks') }, timeoutMs: 1000, logFile: '/l', signal: new AbortController().signal });
  for (const role of ['planner', 'reviewer'] as const) {
    const inside = new CliHarness(CLI_SPECS.codex, { ...base, sandbox: on }).planTurn(req(role, root)).argv.join(' ');
    assert.match(inside, /--dangerously-bypass-approvals-and-sandbox/, role);
    assert.doesNotMatch(inside, / -s /);
    const outside = new CliHarness(CLI_SPECS.codex, base).planTurn(req(role, root)).argv.join(' ');
    assert.match(outside, role === 'planner' ? /-s workspace-write/ : /-s read-only/);
  }
  assert.match(new CliHarness(CLI_SPECS.codex, { ...base, sandbox: on }).planTurn(req('worker', wt)).argv.join(' '), /--dangerously-bypass-approvals-and-sandbox/);
});
