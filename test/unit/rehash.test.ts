// rehash.ts: the directories on a change's paths, and the parse of `git cat-file --batch -z` output
// (real git) kept in step with the names asked, a missing path holding spaces included.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { badPathTrees, blobDiff, parseRehash, treesOnPaths } from '../../src/swarm/rehash';

test('blobDiff: every directory on every path, a blob at two paths included', () => {
  const d = blobDiff([
    ['a'.repeat(40), 'lib2/x.txt'],
    ['a'.repeat(40), 'other/deep/x.txt'],
    ['b'.repeat(40), 'top.txt'],
  ]);
  assert.deepEqual([...d.dirs].sort(), ['lib2', 'other', 'other/deep']);
  assert.deepEqual(treesOnPaths('t'.repeat(40), d).sort(), [`${'t'.repeat(40)}:lib2`, `${'t'.repeat(40)}:other`, `${'t'.repeat(40)}:other/deep`]);
});

test('parseRehash: names kept in step through a missing path with spaces; a swapped tree named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rehash-'));
  try {
    const git = (args: string[], input?: string) =>
      execFileSync('git', args, {
        cwd: dir,
        input,
        env: { ...process.env, GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@b', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@b' },
      });
    git(['init', '-q']);
    mkdirSync(join(dir, 'a b'));
    writeFileSync(join(dir, 'a b', 'c'), 'x\n');
    git(['add', '.']);
    git(['commit', '-qm', 'x']);
    const tree = git(['rev-parse', 'HEAD^{tree}']).toString().trim();
    const names = [`${tree}:no such dir`, `${tree}:a b`, tree];
    const out = git(['cat-file', '--batch', '-z'], `${names.join('\0')}\0`);
    const objects = parseRehash(out, names);
    assert.deepEqual(
      objects.map((o) => [o.name, o.type, o.matches]),
      [
        [names[0], 'missing', false],
        [names[1], 'tree', true],
        [tree, 'tree', true],
      ],
    );
    assert.deepEqual(badPathTrees(objects), ['no such dir/ (missing)']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
