// Review integrity (issue 12), at the engine's module boundaries, with real git: what a hostile
// agent can put in the shared repository (config that runs code, .gitattributes, replace refs,
// names that are object-prototype keys, file names in odd case) must not steer the swarm's git.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { newRepo, TestRepo, userCommit, git } from '../helpers/repo';
import { Git } from '../../src/swarm/git';
import { MergeQueue } from '../../src/swarm/merge';
import { WorktreeManager } from '../../src/swarm/worktrees';
import { checkPolicy, mergesWithoutReview } from '../../src/swarm/policy';
import { symlinkSync } from 'node:fs';
import { parseSwarmConfig } from '../../src/swarm/config';
import { createHarness } from '../../src/swarm/harness';
import type { HarnessContext } from '../../src/swarm/harness/context';
import { fillPrompt } from '../../src/swarm/prompts';

/** A program that leaves `marker` behind when run (and passes stdin through, as a filter would). */
function markerProgram(repo: TestRepo, name: string): { program: string; marker: string } {
  const marker = join(repo.home, `${name}.ran`);
  const program = join(repo.home, `${name}.sh`);
  writeFileSync(program, `#!/bin/sh\ntouch '${marker}'\ncat\n`);
  chmodSync(program, 0o755);
  return { program, marker };
}

describe("rule 3: the swarm's git runs no code from config or attributes and sees no replaced objects", () => {
  test("an fsmonitor hook set in the repository config does not run on the swarm's status", async () => {
    const repo = newRepo();
    const { program, marker } = markerProgram(repo, 'fsmonitor');
    repo.git('config', 'core.fsmonitor', program);
    repo.write('untracked.txt', 'x\n');
    const lines = await new Git(repo.root).status(repo.root);
    assert.ok(lines.some((l) => l.includes('untracked.txt')));
    assert.equal(existsSync(marker), false, 'the fsmonitor hook ran');
  });

  test("a clean filter named by an agent's .gitattributes does not run when the swarm commits its work", async () => {
    const repo = newRepo();
    const { program, marker } = markerProgram(repo, 'filter');
    repo.git('config', 'filter.evil.clean', program);
    repo.git('config', 'filter.evil.smudge', program);
    repo.git('config', 'filter.evil.required', 'true');
    const g = new Git(repo.root);
    await g.identity();
    const wts = new WorktreeManager(g, repo.root, '.swarm/worktrees');
    const wt = await wts.ensure('t1', 'swarm/w1/t1', repo.rev('main')!);
    writeFileSync(join(wt.path, '.gitattributes'), '* filter=evil\n');
    writeFileSync(join(wt.path, 'a.txt'), 'exact bytes\n');
    const head = await wts.commitAll(wt.path, 'agent work');
    assert.equal(existsSync(marker), false, 'the clean filter ran');
    assert.equal(repo.show(head, 'a.txt'), 'exact bytes\n');
  });

  test('external diff and textconv drivers do not run when the swarm reads a diff', async () => {
    const repo = newRepo();
    const ext = markerProgram(repo, 'external');
    const conv = markerProgram(repo, 'textconv');
    repo.git('config', 'diff.external', ext.program);
    repo.git('config', 'diff.evil.textconv', conv.program);
    repo.write('.gitattributes', '*.txt diff=evil\n');
    const a = userCommit(repo.root, 'attributes');
    repo.write('shared.txt', 'changed\n');
    const b = userCommit(repo.root, 'change');
    const g = new Git(repo.root);
    await g.identity();
    const diff = await g.exec(['diff', a, b]);
    await g.exec(['diff', '--numstat', a, b]);
    await g.exec(['show', b]);
    assert.match(diff, /\+changed/);
    assert.equal(existsSync(ext.marker), false, 'diff.external ran');
    assert.equal(existsSync(conv.marker), false, 'the textconv driver ran');
  });

  test("a merge driver does not run in the merge queue, and a checkout filter does not run in the user's checkout", async () => {
    const repo = newRepo();
    const drv = markerProgram(repo, 'driver');
    const smudge = markerProgram(repo, 'smudge');
    repo.git('config', 'merge.evil.driver', `${drv.program} %O %A %B`);
    repo.git('config', 'filter.evil.smudge', smudge.program);
    repo.write('.gitattributes', 'shared.txt merge=evil\n*.bin filter=evil\n');
    const base = userCommit(repo.root, 'attributes');
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write('shared.txt', 'line 1\nline 2\nline 3 changed\n');
    repo.write('new.bin', 'data\n');
    const sha = userCommit(repo.root, 'feature');
    repo.git('checkout', '-q', 'main');
    repo.write('shared.txt', 'line 1 changed\nline 2\nline 3\n');
    userCommit(repo.root, 'main moves');
    assert.ok(base);
    const g = new Git(repo.root);
    await g.identity();
    const out = await new MergeQueue(g, 'main').merge({ taskId: 't', title: 't', sha });
    assert.equal(existsSync(drv.marker), false, 'the merge driver ran');
    assert.equal(existsSync(smudge.marker), false, "the smudge filter ran in the user's checkout");
    assert.ok(out.kind === 'merged' || out.kind === 'conflict', JSON.stringify(out));
  });

  test("a replace ref cannot make the swarm see or merge other content than the commit's own", async () => {
    const repo = newRepo();
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write('f.txt', 'REAL content\n');
    const real = userCommit(repo.root, 'real');
    repo.git('checkout', '-q', '--detach', 'main');
    repo.write('f.txt', 'FAKE content\n');
    const fake = userCommit(repo.root, 'fake');
    repo.git('checkout', '-q', 'main');
    repo.git('replace', real, fake);
    assert.equal(git(repo.root, 'show', `${real}:f.txt`), 'FAKE content\n', 'the replace ref is in effect for plain git');
    const g = new Git(repo.root);
    await g.identity();
    assert.equal(await g.showFile(real, 'f.txt'), 'REAL content\n');
    const tree = (await g.exec(['rev-parse', `${real}^{tree}`])).trim();
    const out = await new MergeQueue(g, 'main').merge({ taskId: 't', title: 't', sha: real, tree });
    assert.equal(out.kind, 'merged', JSON.stringify(out));
    repo.git('replace', '-d', real);
    assert.equal(repo.show('main', 'f.txt'), 'REAL content\n');
  });

  test('the merge queue refuses a commit whose tree is not the reviewed tree', async () => {
    const repo = newRepo();
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write('f.txt', 'reviewed\n');
    const sha = userCommit(repo.root, 'reviewed');
    repo.git('checkout', '-q', 'main');
    const before = repo.rev('main');
    const other = repo.git('rev-parse', 'main^{tree}').trim();
    const out = await new MergeQueue(new Git(repo.root), 'main').merge({ taskId: 't', title: 't', sha, tree: other });
    assert.equal(out.kind, 'error');
    assert.match((out as { message: string }).message, /not the tree that was reviewed/);
    assert.equal(repo.rev('main'), before);
  });
});

