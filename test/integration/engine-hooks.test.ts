// Hazard 11, the swarm's own side: a repository with a tracked, relative core.hooksPath (husky's
// .husky) hands hook scripts to every worktree. The swarm's own git commands there — worktree add,
// committing what the agent left, the fast-forward of the user's checkout — run no hook at all, so
// no script an agent could have written runs under the swarm or in the user's checkout.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newRepo, runSwarm, userCommit } from '../helpers/repo';

test('tracked relative core.hooksPath: no hook runs during worktree add, the swarm commit or the merge', async () => {
  const repo = newRepo();
  const marker = join(repo.home, 'hook-ran');
  for (const hook of ['post-checkout', 'pre-commit', 'commit-msg', 'post-commit', 'post-merge', 'reference-transaction']) {
    chmodSync(repo.write(`.husky/${hook}`, `#!/bin/sh\necho "${hook}" >> '${marker}'\n`), 0o755);
  }
  userCommit(repo.root, 'husky hooks', '.husky');
  repo.git('config', 'core.hooksPath', '.husky');
  // Proof the hooks are live for ordinary git commands in this repository.
  repo.git('checkout', '-q', '-b', 'probe');
  repo.git('checkout', '-q', 'main');
  assert.ok(existsSync(marker), 'the probe checkout ran post-checkout');
  repo.git('branch', '-q', '-D', 'probe');
  const before = readFileSync(marker, 'utf8');

  repo.writeConfig();
  // The agent leaves its change uncommitted, so the swarm commits it.
  repo.writeTask('hooked', { agent: { files: { 'h.txt': 'h\n' } } });
  const { summary } = await runSwarm(repo.root);
  assert.deepEqual(summary.merged, ['hooked']);
  assert.equal(repo.show('main', 'h.txt'), 'h\n');
  assert.equal(readFileSync(marker, 'utf8'), before, `no hook ran during the swarm; marker has:\n${readFileSync(marker, 'utf8')}`);
});
