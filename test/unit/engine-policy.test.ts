// The policy gate before any reviewer (hazard 9): deny globs, lines added, file size, binaries.
// Runs on real commits of a small temp repository.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { newRepo, userCommit } from '../helpers/repo';
import { checkPolicy, readChanges } from '../../src/swarm/policy';
import { parseSwarmConfig } from '../../src/swarm/config';
import { Git } from '../../src/swarm/git';

const repo = newRepo('swarm-policy-');
const base = repo.rev('main')!;
const policy = (over: Record<string, unknown> = {}) => parseSwarmConfig({ policy: over }).policy;

/** A commit on top of main with these files (content string or bytes); returns its sha. */
function change(files: Record<string, string | Buffer>): string {
  const branch = `p-${Math.random().toString(36).slice(2, 8)}`;
  repo.git('checkout', '-q', '-b', branch, base);
  for (const [f, c] of Object.entries(files)) {
    mkdirSync(dirname(join(repo.root, f)), { recursive: true });
    writeFileSync(join(repo.root, f), c);
  }
  const sha = userCommit(repo.root, 'change', ...Object.keys(files));
  repo.git('checkout', '-q', 'main');
  return sha;
}

describe('policy gate', () => {
  const git = new Git(repo.root);

  test('a plain change passes', async () => {
    const r = await checkPolicy(git, base, change({ 'src/a.ts': 'export const a = 1;\n' }), policy());
    assert.deepEqual(r.violations, []);
    assert.equal(r.linesAdded, 1);
  });

  test('default deny globs: .env files, *.pem anywhere, secrets/', async () => {
    const r = await checkPolicy(
      git,
      base,
      change({ '.env': 'A=1\n', 'config/.env.production': 'B=2\n', 'deep/dir/key.pem': 'k\n', 'secrets/token.txt': 't\n', 'ok.txt': 'ok\n' }),
      policy(),
    );
    const text = r.violations.join('\n');
    for (const f of ['.env', 'config/.env.production', 'deep/dir/key.pem', 'secrets/token.txt'])
      assert.match(text, new RegExp(`^${f.replace(/\./g, '\\.')}: matches a denied pattern`, 'm'));
    assert.doesNotMatch(text, /ok\.txt/);
  });

  test('custom deny globs replace the defaults', async () => {
    const sha = change({ 'infra/main.tf': 'x\n', '.env': 'y\n' });
    const r = await checkPolicy(git, base, sha, policy({ deny: ['infra/**'] }));
    assert.deepEqual(r.violations, ['infra/main.tf: matches a denied pattern (policy.deny)']);
  });

  test('max lines added', async () => {
    const sha = change({ 'big.txt': 'x\n'.repeat(801) });
    assert.match((await checkPolicy(git, base, sha, policy())).violations.join(), /801 lines added, more than policy.max_lines_added \(800\)/);
    assert.deepEqual((await checkPolicy(git, base, sha, policy({ max_lines_added: 1000 }))).violations, []);
  });

  test('binary files are reported unless allowed; max file size', async () => {
    const sha = change({ 'img.bin': Buffer.from([0, 1, 2, 3, 0, 255, 0, 7]), 'large.txt': 'y'.repeat(5000) });
    const r = await checkPolicy(git, base, sha, policy({ max_file_bytes: 4000 }));
    assert.deepEqual(r.binaries, ['img.bin']);
    assert.match(r.violations.join('\n'), /binary files: img\.bin \(policy\.binary is "human"\)/);
    assert.match(r.violations.join('\n'), /large\.txt: 5000 bytes, larger than policy\.max_file_bytes \(4000\)/);
    const allowed = await checkPolicy(git, base, sha, policy({ binary: 'allow' }));
    assert.deepEqual(allowed.violations, []);
  });

  test('odd file names (spaces, newlines) are matched as they are', async () => {
    const r = await checkPolicy(git, base, change({ 'secrets/with space.txt': 's\n', 'dir/new\nline.pem': 'p\n' }), policy());
    assert.equal(r.violations.length, 2, r.violations.join(' | '));
  });

  // Issue 17: one `git diff` serves the review step, the policy gate, the reviewer's patch and the
  // conflict watch. The records and the patch are cut at the first empty record.
  test('one diff: every record and the patch, hostile names and a binary file included', async () => {
    const files = { 'a.txt': 'one\n', 'diff --git a b.txt': 'y\n', 'dir/new\nline.txt': 'n\n', 'bin.dat': Buffer.from([0, 0, 1, 0, 0]) };
    const sha = change(files);
    const c = await readChanges(git, base, sha);
    assert.deepEqual(c.raw.map((r) => r.path).sort(), Object.keys(files).sort());
    assert.equal(c.numstat.length, 4, c.numstat.join(' | '));
    assert.ok(c.numstat.includes('-\t-\tbin.dat'), c.numstat.join(' | '));
    assert.equal(c.patch, repo.git('diff', '--no-renames', '--no-abbrev', '--no-ext-diff', base, sha), "the patch is git diff's");
    assert.doesNotMatch(c.patch, /\0/);
    const again = await readChanges(git, base, sha);
    assert.equal(again, c, 'asked again for the same two commits: the same answer, not a new process');
    const none = await readChanges(git, base, base);
    assert.deepEqual(none, { raw: [], numstat: [], patch: '' });
  });

  test('a rename is its source deleted and its target added, in the records and in the patch', async () => {
    const first = change({ 'old/name.txt': 'content that stays the same\n'.repeat(5) });
    repo.git('checkout', '-q', first);
    repo.git('mv', 'old/name.txt', 'new-name.txt');
    const sha = userCommit(repo.root, 'rename');
    repo.git('checkout', '-q', 'main');
    const c = await readChanges(git, first, sha);
    assert.deepEqual(c.raw.map((r) => r.path).sort(), ['new-name.txt', 'old/name.txt']);
    assert.match(c.patch, /deleted file mode/);
    assert.match(c.patch, /new file mode/);
  });
});
