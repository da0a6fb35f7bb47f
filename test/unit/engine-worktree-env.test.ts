// Issue 14 items 3-4, the pure parts: `files` in task frontmatter (validated, named errors), glob
// overlap and the scheduler's order, port ranges (disjoint, stable), the `worktree` config block.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTask } from '../../src/swarm/taskFile';
import { TaskFileError, ConfigError } from '../../src/swarm/errors';
import { globsOverlap, overlapWith, schedule } from '../../src/swarm/schedule';
import { PortAllocator, type PortRange } from '../../src/swarm/ports';
import { parseSwarmConfig } from '../../src/swarm/config';
import { parseIncludeFile } from '../../src/swarm/worktreeEnv';
import type { Task } from '../../src/swarm/types';

const parse = (text: string, name = 't.md') => parseTask(text, `/repo/tasks/pending/${name}`, 'pending');

function refused(files: string, field: string, why: RegExp): void {
  assert.throws(
    () => parse(`---\nfiles: ${files}\n---\nbody\n`),
    (e: unknown) => {
      assert.ok(e instanceof TaskFileError, String(e));
      assert.equal(e.field, field);
      assert.match(e.message, /^t\.md: /, 'the file is named');
      assert.match(e.message, why);
      return true;
    },
  );
}

test('task `files`: globs relative to the repository; bad entries named by index', () => {
  assert.deepEqual(parse('---\nfiles: [src/**/*.ts, README.md]\n---\nx\n').files, ['src/**/*.ts', 'README.md']);
  refused('{a: 1}', 'files', /expected a list of paths or globs.*found a mapping/);
  refused('[src/a.ts, 3]', 'files[1]', /found 3/);
  refused('[""]', 'files[0]', /empty/);
  refused('[/etc/passwd]', 'files[0]', /relative to the repository root.*absolute/);
  refused('[src/../../x]', 'files[0]', /inside the repository/);
  refused(`[${Array.from({ length: 201 }, (_, i) => `f${i}`).join(', ')}]`, 'files', /at most 200/);
});

test('glob overlap: path in glob, glob in glob by fixed prefix, disjoint folders', () => {
  assert.ok(globsOverlap('src/**', 'src/a/b.ts'));
  assert.ok(globsOverlap('src/a/b.ts', 'src/**/*.ts'));
  assert.ok(globsOverlap('./shared.txt', 'shared.txt'));
  assert.ok(globsOverlap('src/**/*.ts', 'src/api/*.ts'), 'prefix src inside src/api');
  assert.ok(globsOverlap('**/*.md', 'docs/x/*.txt'), 'an unanchored glob overlaps everything (conservative)');
  assert.ok(globsOverlap('.env*', '.env.local'), 'dot files match');
  assert.ok(!globsOverlap('src/**', 'docs/**'));
  assert.ok(!globsOverlap('src/a.ts', 'src/b.ts'));
  assert.ok(!globsOverlap('src/*.ts', 'src/a.md'));
  assert.deepEqual(overlapWith(['src/**'], { id: 'x', declared: ['docs/**'], changed: ['src/q.ts', 'lib/z.ts'], active: true }), {
    with: 'x',
    files: ['src/q.ts'],
  });
  assert.equal(overlapWith([], { id: 'x', declared: ['**'], changed: ['a'], active: true }), undefined, 'a task declaring nothing is never held');
});

const task = (id: string, files?: string[]): Task => ({
  id,
  title: id,
  folder: 'pending',
  status: 'pending',
  file: `/t/${id}.md`,
  body: '',
  priority: 50,
  dependsOn: [],
  files,
  meta: {},
});