describe('rule 7: which changes merge without review', () => {
  test('only changes whose every path (rename sources too) is a file inside tasks/ and that pass the policy gate', async () => {
    const repo = newRepo();
    const g = new Git(repo.root);
    const config = parseSwarmConfig({});
    const base = repo.rev('main')!;
    const commit = (files: Record<string, string>, extra?: () => void) => {
      repo.git('checkout', '-q', '--detach', base);
      for (const [f, c] of Object.entries(files)) repo.write(f, c);
      extra?.();
      const sha = userCommit(repo.root, 'c');
      repo.git('checkout', '-q', 'main');
      return sha;
    };
    assert.equal(await mergesWithoutReview(g, base, commit({ 'tasks/pending/a.md': 'a\n' }), config), true);
    assert.equal(
      await mergesWithoutReview(
        g,
        base,
        commit({}, () => {
          repo.git('mv', 'shared.txt', 'x');
          mkdirSync(repo.path('tasks'));
          repo.git('mv', 'x', 'tasks/shared.txt');
        }),
        config,
      ),
      false,
      'a rename into tasks/',
    );
    assert.equal(await mergesWithoutReview(g, base, commit({ 'tasks/.env': 'SECRET=1\n' }), config), false, 'a denied file inside tasks/');
    assert.equal(
      await mergesWithoutReview(
        g,
        base,
        commit({}, () => {
          mkdirSync(repo.path('tasks'), { recursive: true });
          symlinkSync('../README.md', repo.path('tasks/link.md'));
        }),
        config,
      ),
      false,
      'a symlink inside tasks/',
    );
    assert.equal(await mergesWithoutReview(g, base, commit({ 'tasks/a.md': 'a\n', 'src/b.ts': 'b\n' }), config), false);
  });
});

describe('rule 13: policy deny globs match whatever the case', () => {
  test('.ENV, KEY.PEM and Secrets/ are denied by the default globs', async () => {
    const repo = newRepo();
    const base = repo.rev('main')!;
    repo.write('.ENV', 'A=1\n');
    repo.write('certs/KEY.PEM', 'k\n');
    repo.write('Secrets/token.txt', 't\n');
    repo.write('Config/.Env.Production', 'p\n');
    const sha = userCommit(repo.root, 'sneaky');
    const r = await checkPolicy(new Git(repo.root), base, sha, parseSwarmConfig({}).policy);
    const text = r.violations.join('\n');
    for (const f of ['.ENV', 'certs/KEY.PEM', 'Secrets/token.txt', 'Config/.Env.Production'])
      assert.ok(text.includes(`${f}: matches a denied pattern`), `${f} not denied:\n${text}`);
  });
});

describe('rule 14: names from files never reach object-prototype lookups', () => {
  const ctx: HarnessContext = { cliPaths: {}, nodePath: process.execPath, demoAgentPath: '', baseEnv: {} };
  const config = parseSwarmConfig({});
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
    test(`harness "${name}" is an unknown harness, not a crash`, () => {
      assert.throws(
        () => createHarness(name, config, ctx),
        (e: Error) => e.message.includes(`unknown harness "${name}"`),
      );
    });
  }
  test('"__proto__" or "constructor" as a harness name in swarm.json is a bad field, named', () => {
    for (const k of ['__proto__', 'constructor']) {
      assert.throws(
        () => parseSwarmConfig(JSON.parse(`{"harnesses": {"${k}": {"command": ["x"]}}, "workers": [{"harness": "${k}"}]}`)),
        (e: Error) => e.message.includes(`harnesses.${k}`),
      );
    }
  });
  test('a prompt placeholder named like a prototype key stays as it is', () => {
    assert.equal(fillPrompt('{{constructor}} {{task_id}} {{to_string}}', { task_id: 'a' }), '{{constructor}} a {{to_string}}');
  });
});
