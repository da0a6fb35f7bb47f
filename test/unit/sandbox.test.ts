// The sandbox's policy builders (src/swarm/sandbox.ts) without running bubblewrap: which paths a
// turn may write, what stays read-only inside them, the network a turn gets, the bwrap argv, the
// config section, and Codex not nesting its own sandbox in ours.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import {
  AgentSandbox,
  bwrapArgv,
  cliConfigEndpoints,
  protectedCliPaths,
  detectSandbox,
  expandPaths,
  loopbackPorts,
  sandboxStatus,
} from '../../src/swarm/sandbox';
import { describeNetwork, gitWritePaths, networkFor, PROXY_PORT, turnPolicy, type SandboxSettings } from '../../src/swarm/sandboxPolicy';
import { hostAllowed, startFilterProxy } from '../../src/swarm/netproxy';
import { createServer as createHttpServer } from 'node:http';
import { connect } from 'node:net';
import { parseSwarmConfig } from '../../src/swarm/config';
import { ConfigError } from '../../src/swarm/errors';
import { CliHarness, CLI_SPECS } from '../../src/swarm/harness/adapters';
import type { HarnessContext } from '../../src/swarm/harness/context';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

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
  assert.deepEqual(g.allowWrite, [
    join(common, 'objects'),
    join(common, 'worktrees', 't1'),
    join(common, 'refs', 'heads', 'swarm', 'w1'),
    join(common, 'logs', 'refs', 'heads', 'swarm', 'w1'),
  ]);
  for (const p of [
    join(wt, '.git'),
    join(common, 'worktrees', 't1', 'gitdir'),
    join(common, 'worktrees', 't1', 'commondir'),
    join(common, 'worktrees', 't1', 'config.worktree'),
    join(common, 'refs', 'heads', 'swarm', 'w1', 'older'),
  ]) {
    assert.ok(g.readOnly.includes(p), `${p} read-only: ${g.readOnly.join(', ')}`);
  }
  assert.ok(!g.readOnly.includes(join(common, 'refs', 'heads', 'swarm', 'w1', 't1')), 'its own ref stays writable');
  const p = turnPolicy(
    { role: 'worker', cwd: wt, branch: 'swarm/w1/t1', harness: 'command', env: { HOME: '/home/u' } },
    { root, commonDir: common, tasksDir: join(root, 'tasks') },
    settings,
    true,
  );
  assert.ok(p.allowWrite.includes(wt));
  // Follow-ups: a private folder over tasks/pending/, its new files added after the turn (followUps.ts).
  assert.ok(!p.allowWrite.includes(join(root, 'tasks', 'pending')) && p.followUps === join(root, 'tasks', 'pending'));
  for (const never of [root, common, join(common, 'config'), join(common, 'hooks'), join(common, 'refs', 'heads'), join(root, '.swarm'), '/home/u'])
    assert.ok(!p.allowWrite.includes(never), `${never} not writable`);
  assert.ok(p.denyRead.includes('/home/u/.ssh') && p.denyRead.includes('/home/u/.docker/config.json'));
  // The engine process's socket and token (src/shared/engineSocket.ts): hidden, made before the turn.
  assert.ok(p.denyRead.includes(join(root, '.swarm', 'engine')) && existsSync(join(root, '.swarm', 'engine')), 'the engine socket folder is hidden');
  assert.deepEqual(p.network, { mode: 'none' });
  // An executor adds no tasks; a reviewer writes nothing; a planner only tasks/pending.
  const layout = { root, commonDir: common, tasksDir: join(root, 'tasks') };
  assert.ok(
    !turnPolicy({ role: 'executor', cwd: wt, branch: 'swarm/w1/t1', harness: 'command', env: {} }, layout, settings, true).allowWrite.includes(
      join(root, 'tasks', 'pending'),
    ),
  );
  assert.deepEqual(turnPolicy({ role: 'reviewer', cwd: wt, harness: 'command', env: {} }, layout, settings, true).allowWrite, []);
  assert.deepEqual(turnPolicy({ role: 'planner', cwd: root, harness: 'command', env: {} }, layout, settings, true).allowWrite, [
    join(root, 'tasks', 'pending'),
  ]);
  // A worker turn in the user's checkout gets nothing of it.
  const inRoot = turnPolicy({ role: 'worker', cwd: root, branch: 'main', harness: 'command', env: {} }, layout, settings, true);
  assert.ok(!inRoot.allowWrite.includes(root) && inRoot.problems.length === 1);
});

