// Task files are data (hazard 13): YAML frontmatter only (a `---js` block is refused, never run),
// validated ids, depends_on, priority, a size cap; rendering keeps the body.

import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { TaskStore } from '../../src/swarm/tasks';
import { parseTask, renderTask, byPriority, TASK_ID_RE, MAX_TASK_BYTES } from '../../src/swarm/taskFile';
import { TaskFileError } from '../../src/swarm/errors';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const parse = (text: string, name = 'my-task.md', folder: 'pending' | 'current' | 'complete' = 'pending') =>
  parseTask(text, `/r/tasks/${folder}/${name}`, folder);
function refused(text: string, name: string | undefined, field: string, why: RegExp): void {
  assert.throws(
    () => parse(text, name),
    (e: unknown) => {
      assert.ok(e instanceof TaskFileError, String(e));
      assert.equal(e.field, field);
      assert.match(e.message, why);
      return true;
    },
  );
}

describe('parseTask', () => {
  test('a full task: frontmatter fields, body, defaults', () => {
    const t = parse(
      '---\ntitle: Add a thing\npriority: 3\ndepends_on: [base-task, other.task]\nagent: codex\nmodel: gpt-5.5\nfiles: [src/a.ts]\n---\n\nDo the thing.\n\n## Acceptance criteria\n- done\n',
    );
    assert.equal(t.id, 'my-task');
    assert.equal(t.title, 'Add a thing');
    assert.equal(t.priority, 3);
    assert.deepEqual(t.dependsOn, ['base-task', 'other.task']);
    assert.equal(t.agent, 'codex');
    assert.equal(t.model, 'gpt-5.5');
    assert.deepEqual(t.files, ['src/a.ts']);
    assert.equal(t.body, 'Do the thing.\n\n## Acceptance criteria\n- done\n');
    assert.equal(t.status, 'pending');
    assert.equal(t.folder, 'pending');
  });

  test('title from the first heading, else the id; priority 50 by default; depends_on may be one id', () => {
    const a = parse('---\ndepends_on: first\n---\n# Heading title\ntext\n');
    assert.equal(a.title, 'Heading title');
    assert.deepEqual(a.dependsOn, ['first']);
    assert.equal(a.priority, 50);
    assert.equal(parse('no frontmatter at all\n').title, 'my-task');
  });

  test('status comes from the frontmatter only in current/; complete/ is complete', () => {
    assert.equal(parse('---\nstatus: blocked\nquestion: Why?\n---\nx', 'a.md', 'current').status, 'blocked');
    assert.equal(parse('---\nstatus: blocked\n---\nx', 'a.md', 'pending').status, 'pending');
    assert.equal(parse('---\ntitle: x\n---\nx', 'a.md', 'current').status, 'running');
    assert.equal(parse('---\ntitle: x\ncompleted_by: w1\nreview_rounds: 2\nmerged_commit: abc\n---\nx', 'a.md', 'complete').status, 'complete');
    assert.equal(parse('---\nstatus: exploded\n---\n').status, 'pending', 'a status in pending/ is ignored');
    assert.throws(() => parse('---\nstatus: exploded\n---\n', 'a.md', 'current'), /status: expected one of/);
  });

  test('a ---js (or coffee) frontmatter is refused and never evaluated', () => {
    const g = globalThis as { __swarmPwned?: boolean };
    refused('---js\n{ title: (globalThis.__swarmPwned = true, "x") }\n---\nbody\n', undefined, 'frontmatter', /not allowed \(YAML only\)/);
    refused('---javascript\nmodule.exports = { title: (globalThis.__swarmPwned = true, "x") }\n---\nbody\n', undefined, 'frontmatter', /not allowed/);
    refused('---coffee\ntitle: "x"\n---\nbody\n', undefined, 'frontmatter', /not allowed/);
    assert.equal(g.__swarmPwned, undefined);
  });

  test('ids: the file name must be a valid id; a frontmatter id must match it', () => {
    for (const bad of ['Upper.md', '-dash.md', '.hidden.md', 'sp ace.md', `${'a'.repeat(65)}.md`, 'ünï.md'])
      refused('---\ntitle: x\n---\n', bad, 'id', /must be a task id/);
    for (const bad of ['a..b.md', 'x.lock.md', 'dot..md']) refused('---\ntitle: x\n---\n', bad, 'id', /cannot name a git branch/);
    refused('---\nid: other\n---\n', 'mine.md', 'id', /differs from the file name "mine"/);
    assert.equal(parse('---\nid: mine\n---\n', 'mine.md').id, 'mine');
    for (const ok of ['a', '0-start', 'a.b_c-d', 'x'.repeat(64)]) assert.ok(TASK_ID_RE.test(ok), ok);
  });

  test('bad field types are named', () => {
    refused('---\ntitle: [1, 2]\n---\n', undefined, 'title', /expected text/);
    refused('---\npriority: high\n---\n', undefined, 'priority', /expected a number, found "high"/);
    refused('---\ndepends_on: [Bad Id]\n---\n', undefined, 'depends_on', /task id/);
    refused('---\ndepends_on: {a: 1}\n---\n', undefined, 'depends_on', /task id/);
    refused('---\nfiles: src/a.ts\n---\n', undefined, 'files', /list of paths/);
    refused('---\nagent: [x]\n---\n', undefined, 'agent', /expected text/);
    refused('---\n- a\n- b\n---\n', undefined, 'frontmatter', /mapping/);
    refused('---\ntitle: "unclosed\n---\n', undefined, 'frontmatter', /not valid YAML/);
  });

  test('YAML aliases (a 500-byte "billion laughs" file) are refused quickly; a repeated scalar is fine', () => {
    const lines = ['---', 'title: lol', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const started = Date.now();
    refused([...lines, '---', 'body'].join('\n'), undefined, 'frontmatter', /anchors and aliases/);
    assert.ok(Date.now() - started < 1000);
    assert.equal(parse('---\ntitle: &t Same\nsummary: *t\n---\n').meta.summary, 'Same');
    refused(`---\n${'n: '.repeat(1)}${'['.repeat(40)}${']'.repeat(40)}\n---\n`, undefined, 'frontmatter', /nested too deeply/);
  });

  test('size cap', () => {
    refused(`---\ntitle: big\n---\n${'x'.repeat(MAX_TASK_BYTES)}`, undefined, '(file)', /larger than/);
    assert.equal(parse(`---\ntitle: ok\n---\n${'x'.repeat(1000)}`).title, 'ok');
  });

  test('renderTask drops undefined keys and round-trips', () => {
    const text = renderTask({ title: 'T', priority: 2, status: undefined, depends_on: ['a'] }, 'Body text');
    assert.doesNotMatch(text, /status/);
    const t = parse(text);
    assert.equal(t.title, 'T');
    assert.deepEqual(t.dependsOn, ['a']);
    assert.equal(t.body, 'Body text\n');
  });

  test('claim order: lower priority first, then id', () => {
    const ts = ['c', 'a', 'b'].map((id, i) => parseTask(`---\npriority: ${i === 0 ? 1 : 5}\n---\n`, `/r/tasks/pending/${id}.md`, 'pending'));
    assert.deepEqual(
      ts.sort(byPriority).map((t) => t.id),
      ['c', 'a', 'b'],
    );
  });
});

describe('TaskStore', () => {
  test('list sorts pending by priority and reports unparsable files; quarantine moves without overwriting', async () => {
    const root = mkdtempSync(join(tmpdir(), 'swarm-tasks-'));
    dirs.push(root);
    const s = new TaskStore(root, 'tasks');
    await s.ensureDirs();
    await s.create('low', { title: 'low', priority: 9 }, 'x');
    await s.create('high', { title: 'high', priority: 1 }, 'x');
    await assert.rejects(s.create('high', { title: 'again' }, 'x'), /already exists/);
    await assert.rejects(s.create('Bad', { title: 'bad' }, 'x'), /must match/);
    writeFileSync(join(root, 'tasks', 'pending', 'broken.md'), '---\npriority: x\n---\n');
    const l = await s.list();
    assert.deepEqual(
      l.pending.map((t) => t.id),
      ['high', 'low'],
    );
    assert.equal(l.unparsable.length, 1);
    assert.match(l.unparsable[0].reason, /priority/);
    const q = await s.quarantine(l.unparsable[0].file, l.unparsable[0].reason);
    assert.equal(q, join(root, 'tasks', 'quarantine', 'broken.md'));
    assert.equal(readFileSync(q!, 'utf8'), '---\npriority: x\n---\n');
    assert.match(readFileSync(`${q}.reason.txt`, 'utf8'), /priority/);
    assert.ok(!existsSync(join(root, 'tasks', 'pending', 'broken.md')));
    // move never overwrites
    const claimed = await s.claim('low', { claimed_by: 'w1' });
    assert.equal(claimed?.claimedBy, 'w1');
    assert.equal(await s.claim('low', { claimed_by: 'w2' }), undefined, 'a claimed task cannot be claimed again');
    await s.create('low-2', { title: 'x' }, 'x');
    writeFileSync(join(root, 'tasks', 'complete', 'low.md'), '---\ntitle: an older low\n---\n');
    await assert.rejects(s.move('low', 'current', 'complete'), /already exists/);
    assert.ok(existsSync(join(root, 'tasks', 'current', 'low.md')), 'the source stays when the move is refused');
    assert.equal(readFileSync(join(root, 'tasks', 'complete', 'low.md'), 'utf8'), '---\ntitle: an older low\n---\n');
  });
});
