// Issue 12 rule 4: agent programs are resolved from the user's environment only, never from the
// repository or a worktree (relative PATH entries, absolute entries inside them, symlinks to them).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { absolutePathEntries, resolveProgram } from '../../src/swarm/harness/resolve';
import { runAgentProcess } from '../../src/swarm/proc';

const home = mkdtempSync(join(tmpdir(), 'swarm-resolve-'));
after(() => rmSync(home, { recursive: true, force: true }));
const repo = join(home, 'repo');
const wt = join(repo, '.swarm', 'worktrees', 't1');
const userBin = join(home, 'user-bin');
const exe = (dir: string, name = 'agent') => {
  mkdirSync(dir, { recursive: true });
  const f = join(dir, name);
  writeFileSync(f, '#!/bin/sh\necho from ' + dir + '\n');
  chmodSync(f, 0o755);
  return f;
};
const fake = exe(join(wt, 'node_modules', '.bin'));
const inRepo = exe(join(repo, 'bin'));
const real = exe(userBin);
symlinkSync(join(repo, 'bin'), join(home, 'link-to-repo-bin'));
const trust = { base: repo, untrusted: [repo, wt] };

test('relative and empty PATH entries are never searched', () => {
  assert.equal(resolveProgram('agent', ['node_modules/.bin', '.', '', 'bin', userBin].join(':'), trust), real);
  assert.deepEqual(absolutePathEntries(`node_modules/.bin:.::bin:${userBin}`), [userBin]);
});

test('absolute entries inside the repository or a worktree, or linked into it, are skipped', () => {
  assert.equal(resolveProgram('agent', [join(wt, 'node_modules', '.bin'), join(repo, 'bin'), join(home, 'link-to-repo-bin'), userBin].join(':'), trust), real);
  assert.equal(resolveProgram('agent', [join(wt, 'node_modules', '.bin'), join(repo, 'bin')].join(':'), trust), undefined);
  assert.ok(fake && inRepo);
});

test("a path the user configured is used as given; a relative one is the repository root's", () => {
  assert.equal(resolveProgram(fake, '', trust), fake, 'an explicit absolute path, even inside the repository');
  assert.equal(resolveProgram('bin/agent', '', trust), inRepo, 'relative: from the repository root, not the cwd');
});

test('runAgentProcess with trust: a program found only in the worktree is "not found" (ENOENT), never run', async () => {
  const r = await runAgentProcess({ argv: ['agent'], cwd: wt, env: { PATH: 'node_modules/.bin' }, timeoutMs: 10_000, trust });
  assert.equal(r.spawnError?.code, 'ENOENT');
  assert.match(r.spawnError!.message, /relative PATH entries/);
  const ok = await runAgentProcess({ argv: ['agent'], cwd: wt, env: { PATH: `node_modules/.bin:${userBin}` }, timeoutMs: 10_000, trust });
  assert.equal(ok.stdoutTail.trim(), `from ${userBin}`);
});
