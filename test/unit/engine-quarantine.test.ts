// Back from quarantine (src/swarm/quarantine.ts): a fixed file goes to pending; a file that still
// cannot be read, one outside the quarantine folder, a link, or an id another task has are refused
// with the file and the field, and every file stays where and as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskStore } from '../../src/swarm/tasks';
import { restoreQuarantined } from '../../src/swarm/quarantine';

async function store() {
  const root = mkdtempSync(join(tmpdir(), 'swarm-quarantine-'));
  const s = new TaskStore(root, 'tasks');
  await s.ensureDirs();
  return { root, s, q: join(root, 'tasks', 'quarantine') };
}
const GOOD = '---\ntitle: Fixed\npriority: 3\n---\nDo it.\n';
const BROKEN = '---\ntitle: [unclosed\n---\nbody\n';

test('a fixed quarantined file goes back to pending and its reason file goes away', async () => {
  const { root, s, q } = await store();
  writeFileSync(join(q, 'fixed.md'), GOOD);
  writeFileSync(join(q, 'fixed.md.reason.txt'), 'frontmatter: not valid YAML\n');
  const task = await restoreQuarantined(s, join(q, 'fixed.md'));
  assert.equal(task.id, 'fixed');
  assert.equal(task.folder, 'pending');
  assert.equal(readFileSync(join(root, 'tasks', 'pending', 'fixed.md'), 'utf8'), GOOD);
  assert.ok(!existsSync(join(q, 'fixed.md')) && !existsSync(join(q, 'fixed.md.reason.txt')));
  assert.deepEqual((await s.list()).quarantined, []);
});

test('hostile or unfixed: refused with the file and field, nothing moved', async () => {
  const { root, s, q } = await store();
  writeFileSync(join(q, 'still.md'), BROKEN);
  writeFileSync(join(q, 'still.md.reason.txt'), 'frontmatter: not valid YAML\n');
  await assert.rejects(restoreQuarantined(s, join(q, 'still.md')), /still\.md: frontmatter: not valid YAML/);
  assert.equal(readFileSync(join(q, 'still.md'), 'utf8'), BROKEN);
  assert.ok(existsSync(join(q, 'still.md.reason.txt')));

  // Outside the quarantine folder (a path that climbs out, a file elsewhere).
  writeFileSync(join(root, 'outside.md'), GOOD);
  await assert.rejects(restoreQuarantined(s, join(q, '..', '..', 'outside.md')), /only a \.md file in .*quarantine/);
  await assert.rejects(restoreQuarantined(s, join(q, 'still.md.reason.txt')), /only a \.md file/);
  assert.ok(existsSync(join(root, 'outside.md')));

  // A link to a file elsewhere (a secret) is never read or moved.
  mkdirSync(join(root, 'secret'));
  writeFileSync(join(root, 'secret', 'key.md'), GOOD);
  symlinkSync(join(root, 'secret', 'key.md'), join(q, 'link.md'));
  await assert.rejects(restoreQuarantined(s, join(q, 'link.md')), /symbolic link/);
  assert.ok(!existsSync(join(root, 'tasks', 'pending', 'link.md')));

  // An id another task has: refused, both files kept.
  writeFileSync(join(root, 'tasks', 'complete', 'dup.md'), '---\ntitle: Done\n---\nx\n');
  writeFileSync(join(q, 'dup.md'), GOOD);
  await assert.rejects(restoreQuarantined(s, join(q, 'dup.md')), /a task "dup" already exists in complete\//);
  assert.equal(readFileSync(join(q, 'dup.md'), 'utf8'), GOOD);
  assert.ok(!existsSync(join(root, 'tasks', 'pending', 'dup.md')));
});