test('git data is not granted when the worktree points elsewhere or the branch has no folder of its own', () => {
  const { common, wt } = repoWithWorktree();
  assert.deepEqual(
    gitWritePaths(wt, common, 'main').allowWrite,
    [join(common, 'objects'), join(common, 'worktrees', 't1')],
    'a branch right under refs/heads/ would open every branch',
  );
  assert.deepEqual(gitWritePaths(wt, common, 'swarm/../main').allowWrite.length, 2);
  const fake = mkdtempSync(join(tmpdir(), 'swarm-sb-fake-'));
  dirs.push(fake);
  mkdirSync(join(fake, 'worktrees', 't1'), { recursive: true });
  writeFileSync(join(wt, '.git'), `gitdir: ${join(fake, 'worktrees', 't1')}\n`);
  const g = gitWritePaths(wt, common, 'swarm/w1/t1');
  assert.deepEqual(g.allowWrite, []);
  assert.match(g.problems[0], /not a linked worktree/);
});

test('network: none for scripts, bridged loopback ports for a local *_BASE_URL, the filtering proxy for hosts elsewhere', () => {
  assert.deepEqual(loopbackPorts({ ANTHROPIC_BASE_URL: 'http://127.0.0.1:8123', OPENAI_BASE_URL: 'http://localhost/v1', X: 'http://127.0.0.1:9' }), {
    ports: [80, 8123],
    remote: [],
  });
  assert.deepEqual(loopbackPorts({ GOOGLE_GEMINI_BASE_URL: 'https://gw.example.com' }).remote, ['gw.example.com']);
  assert.deepEqual(networkFor({ role: 'worker', harness: 'command', env: {} }, settings, true), { mode: 'none' });
  assert.deepEqual(networkFor({ role: 'worker', harness: 'claude', env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:7000' } }, settings, true), {
    mode: 'loopback',
    ports: [7000],
  });
  assert.equal(
    networkFor({ role: 'worker', harness: 'claude', env: { ANTHROPIC_BASE_URL: 'http://127.0.0.1:7000' } }, settings, false).mode,
    'host',
    'no socat: no bridge',
  );
  assert.deepEqual(networkFor({ role: 'worker', harness: 'claude', env: {} }, settings, true), {
    mode: 'filtered',
    ports: [],
    hosts: ['api.anthropic.com'],
    proxyPort: PROXY_PORT,
  });
  assert.deepEqual(
    networkFor({ role: 'worker', harness: 'gemini', env: { GOOGLE_GEMINI_BASE_URL: 'https://gw.example.com' } }, settings, true),
    { mode: 'filtered', ports: [], hosts: ['gw.example.com'], proxyPort: PROXY_PORT },
    'a remote base URL replaces the default hosts',
  );
  assert.deepEqual(
    networkFor({ role: 'worker', harness: 'command', env: { X_BASE_URL: `http://127.0.0.1:${PROXY_PORT}` } }, { allowDomains: ['pypi.org'] }, true),
    { mode: 'filtered', ports: [PROXY_PORT], hosts: ['pypi.org'], proxyPort: PROXY_PORT + 1 },
    'the proxy moves off a bridged port',
  );
  assert.match(
    (networkFor({ role: 'worker', harness: 'command', env: {} }, { allowDomains: ['pypi.org'] }, false) as { why: string }).why,
    /socat is not installed/,
  );
  assert.equal(networkFor({ role: 'setup', harness: 'setup', env: {} }, settings, true).mode, 'host');
  assert.match(describeNetwork({ mode: 'filtered', ports: [7000], hosts: ['a.b'], proxyPort: 3128 }), /only a\.b and loopback ports 7000/);
});

test("a CLI's own config names its model endpoint (Codex base_url, OpenCode baseURL, Claude settings); files inside the repository are not read", () => {
  const home = mkdtempSync(join(tmpdir(), 'swarm-sb-cfg-'));
  dirs.push(home);
  mkdirSync(join(home, '.codex'));
  writeFileSync(join(home, '.codex', 'config.toml'), '[model_providers.x]\nbase_url = "http://127.0.0.1:7100/v1"\n# base_url = "nope"\n');
  const oc = join(home, 'oc.json');
  writeFileSync(oc, '{"provider":{"x":{"options":{"baseURL":"https://gw.example.com/v1"}}}}');
  const repo = join(home, 'repo');
  mkdirSync(repo);
  writeFileSync(join(repo, 'opencode.json'), '{"provider":{"x":{"options":{"baseURL":"https://evil.example.com"}}}}');
  assert.deepEqual(cliConfigEndpoints('codex', { HOME: home }, repo), ['http://127.0.0.1:7100/v1']);
  assert.deepEqual(cliConfigEndpoints('opencode', { HOME: home, OPENCODE_CONFIG: oc }, repo), ['https://gw.example.com/v1']);
  assert.deepEqual(
    cliConfigEndpoints('opencode', { HOME: home, OPENCODE_CONFIG: join(repo, 'opencode.json') }, repo),
    [],
    'a config inside the repository is ignored',
  );
  assert.deepEqual(networkFor({ role: 'worker', harness: 'codex', env: {} }, settings, true, cliConfigEndpoints('codex', { HOME: home }, repo)), {
    mode: 'loopback',
    ports: [7100],
  });
});

test("a CLI's own program inside its state folders (Claude Code's local or native install) is read-only when present", () => {
  const home = mkdtempSync(join(tmpdir(), 'swarm-sb-prog-'));
  dirs.push(home);
  mkdirSync(join(home, '.claude', 'local'), { recursive: true });
  mkdirSync(join(home, '.local', 'share', 'claude', 'versions'), { recursive: true });
  const got = protectedCliPaths('claude', { HOME: home }, '/repo');
  assert.ok(got.includes(join(home, '.claude', 'local')) && got.includes(join(home, '.local', 'share', 'claude', 'versions')), got.join(' '));
  const bare = mkdtempSync(join(tmpdir(), 'swarm-sb-prog-'));
  dirs.push(bare);
  mkdirSync(join(bare, '.claude'));
  assert.ok(!protectedCliPaths('claude', { HOME: bare }, '/repo').some((p) => p.endsWith(`${sep}local`)), 'not created when absent');
});

test('allowed hosts: exact names, *.domain for subdomains only, :port, case and trailing dot ignored', () => {
  assert.ok(hostAllowed('api.anthropic.com', 443, ['api.anthropic.com']));
  assert.ok(hostAllowed('API.Anthropic.com.', 443, ['api.anthropic.com']));
  assert.ok(!hostAllowed('evil-api.anthropic.com', 443, ['api.anthropic.com']));
  assert.ok(!hostAllowed('api.anthropic.com.evil.com', 443, ['api.anthropic.com']));
  assert.ok(hostAllowed('files.pythonhosted.org', 443, ['*.pythonhosted.org']));
  assert.ok(!hostAllowed('pythonhosted.org', 443, ['*.pythonhosted.org']));
  assert.ok(!hostAllowed('evilpythonhosted.org', 443, ['*.pythonhosted.org']));
  assert.ok(hostAllowed('pypi.org', 443, ['pypi.org:443']));
  assert.ok(!hostAllowed('pypi.org', 22, ['pypi.org:443']));
});

test('the filtering proxy: CONNECT and plain http to allowed hosts pass, others get 403 and are recorded; a name resolving to loopback is refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-proxy-'));
  dirs.push(dir);
  const seen: string[] = [];
  const target = createHttpServer((req, res) => {
    seen.push(req.url ?? '');
    res.end('hello\n');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.2', () => r()));
  const port = (target.address() as { port: number }).port;
  const proxy = await startFilterProxy(join(dir, 'proxy'), ['127.0.0.2', 'localhost']);
  try {
    const talk = (text: string) =>
      new Promise<string>((res) => {
        const s = connect(join(dir, 'proxy'));
        let data = '';
        s.on('connect', () => s.write(text));
        s.on('data', (d) => {
          data += d;
          if (/\r\n\r\n[\s\S]*hello/.test(data) || /^HTTP\/1\.1 (403|400)/.test(data)) s.end();
        });
        s.on('close', () => res(data));
        s.on('error', () => res(data));
      });
    const tunnel = await talk(`CONNECT 127.0.0.2:${port} HTTP/1.1\r\nHost: x\r\n\r\nGET /t HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.match(tunnel, /^HTTP\/1\.1 200 Connection Established[\s\S]*hello/);
    const plain = await talk(`GET http://127.0.0.2:${port}/p?q=1 HTTP/1.1\r\nHost: 127.0.0.2\r\nConnection: close\r\n\r\n`);
    assert.match(plain, /^HTTP\/1\.1 200[\s\S]*hello/);
    assert.deepEqual(seen, ['/t', '/p?q=1']);
    assert.match(await talk('CONNECT 127.0.0.3:443 HTTP/1.1\r\n\r\n'), /^HTTP\/1\.1 403/);
    assert.match(await talk(`GET http://127.0.0.4:${port}/ HTTP/1.1\r\nHost: x\r\n\r\n`), /^HTTP\/1\.1 403/);
    assert.match(await talk('CONNECT localhost:22 HTTP/1.1\r\n\r\n'), /^HTTP\/1\.1 403/, 'an allowed name that resolves to loopback is refused');
    assert.equal(proxy.denied.length, 3);
    assert.match(proxy.denied[0], /^127\.0\.0\.3:443 — not an allowed host/);
    assert.match(proxy.denied[2], /^localhost:22 — resolves to 127\.0\.0\.1, a local address/);
  } finally {
    await proxy.close();
    target.close();
  }
});

test('bwrap argv: read-only root, no capabilities, own PID namespace, dies with its parent; writable and hidden paths in order', () => {
  const { root, common, wt } = repoWithWorktree();
  const home = mkdtempSync(join(tmpdir(), 'swarm-sb-home-'));
  dirs.push(home);
  mkdirSync(join(home, '.ssh'));
  writeFileSync(join(home, '.netrc'), 'machine x password y\n');
  const p = turnPolicy(
    { role: 'worker', cwd: wt, branch: 'swarm/w1/t1', harness: 'command', env: { HOME: home } },
    { root, commonDir: common, tasksDir: join(root, 'tasks') },
    settings,
    true,
  );
  const argv = bwrapArgv('/usr/bin/bwrap', p, ['agent', '--x'], '/tmp/turn-1');
  const s = argv.join(' ');
  assert.ok(s.startsWith('/usr/bin/bwrap --ro-bind / / --dev /dev --proc /proc'));
  for (const f of [
    '--cap-drop ALL',
    '--unshare-pid',
    '--die-with-parent',
    '--new-session',
    '--unshare-net',
    `--bind ${wt} ${wt}`,
    `--ro-bind ${join(wt, '.git')} ${join(wt, '.git')}`,
    `--tmpfs ${join(home, '.ssh')}`,
    `--ro-bind /dev/null ${join(home, '.netrc')}`,
    '--setenv TMPDIR /tmp/turn-1',
    '--unsetenv SSH_AUTH_SOCK',
  ])
    assert.ok(s.includes(f), `${f} in ${s}`);
  assert.ok(s.indexOf(`--bind ${wt} `) < s.indexOf(`--ro-bind ${join(wt, '.git')} `), 'the .git file is re-bound read-only after the worktree');
  assert.deepEqual(argv.slice(-3), ['--', 'agent', '--x']);
  const bridged = bwrapArgv('/usr/bin/bwrap', { ...p, network: { mode: 'loopback', ports: [7000] } }, ['agent'], '/tmp/turn-1', '/usr/bin/socat');
  assert.ok(bridged.join(' ').includes('TCP-LISTEN:7000,bind=127.0.0.1'));
  assert.deepEqual(bridged.slice(-2), ['swarm-sandbox', 'agent']);
  const filtered = bwrapArgv(
    '/usr/bin/bwrap',
    { ...p, network: { mode: 'filtered', ports: [], hosts: ['a.b'], proxyPort: 3128 } },
    ['agent'],
    '/tmp/turn-1',
    '/usr/bin/socat',
  ).join(' ');
  assert.ok(
    filtered.includes('--unshare-net') && filtered.includes('TCP-LISTEN:3128,bind=127.0.0.1') && filtered.includes('UNIX-CONNECT:/tmp/turn-1/swarm-net/proxy'),
    filtered,
  );
  assert.ok(filtered.includes('--setenv HTTPS_PROXY http://127.0.0.1:3128') && filtered.includes('--setenv NO_PROXY localhost,127.0.0.1,::1'), filtered);
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
  assert.throws(
    () => parseSwarmConfig({ sandbox: { mode: 'on' } }),
    (e: unknown) => e instanceof ConfigError && e.issues[0].field === 'sandbox.mode' && /"auto", "required", "off"/.test(e.issues[0].message),
  );
  assert.throws(
    () => parseSwarmConfig({ sandbox: { allow_domain: [] } }),
    (e: unknown) => e instanceof ConfigError && e.issues[0].field === 'sandbox.allow_domain',
  );
});

test('codex inside our sandbox does not start its own (it cannot nest): every role bypasses; without ours the restricted modes stay', () => {
  const { root, wt } = repoWithWorktree();
  const on = { on: true } as unknown as AgentSandbox;
  const base: HarnessContext = { cliPaths: {}, nodePath: process.execPath, demoAgentPath: '', baseEnv: {} };
  const req = (role: 'planner' | 'reviewer' | 'worker', cwd: string) => ({
    role,
    cwd,
    prompt: 'p',
    promptFile: '/p',
    env: { SWARM_TASKS_DIR: join(root, 'tasks') },
    timeoutMs: 1000,
    logFile: '/l',
    signal: new AbortController().signal,
  });
  for (const role of ['planner', 'reviewer'] as const) {
    const inside = new CliHarness(CLI_SPECS.codex, { ...base, sandbox: on }).planTurn(req(role, root)).argv.join(' ');
    assert.match(inside, /--dangerously-bypass-approvals-and-sandbox/, role);
    assert.doesNotMatch(inside, / -s /);
    const outside = new CliHarness(CLI_SPECS.codex, base).planTurn(req(role, root)).argv.join(' ');
    assert.match(outside, role === 'planner' ? /-s workspace-write/ : /-s read-only/);
  }
  assert.match(
    new CliHarness(CLI_SPECS.codex, { ...base, sandbox: on }).planTurn(req('worker', wt)).argv.join(' '),
    /--dangerously-bypass-approvals-and-sandbox/,
  );
});

test("private to the turn: Claude Code's config file (a copy bound over it, created {} when missing) and live sessions' snapshot folders (a tmpfs), after the writable state binds", () => {
  const { root, common } = repoWithWorktree();
  const home = mkdtempSync(join(tmpdir(), 'swarm-sb-priv-'));
  dirs.push(home);
  const p = turnPolicy(
    { role: 'reviewer', cwd: root, harness: 'claude', env: { HOME: home } },
    { root, commonDir: common, tasksDir: join(root, 'tasks') },
    settings,
    true,
  );
  assert.ok(p.privateFiles?.includes(join(home, '.claude.json')), `private: ${p.privateFiles?.join(' ')}`);
  assert.ok(!p.allowWrite.includes(join(home, '.claude.json')), 'never bound writable');
  for (const d of ['shell-snapshots', 'session-env', 'backups']) assert.ok(p.privateDirs?.includes(join(home, '.claude', d)), d);
  for (const ro of ['rules', 'workflows', 'scheduled_tasks.json', 'daemon.json']) assert.ok(p.readOnly.includes(join(home, '.claude', ro)), ro);
  const s = bwrapArgv('/usr/bin/bwrap', p, ['claude'], '/tmp/turn-1').join(' ');
  assert.ok(s.includes(`--bind /tmp/turn-1/swarm-private/0 ${join(home, '.claude.json')}`), s);
  assert.ok(
    s.indexOf(`--bind ${join(home, '.claude')} `) < s.indexOf(`--tmpfs ${join(home, '.claude', 'shell-snapshots')}`),
    'the private folder is mounted over the writable state folder',
  );
  // With CLAUDE_CONFIG_DIR the config file in use is there.
  const cfg = join(home, 'cfg');
  mkdirSync(cfg);
  const q = turnPolicy(
    { role: 'reviewer', cwd: root, harness: 'claude', env: { HOME: home, CLAUDE_CONFIG_DIR: cfg } },
    { root, commonDir: common, tasksDir: join(root, 'tasks') },
    settings,
    true,
  );
  assert.equal(q.privateFiles?.[0], join(cfg, '.claude.json'));
});