test('schedule: overlapping a task being driven → held; overlapping only waiting tasks → after the clear ones; nothing in flight → all', () => {
  const a = task('a', ['shared.txt']);
  const b = task('b', ['src/**']);
  const c = task('c');
  const d = task('d', ['docs/x.md']);
  const s = schedule(
    [a, b, c, d],
    [
      { id: 'x', declared: ['shared.txt'], changed: [], active: true },
      { id: 'y', declared: [], changed: ['src/y.ts'], active: false },
    ],
  );
  assert.deepEqual(
    s.order.map((t) => t.id),
    ['c', 'd', 'b'],
    'b overlaps only a waiting task: last; c and d first',
  );
  assert.deepEqual(
    s.held.map((h) => [h.task.id, h.overlap.with, h.overlap.files]),
    [['a', 'x', ['shared.txt']]],
  );
  // Never a deadlock: what it overlaps waits (for you, for a worker), so it runs.
  assert.deepEqual(
    schedule([a], [{ id: 'x', declared: ['shared.txt'], changed: [], active: false }]).order.map((t) => t.id),
    ['a'],
  );
  assert.deepEqual(
    schedule([a, b], []).order.map((t) => t.id),
    ['a', 'b'],
  );
});

test('ports: 8 worktrees get disjoint ranges from the base; a task keeps its range; a taken range is replaced; exhaustion is named', async () => {
  const live: { id: string; ports?: PortRange }[] = [];
  const alloc = new PortAllocator({ portBase: 4100, portCount: 10 }, async () => live);
  const got: PortRange[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async (_, i) => {
      live.push({ id: `t${i}` });
      got[i] = await alloc.ensure(`t${i}`);
    }),
  );
  const firsts = got.map((r) => r.first).sort((x, y) => x - y);
  assert.deepEqual(firsts, [4100, 4110, 4120, 4130, 4140, 4150, 4160, 4170]);
  for (const r of got) assert.equal(r.count, 10);
  // The same task again (a fix round): the same range.
  assert.deepEqual(await alloc.ensure('t3', got[3]), got[3]);
  // A range in a task's state that another live worktree now holds is not reused.
  const other = new PortAllocator({ portBase: 4100, portCount: 10 }, async () => [{ id: 'a', ports: { first: 4100, count: 10 } }, { id: 'b' }]);
  assert.deepEqual(await other.ensure('b', { first: 4105, count: 10 }), { first: 4110, count: 10 });
  // A scratch checkout reserves a range until released.
  const scratch = await other.reserve('merge-check');
  assert.notEqual(scratch.first, 4100);
  const small = new PortAllocator({ portBase: 65530, portCount: 5 }, async () => [{ id: 'a', ports: { first: 65530, count: 5 } }, { id: 'b' }]);
  await assert.rejects(small.ensure('b'), /no free range of 5 ports from 65530/);
});

test('config `worktree`: defaults, and each bad field named', () => {
  assert.deepEqual(parseSwarmConfig({}).worktree, { include: [], portBase: 4100, portCount: 10 });
  assert.deepEqual(parseSwarmConfig({ worktree: { include: ['.env', 'node_modules/'], port_base: 5000, port_count: 4 } }).worktree, {
    include: ['.env', 'node_modules/'],
    portBase: 5000,
    portCount: 4,
  });
  const fields = (raw: unknown) => {
    try {
      parseSwarmConfig(raw);
      return [];
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.issues.map((i) => `${i.field}: ${i.message}`);
    }
  };
  assert.match(fields({ worktree: { port_base: 80 } }).join('\n'), /worktree\.port_base: .*at least 1024/);
  assert.match(fields({ worktree: { port_base: 65530, port_count: 10 } }).join('\n'), /worktree\.port_count: .*65536/);
  assert.match(fields({ worktree: { include: ['../outside'] } }).join('\n'), /worktree\.include\[0\]: .*no "\.\."/);
  assert.match(fields({ worktree: { inclde: [] } }).join('\n'), /worktree\.inclde: unknown field/);
});

test('.worktreeinclude: gitignore lines, comments and blank lines dropped', () => {
  assert.deepEqual(parseIncludeFile('# deps\nnode_modules/\r\n\n.env\n!.env.example\n'), ['node_modules/', '.env', '!.env.example']);
});
