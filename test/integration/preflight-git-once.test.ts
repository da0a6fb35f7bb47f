// The preflight's `git --version` (src/swarm/preflight.ts gitProblem): asked once per PATH and
// process when git passes — every Start in the extension host ran it, and each process started
// there blocks the host's event loop while node forks it (issue 17 item 3). A git that is missing
// or too old is asked again at the next start: the user may have installed one meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitProblem } from '../../src/swarm/preflight';

/** A PATH folder whose `git --version` says `version` and counts its calls in `calls`. */
function fakeGit(version: string | undefined): { dir: string; calls: () => number } {
  const dir = mkdtempSync(join(tmpdir(), 'swarm-git-once-'));
  const log = join(dir, 'calls');
  if (version) {
    writeFileSync(join(dir, 'git'), `#!/bin/sh\necho "$*" >> '${log}'\necho "git version ${version}"\n`);
    chmodSync(join(dir, 'git'), 0o755);
  }
  return { dir, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0) };
}

test('a git that passes is asked once per PATH; another PATH is asked again', async (t) => {
  const a = fakeGit('2.45.1');
  const b = fakeGit('2.44.0');
  t.after(() => [a, b].forEach((g) => rmSync(g.dir, { recursive: true, force: true })));
  assert.equal(await gitProblem({ PATH: a.dir }), undefined);
  assert.equal(await gitProblem({ PATH: a.dir }), undefined);
  assert.equal(await gitProblem({ PATH: a.dir }), undefined);
  assert.equal(a.calls(), 1, 'one git --version for three starts');
  assert.equal(await gitProblem({ PATH: b.dir }), undefined);
  assert.equal(b.calls(), 1, 'a different PATH is its own question');
});

test('a git too old, or none, is asked again at every start, and a git installed meanwhile passes', async (t) => {
  const old = fakeGit('2.20.0');
  const none = fakeGit(undefined);
  t.after(() => [old, none].forEach((g) => rmSync(g.dir, { recursive: true, force: true })));
  assert.match((await gitProblem({ PATH: old.dir }))?.what ?? '', /git 2\.20\.0 is too old/);
  assert.match((await gitProblem({ PATH: old.dir }))?.what ?? '', /too old/);
  assert.equal(old.calls(), 2, 'a failing answer is not kept');
  assert.match((await gitProblem({ PATH: none.dir }))?.what ?? '', /git could not be run/);
  // Installed now, same PATH: it passes (the failure was not kept).
  writeFileSync(join(none.dir, 'git'), `#!/bin/sh\necho "git version 2.45.0"\n`);
  chmodSync(join(none.dir, 'git'), 0o755);
  assert.equal(await gitProblem({ PATH: none.dir }), undefined);
});
