// The git commands' environment is copied from process.env at most once a second (issue 17: the
// copy per command blocked the extension host). The variables that pick which git runs and which
// config it reads must still take effect on the very next command, and the dropped ones stay dropped.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execFileSync } from 'node:child_process';
import { Git } from '../../src/swarm/git';

const dir = mkdtempSync(join(tmpdir(), 'swarm-git-env-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const repo = join(dir, 'repo');
execFileSync('git', ['init', '-q', '-b', 'main', repo]);
const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();

test('a PATH or global config set in the process is used by the next git command (no stale copy)', async () => {
  const git = new Git(repo);
  await git.exec(['status', '--porcelain']); // fills the copy
  const bin = join(dir, 'bin');
  execFileSync('mkdir', ['-p', bin]);
  const log = join(dir, 'argv.log');
  writeFileSync(join(bin, 'git'), `#!/bin/sh\necho "$*" >> ${JSON.stringify(log)}\nexec ${JSON.stringify(realGit)} "$@"\n`);
  chmodSync(join(bin, 'git'), 0o755);
  const oldPath = process.env.PATH;
  const oldGlobal = process.env.GIT_CONFIG_GLOBAL;
  const cfg = join(dir, 'global.gitconfig');
  writeFileSync(cfg, '[swarmtest]\n\tmarker = from-global\n');
  try {
    process.env.PATH = `${bin}:${oldPath}`;
    process.env.GIT_CONFIG_GLOBAL = cfg;
    const out = await git.exec(['config', 'swarmtest.marker']);
    assert.equal(out.trim(), 'from-global', 'the new GIT_CONFIG_GLOBAL was in effect at once');
    assert.ok(existsSync(log) && /config swarmtest\.marker/.test(readFileSync(log, 'utf8')), 'the git first on the new PATH ran');
  } finally {
    process.env.PATH = oldPath;
    if (oldGlobal === undefined) delete process.env.GIT_CONFIG_GLOBAL;
    else process.env.GIT_CONFIG_GLOBAL = oldGlobal;
  }
});

test("GIT_DIR and GIT_CONFIG_PARAMETERS set in the process never reach the swarm's git, copied or not", async () => {
  const git = new Git(repo);
  await git.exec(['status', '--porcelain']);
  process.env.GIT_DIR = join(dir, 'elsewhere');
  process.env.GIT_CONFIG_PARAMETERS = "'core.fsmonitor'='sh -c evil'";
  try {
    for (let i = 0; i < 2; i++) {
      assert.equal((await git.exec(['rev-parse', '--absolute-git-dir'])).trim(), join(repo, '.git'));
      assert.equal((await git.tryExec(['config', 'core.fsmonitor'])).stdout.trim(), 'false');
      await new Promise((r) => setTimeout(r, 1100)); // and after the copy is taken again
    }
  } finally {
    delete process.env.GIT_DIR;
    delete process.env.GIT_CONFIG_PARAMETERS;
  }
});
